import { z } from "zod";

export const PaymentStatus = z.enum(["pending", "paid", "failed", "expired", "cancelled", "partially_refunded", "refunded"]);
export type PaymentStatus = z.infer<typeof PaymentStatus>;

export const PaymentFormat = z.enum(["redirect_flow", "embed_flow", "qris_dynamic", "va_static", "direct_charge", "e_wallet_redirect"]);
export type PaymentFormat = z.infer<typeof PaymentFormat>;
