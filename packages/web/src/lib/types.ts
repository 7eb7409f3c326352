/** Shapes of the admin API's answers (mirrors of the zod schemas in packages/core). */

export const PROVIDER_TYPES = [
  "payment",
  "ota",
  "sms",
  "whatsapp",
  "mail",
  "storage",
  "captcha",
  "ai",
  "door_lock",
  "rate_shopper",
  "marketplace",
  "accounting_export",
  "other",
] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

export type Role = "viewer" | "admin" | "owner";

export interface Tenant {
  id: string;
  name: string;
  timeZone: string;
  locale: "en" | "id";
  createdAt: string;
}

export type Principal =
  | { kind: "user"; userId: string; email: string; tenantId: string; role: Role; superadmin: boolean }
  | { kind: "apiKey"; keyId: string; tenantId: string };

export interface Me {
  principal: Principal;
  tenant: Tenant;
}

export interface SessionAnswer {
  token: string;
  expiresIn: number;
  user: { id: string; email: string; role: Role; superadmin: boolean };
}

export interface Location {
  id: string;
  tenantId: string;
  name: string;
  code?: string;
  timeZone?: string;
  createdAt: string;
}

export interface LastTest {
  status: "never" | "ok" | "failed";
  at?: string;
  message?: string;
  latencyMs?: number;
}

export interface Provider {
  id: string;
  tenantId: string;
  locationId?: string;
  type: ProviderType;
  name: string;
  slug: string;
  apiFormat: string;
  baseUrl: string;
  sandboxBaseUrl?: string;
  testMode: boolean;
  headers: Record<string, string>;
  config: Record<string, unknown>;
  capabilities: string[];
  active: boolean;
  isDefault: boolean;
  displayOrder: number;
  lastTest: LastTest;
  notes?: string;
  presetId?: string;
  createdBy: string;
  createdAt: string;
  updatedBy: string;
  updatedAt: string;
  /** Masked hints, `••••1234`: the secrets themselves never come back. */
  secrets: Record<string, string>;
  webhookUrl: string;
  /** In a location's list: a whole-business provider the location inherits. */
  inherited?: boolean;
}

export interface ProviderList {
  items: Provider[];
  counts: Partial<Record<ProviderType, number>>;
}

export interface Preset {
  id: string;
  type: ProviderType;
  name: string;
  vendor: string;
  apiFormat: string;
  description: string;
  docsUrl: string;
  baseUrl: { production: string; sandbox?: string };
  capabilities: string[];
  notes?: string;
}

export interface SecretField {
  name: string;
  label: string;
  optional?: boolean;
}

export interface Format {
  id: string;
  type: ProviderType | "any";
  description: string;
  secrets: SecretField[];
}

export interface Mapping {
  featureKey: string;
  scope: string;
  primaryProviderId: string;
  fallbackProviderId?: string;
  updatedBy: string;
  updatedAt: string;
  inherited?: boolean;
}

export interface Features {
  tenant: Mapping[];
  location: Mapping[];
  effective: Mapping[];
}

export interface AuditEntry {
  id: string;
  actor: string;
  action: string;
  target: string;
  changed: string[];
  at: string;
}

export interface Page<T> {
  items: T[];
  cursor?: string;
}

export type ApiScope = "payments" | "events" | "messages" | "ari" | "files" | "captcha" | "ai" | "*";
export const API_SCOPES: ApiScope[] = ["*", "payments", "events", "messages", "ari", "files", "captcha", "ai"];

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiScope[];
  rateLimitPerMinute: number;
  locationId?: string;
  revokedAt?: string;
  lastUsedAt?: string;
  createdBy: string;
  createdAt: string;
}

export interface DeadLetter {
  id: string;
  body: string;
  receiveCount: number;
  sentAt: number;
  deadAt?: number;
}

export interface DeadLetterQueue {
  queue: string;
  dead: number;
  oldestAgeSeconds: number;
  visible: number;
  inFlight: number;
  delayed: number;
  sample: DeadLetter[];
}

export interface Attempt {
  n: number;
  at: string;
  dueAt?: string;
  outcome: "delivered" | "failed";
  status?: number;
  latencyMs?: number;
  response?: string;
  error?: string;
}

export type DeliveryStatus = "pending" | "attempting" | "delivered" | "dead";
export const DELIVERY_STATUSES: DeliveryStatus[] = ["pending", "attempting", "delivered", "dead"];

