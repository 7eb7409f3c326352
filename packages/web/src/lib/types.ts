/**
 * Shapes of the admin API's answers: core's own types, imported type-only so the
 * browser bundle gets none of core's code (zod, Node modules). What core has no
 * name for is put together here from its parts, or from the function's answer.
 */
import type { QueueDeadLetters } from "@sambung/core/event/dead-letters";
import type { DeadDeliveries } from "@sambung/core/outbound/deliveries";
import type { DeliveryStatus, SubscriptionView } from "@sambung/core/outbound/model";
import type { FormatId, FormatSpec } from "@sambung/core/format/catalog";
import type { InboundStatus } from "@sambung/core/inbound/record";
import type { get as getFeatures } from "@sambung/core/provider/features";
import type { ProviderView } from "@sambung/core/provider/record";
import type { ProviderType } from "@sambung/core/provider/types";
import type { ApiScope, Principal, Tenant, User } from "@sambung/core/tenant/model";

export type { AuditEntry } from "@sambung/core/audit/index";
export type { QueueDeadLetters as DeadLetterQueue } from "@sambung/core/event/dead-letters";
export type { CatalogEntry } from "@sambung/core/event/describe";
export type { InboundStatus, InboundWebhook } from "@sambung/core/inbound/record";
export type { DeadDeliveries } from "@sambung/core/outbound/deliveries";
export type { DeliveryStatus, DeliveryView as Delivery, RedriveJob, SubscriptionView as Subscription } from "@sambung/core/outbound/model";
export type { PaymentStatus } from "@sambung/core/payment/model";
export type { Payment } from "@sambung/core/payment/record";
export type { DeadLetter, Page } from "@sambung/core/port";
export type { Preset } from "@sambung/core/preset/schema";
export type { LastTest } from "@sambung/core/provider/record";
export type { ProviderType } from "@sambung/core/provider/types";
export type { BreakerStatus } from "@sambung/core/resilience/breaker";
export type { CallRecord } from "@sambung/core/telemetry/call-log";
export type { HealthReport, ProviderHealth } from "@sambung/core/telemetry/health";
export type { Window as HealthWindow } from "@sambung/core/telemetry/rollup";
export type { ApiKey, ApiScope, Location } from "@sambung/core/tenant/model";

/** What an API function resolves to, as the handler sends it. */
export type Answer<F extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>;

/**
 * Every value of a core union, in the order the app lists them. A record, so
 * that a value core adds (or drops) fails the type check here, not at run time.
 */
export function valuesOf<T extends string>(record: Record<T, true>): T[] {
  return Object.keys(record) as T[];
}

export const PROVIDER_TYPES = valuesOf<ProviderType>({
  payment: true,
  ota: true,
  sms: true,
  whatsapp: true,
  mail: true,
  storage: true,
  captcha: true,
  ai: true,
  door_lock: true,
  rate_shopper: true,
  marketplace: true,
  accounting_export: true,
  other: true,
});

export const API_SCOPES = valuesOf<ApiScope>({ "*": true, payments: true, events: true, messages: true, ari: true, files: true, captcha: true, ai: true });

export const DELIVERY_STATUSES = valuesOf<DeliveryStatus>({ pending: true, attempting: true, delivered: true, dead: true });

export const INBOUND_STATUSES = valuesOf<InboundStatus>({
  received: true,
  rejected: true,
  malformed: true,
  duplicate: true,
  accepted: true,
  processed: true,
  failed: true,
  dead: true,
});

/** GET /api/auth/me. */
export interface Me {
  principal: Principal;
  tenant: Tenant;
}

/** POST /api/auth/login and /api/auth/setup. */
export interface SessionAnswer {
  token: string;
  expiresIn: number;
  user: User;
}

export type Provider = ProviderView & {
  /** In a location's list: a whole-business provider the location inherits. */
  inherited?: boolean;
};

export interface ProviderList {
  items: Provider[];
  counts: Partial<Record<ProviderType, number>>;
}

/** GET /api/admin/formats. */
export type Format = FormatSpec & { id: FormatId };

/** GET /api/admin/features: the tenant's and the location's mappings, and what the location effectively uses. */
export type Features = Answer<typeof getFeatures>;

/** GET /api/admin/dlq. */
export interface DlqAnswer {
  queues: QueueDeadLetters[];
  /** Present once outgoing webhooks exist: the tenant's dead deliveries. */
  deliveries?: DeadDeliveries;
}

/** A new or rotated subscription: its signing secret, shown once. */
export interface SubscriptionWithSecret extends SubscriptionView {
  signingSecret: string;
  note: string;
}
