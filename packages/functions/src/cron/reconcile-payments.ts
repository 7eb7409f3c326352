import * as Payment from "@sambung/core/payment/index";
import type { ScheduledEvent } from "aws-lambda";
import { logger } from "../log.ts";
import { ports } from "../ports.ts";

export async function handler(_event: ScheduledEvent): Promise<Payment.ReconcileResult> {
  const result = await Payment.reconcile(await ports());
  if (result.flagged > 0 || result.errors > 0) logger.warn("payment reconciliation found problems", { ...result });
  return result;
}
