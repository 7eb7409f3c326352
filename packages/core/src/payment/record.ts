import { z } from "zod";
import { PaymentFormat, PaymentStatus } from "./model.ts";

export const Currency = z
  .string()
  .regex(/^[A-Z]{3}$/, "use an ISO 4217 code in capitals, like IDR or USD");

export const CreatePayment = z.object({
  featureKey: z.string().min(1),
  reference: z.string().trim().min(1).max(100),
  amount: z.number().int("amount is an integer in the currency's minor unit (IDR has none: 150000 is Rp 150.000)").positive(),
  currency: Currency,
  method: z.string().max(40).optional(),
  /** A one-time card token made with the gateway's client library, for direct_charge; never stored. */
  token: z.string().min(1).max(500).optional(),
  customer: z.object({ name: z.string().max(120).optional(), email: z.email().optional(), phone: z.string().max(32).optional() }).optional(),
  items: z
    .array(z.object({ name: z.string().min(1).max(200), quantity: z.number().int().positive(), price: z.number().int().nonnegative(), sku: z.string().max(64).optional() }))
    .max(100)
    .optional(),
  returnUrl: z.url().optional(),
  expiresAt: z.iso.datetime().optional(),
  locationId: z.string().optional(),
});
export type CreatePayment = z.infer<typeof CreatePayment>;

export const RefundRequest = z.object({
  amount: z.number().int().positive(),
  reason: z.string().trim().min(1).max(500),
});

export const StatusChange = z.object({
  status: PaymentStatus,
  rawStatus: z.string(),
  at: z.string(),
  source: z.enum(["create", "webhook", "status_check", "reconciliation", "cancel", "refund"]),
});

export const Refund = z.object({
  id: z.string(),
  amount: z.number().int(),
  reason: z.string(),
  status: z.enum(["pending", "succeeded", "failed"]),
  gatewayRefundId: z.string().optional(),
  rawStatus: z.string().optional(),
  at: z.string(),
});

export const Payment = z.object({
  id: z.string(),
  tenantId: z.string(),
  locationId: z.string().optional(),
  featureKey: z.string(),
  reference: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  method: z.string().optional(),
  customer: CreatePayment.shape.customer,
  items: CreatePayment.shape.items,
  returnUrl: z.string().optional(),
  expiresAt: z.string().optional(),
  /**
   * When reconciliation starts asking the gateway about the payment if it is still
   * pending: its expiry, else creation plus the record's `config.defaultExpiryMinutes`.
   */
  reconcileAfter: z.string().optional(),
  providerId: z.string(),
  providerSlug: z.string(),
  format: PaymentFormat,
  usedFallback: z.boolean(),
  gatewayTransactionId: z.string().optional(),
  status: PaymentStatus,
  rawStatus: z.string(),
  redirectUrl: z.string().optional(),
  qrString: z.string().optional(),
  vaNumber: z.string().optional(),
  bankCode: z.string().optional(),
  clientSecret: z.string().optional(),
  token: z.string().optional(),
  capturedAmount: z.number().int(),
  refundedAmount: z.number().int(),
  refunds: z.array(Refund),
  history: z.array(StatusChange),
  /** Set when the gateway and Sambung disagree and a person should look. */
  unreconciled: z.object({ reason: z.string(), at: z.string(), gatewayStatus: z.string().optional() }).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Payment = z.infer<typeof Payment>;
