import type { PaymentFormat } from "../../payment/model.ts";
import type { PaymentEngine } from "./engine.ts";
import { recordEngine } from "./record-engine.ts";

/**
 * The six payment formats. Each is the same record-driven engine with the format's
 * own promise on create (redirect URL, QR string, VA number, client secret / token,
 * or a charge outcome); every vendor detail is in the provider record's config.
 */
export const paymentEngines: Record<PaymentFormat, PaymentEngine> = {
  redirect_flow: recordEngine("redirect_flow"),
  embed_flow: recordEngine("embed_flow"),
  qris_dynamic: recordEngine("qris_dynamic"),
  va_static: recordEngine("va_static"),
  direct_charge: recordEngine("direct_charge"),
  e_wallet_redirect: recordEngine("e_wallet_redirect"),
};

export { InvalidWebhookError } from "./engine.ts";
export type { EngineContext, GatewayStatus, NormalizedWebhook, PaymentCreated, PaymentEngine, PaymentRequest } from "./engine.ts";
export { PaymentGatewayError, type GatewayErrorKind } from "./errors.ts";
export { amountProblem, exponentOf } from "./currency.ts";
export { mapStatus } from "./record-engine.ts";
