import type { HttpRequest, HttpResponse, Ports } from "../../port.ts";
import type { Provider } from "../../provider/record.ts";
import type { PaymentStatus } from "../../payment/model.ts";

/** What Sambung asks a gateway for. Amounts are integers in the currency's minor unit. */
export interface PaymentRequest {
  /** Sambung's payment id; also sent as the gateway's order id where the gateway takes one. */
  id: string;
  reference: string;
  amount: number;
  currency: string;
  method?: string;
  /**
   * A card token or payment-source id made client-side with the gateway's own library
   * (Omise.js `tokn_…`), for `direct_charge`; templates read it as `{{payment.token}}`.
   */
  token?: string;
  customer?: { name?: string; email?: string; phone?: string };
  items?: { name: string; quantity: number; price: number; sku?: string }[];
  returnUrl?: string;
  expiresAt?: string;
  /** Where the gateway should post its webhook, for gateways that take it per request. */
  notifyUrl: string;
}

/** What a format yields on create: whichever of these the format produces. */
export interface PaymentCreated {
  gatewayTransactionId: string;
  status: PaymentStatus;
  rawStatus: string;
  redirectUrl?: string;
  qrString?: string;
  vaNumber?: string;
  bankCode?: string;
  clientSecret?: string;
  token?: string;
  expiresAt?: string;
}

export interface GatewayStatus {
  gatewayTransactionId: string;
  status: PaymentStatus;
  rawStatus: string;
  /** Captured amount, where the gateway reports it. */
  amount?: number;
  refundedAmount?: number;
}

/** A provider webhook turned into Sambung's terms by the provider's format. */
export interface NormalizedWebhook {
  /** The provider's own id for this notification, for de-duplication. */
  eventId: string;
  gatewayTransactionId?: string;
  /** Sambung's payment id or the merchant reference, whichever the gateway echoes. */
  orderId?: string;
  status: PaymentStatus;
  rawStatus: string;
  amount?: number;
  refundedAmount?: number;
}

export interface EngineContext {
  ports: Ports;
  provider: Provider;
  secrets: Record<string, string>;
  baseUrl: string;
  /** Sends a request to the provider (through the resilience pipeline when wired by the caller). */
  send: (request: HttpRequest) => Promise<HttpResponse>;
}

export interface PaymentEngine {
  /** A problem in words when the format cannot express this amount or currency; undefined when it can. */
  problemWith(provider: Provider, amount: number, currency: string): string | undefined;
  create(context: EngineContext, request: PaymentRequest): Promise<PaymentCreated>;
  status(context: EngineContext, payment: { id: string; gatewayTransactionId?: string }): Promise<GatewayStatus>;
  cancel(context: EngineContext, payment: { id: string; gatewayTransactionId?: string }): Promise<GatewayStatus>;
  refund(
    context: EngineContext,
    payment: { id: string; gatewayTransactionId?: string; currency: string },
    refund: { id: string; amount: number; reason: string },
  ): Promise<{ gatewayRefundId: string; status: "succeeded" | "pending" | "failed"; rawStatus: string }>;
  /** Throws InvalidWebhookError for a body it cannot read. */
  parseWebhook(context: Omit<EngineContext, "send">, webhook: { rawBody: string; headers: Record<string, string>; query: Record<string, string> }): NormalizedWebhook;
}

export class InvalidWebhookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidWebhookError";
  }
}