export interface Delivery {
  id: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  occurredAt: string;
  status: DeliveryStatus;
  webhookId: string;
  nextAttemptAt?: string;
  attempts: Attempt[];
  totalAttempts: number;
  deliveredAt?: string;
  deadAt?: string;
  deadReason?: string;
  redrives: number;
  lastRedrive?: { at: string; by: string; jobId?: string };
  createdAt: string;
  updatedAt: string;
  payload?: unknown;
}

export interface DeadDeliveries {
  tenantId: string;
  dead: number;
  oldestAgeSeconds: number;
  sample: Delivery[];
  truncated: boolean;
}

export interface DlqAnswer {
  queues: DeadLetterQueue[];
  /** Present once outgoing webhooks exist: the tenant's dead deliveries. */
  deliveries?: DeadDeliveries;
}

export interface RedriveJob {
  id: string;
  status: "running" | "done";
  scanned: number;
  redriven: number;
  skipped: number;
  more: boolean;
  createdAt: string;
  finishedAt?: string;
}

export interface Subscription {
  id: string;
  url: string;
  eventTypes: string[];
  description?: string;
  active: boolean;
  rateLimitPerSecond?: number;
  ordered: boolean;
  /** Masked: ••••abcd. */
  secret: string;
  previousSecrets: { secret: string; expiresAt: string }[];
  disabledAt?: string;
  disabledReason?: string;
  failingSince?: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface SubscriptionWithSecret extends Subscription {
  signingSecret: string;
  note: string;
}

export interface CatalogEntry {
  type: string;
  description: string;
  publishable: boolean;
  subscribable: boolean;
}

export type InboundStatus = "received" | "rejected" | "malformed" | "duplicate" | "accepted" | "processed" | "failed" | "dead";
export const INBOUND_STATUSES: InboundStatus[] = ["received", "rejected", "malformed", "duplicate", "accepted", "processed", "failed", "dead"];

export interface InboundWebhook {
  id: string;
  providerId: string;
  providerSlug: string;
  type: string;
  receivedAt: string;
  sourceIp: string;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
  status: InboundStatus;
  reason?: string;
  eventId?: string;
  normalized?: Record<string, unknown>;
  attempts: number;
  lastError?: string;
  processedAt?: string;
  paymentId?: string;
}

export type PaymentStatus = "pending" | "paid" | "failed" | "expired" | "cancelled" | "partially_refunded" | "refunded";

export interface Payment {
  id: string;
  locationId?: string;
  featureKey: string;
  reference: string;
  amount: number;
  currency: string;
  method?: string;
  providerId: string;
  providerSlug: string;
  format: string;
  usedFallback: boolean;
  gatewayTransactionId?: string;
  status: PaymentStatus;
  rawStatus: string;
  capturedAmount: number;
  refundedAmount: number;
  history: { status: PaymentStatus; rawStatus: string; at: string; source: string }[];
  unreconciled?: { reason: string; at: string; gatewayStatus?: string };
  createdAt: string;
  updatedAt: string;
}

export interface CallRecord {
  id: string;
  at: string;
  providerId: string;
  providerSlug: string;
  featureKey?: string;
  action: string;
  role: "primary" | "fallback" | "direct";
  attempt: number;
  outcome: "success" | "failure" | "rejected" | "skipped";
  code?: string;
  httpStatus?: number;
  latencyMs: number;
  error?: string;
  request?: string;
  response?: string;
  correlationId?: string;
}

export type HealthWindow = "1h" | "24h" | "7d";
export type BreakerStatus = "closed" | "open" | "half_open";

export interface ProviderHealth {
  providerId: string;
  name: string;
  slug: string;
  type: string;
  active: boolean;
  calls: number;
  failures: number;
  rejected: number;
  successRate: number;
  failureRate: number;
  p50: number;
  p95: number;
  p99: number;
  meanMs: number;
  maxMs: number;
  breaker: { state: BreakerStatus; consecutiveFailures: number; openUntil?: string; incidents: number };
  lastError?: { at: string; code: string; message: string; status?: number };
  lastHour: { calls: number; failures: number; failureRate: number };
  alerting: boolean;
  alertingSince?: string;
}

export interface HealthReport {
  window: HealthWindow;
  generatedAt: string;
  alertThreshold: { failureRate: number; minCalls: number; windowMinutes: number };
  providers: ProviderHealth[];
}
