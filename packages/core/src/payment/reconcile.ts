import { paymentEngines } from "../format/payment/index.ts";
import type { Ports } from "../port.ts";
import * as Provider from "../provider/index.ts";
import { sendTo } from "./gateway.ts";
import { PENDING_INDEX } from "./keys.ts";
import { Payment } from "./record.ts";
import { applyStatus, flag, reconcileAfterOf } from "./index.ts";

/** How long past its expiry (or default window) a payment may stay pending at the gateway before a person is asked to look. */
const STALE_MS = 60 * 60_000;

export interface ReconcileResult {
  checked: number;
  settled: number;
  flagged: number;
  errors: number;
}

/**
 * Asks each gateway about payments still pending past their expiry (a payment
 * whose gateway named none: past the record's default window), settles what
 * the gateway settled, and flags disagreements (a different amount, a payment
 * stuck pending long after expiry, a gateway that cannot be asked).
 */
export async function reconcile(ports: Ports, options: { limit?: number } = {}): Promise<ReconcileResult> {
  const now = ports.clock.now();
  const result: ReconcileResult = { checked: 0, settled: 0, flagged: 0, errors: 0 };
  const page = await ports.store.query(PENDING_INDEX, { index: "gsi1", to: `${new Date(now).toISOString()}#\u{10FFFF}`, limit: options.limit ?? 200 });
  for (const item of page.items) {
    const payment = Payment.parse(item.data);
    result.checked += 1;
    try {
      const provider = await Provider.get(ports, payment.tenantId, payment.providerId);
      const { value: gateway } = await sendTo(ports, { primary: provider }, "payment.status", true, (context) =>
        paymentEngines[payment.format].status(context, { id: payment.id, gatewayTransactionId: payment.gatewayTransactionId }),
      );
      if (gateway.status === "paid" && gateway.amount !== undefined && gateway.amount !== payment.amount) {
        await flag(ports, payment.tenantId, payment.id, `the gateway captured ${gateway.amount} ${payment.currency}, not ${payment.amount}`, gateway.rawStatus);
        result.flagged += 1;
        continue;
      }
      const applied = await applyStatus(ports, payment.tenantId, payment.id, gateway, "reconciliation");
      if (applied.moved) {
        result.settled += 1;
      } else if (gateway.status === "pending" && now - Date.parse(reconcileAfterOf(payment)) > STALE_MS) {
        const after = payment.expiresAt ? "it expired" : "its default expiry window (the record's config.defaultExpiryMinutes) ended";
        await flag(ports, payment.tenantId, payment.id, `still pending at the gateway more than an hour after ${after}`, gateway.rawStatus);
        result.flagged += 1;
      }
    } catch (error) {
      result.errors += 1;
      // A passing outage is retried on the next run; only a payment already stale needs a person.
      if (now - Date.parse(reconcileAfterOf(payment)) > STALE_MS) {
        await flag(ports, payment.tenantId, payment.id, `the gateway could not be asked: ${error instanceof Error ? error.message : String(error)}`);
        result.flagged += 1;
      }
    }
  }
  return result;
}
