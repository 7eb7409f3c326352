import { tenantPk } from "../tenant/keys.ts";

export const paymentPk = tenantPk;
export const paymentSk = (paymentId: string) => `PAYMENT#${paymentId}`;
export const referencePk = (tenantId: string, reference: string) => `PAYREF#${tenantId}#${reference}`;
export const gatewayTxPk = (providerId: string, gatewayTransactionId: string) => `PAYTX#${providerId}#${gatewayTransactionId}`;
export const idempotencyPk = (tenantId: string, key: string) => `IDEM#${tenantId}#${key}`;
/** Payments still pending, by expiry: what reconciliation walks. */
export const PENDING_INDEX = "PAYPENDING";
export const UNRECONCILED_INDEX = (tenantId: string) => `PAYUNREC#${tenantId}`;
export const LOOKUP_SK = "LOOKUP";
