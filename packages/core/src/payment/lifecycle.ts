import type { PaymentStatus } from "./model.ts";

/**
 * Payments only move forward: pending → paid | failed | expired | cancelled, and a
 * paid payment → partially_refunded → refunded. Anything else (a late "pending"
 * after "paid", a "failed" after "refunded") is ignored and recorded as such.
 */
const NEXT: Record<PaymentStatus, readonly PaymentStatus[]> = {
  pending: ["paid", "failed", "expired", "cancelled"],
  paid: ["partially_refunded", "refunded"],
  partially_refunded: ["partially_refunded", "refunded"],
  failed: [],
  expired: [],
  cancelled: [],
  refunded: [],
};

export function canMove(from: PaymentStatus, to: PaymentStatus): boolean {
  return NEXT[from].includes(to);
}

export function isFinal(status: PaymentStatus): boolean {
  return NEXT[status].length === 0;
}
