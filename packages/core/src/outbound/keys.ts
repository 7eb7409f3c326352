import { createHash } from "node:crypto";

/** Single-table keys of the outbound module, in one place. */

/** Subscriptions and their delivery health: one partition per tenant. */
export const outPk = (tenantId: string) => `OUT#${tenantId}`;
export const subscriptionSk = (subscriptionId: string) => `SUB#${subscriptionId}`;
export const SUBSCRIPTION_PREFIX = "SUB#";
export const healthSk = (subscriptionId: string) => `HEALTH#${subscriptionId}`;

/** Deliveries of a tenant, sorted by when their event occurred (the id starts with it). */
export const deliveryPk = (tenantId: string) => `DLV#${tenantId}`;
/** The secondary index of a dead delivery: present exactly while it is dead (same write as the status). */
export const deadIndexPk = (tenantId: string) => `DLVDEAD#${tenantId}`;
/** Ordered subscriptions: the deliveries not yet final, by order key; the first is the one allowed to go. */
export const openPk = (tenantId: string, subscriptionId: string) => `DLVOPEN#${tenantId}#${subscriptionId}`;

/** Bulk redrive jobs and the lock that makes a second identical request find the running one. */
export const jobPk = (tenantId: string) => `DLVJOB#${tenantId}`;
export const jobSk = (jobId: string) => `JOB#${jobId}`;
export const jobLockSk = (filterKey: string) => `ACTIVE#${filterKey}`;

/** Per-subscription rate limiter state (GCRA). */
export const ratePk = (subscriptionId: string) => `RATE#SUB#${subscriptionId}`;
export const RATE_SK = "GCRA";

/** Milliseconds since the epoch as fixed-width base 36, so ids sort by time. */
export function timeKey(ms: number): string {
  return Math.max(0, Math.floor(ms)).toString(36).padStart(9, "0");
}

/**
 * One delivery per (event, subscription): the id is derived from both, so a
 * redelivered queue message finds the delivery it already created.
 */
export function deliveryIdFor(tenantId: string, eventId: string, occurredAt: string, subscriptionId: string): string {
  const hash = createHash("sha256").update(`${tenantId}\n${eventId}\n${subscriptionId}`).digest("hex").slice(0, 20);
  return `dlv_${timeKey(Date.parse(occurredAt))}_${hash}`;
}

/** Order of an ordered subscription's deliveries: when the event occurred, then its id. */
export function orderKey(occurredAt: string, eventId: string): string {
  return `${timeKey(Date.parse(occurredAt))}#${eventId}`;
}

/** Bounds of delivery ids for events that occurred in [since, until]. */
export function deliveryIdRange(since?: string, until?: string): { from?: string; to?: string } {
  return {
    from: since ? `dlv_${timeKey(Date.parse(since))}` : undefined,
    to: until ? `dlv_${timeKey(Date.parse(until))}_~` : undefined,
  };
}
