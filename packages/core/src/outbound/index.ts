import type { Ports } from "../port.ts";
import * as Event from "../event/index.ts";
import { attempt, fanOut } from "./deliveries.ts";
import { runStep } from "./jobs.ts";
import { DeliverMessage } from "./model.ts";

/**
 * Outgoing webhooks (issue #5): subscriptions with sealed signing secrets,
 * Standard Webhooks signed delivery with retries, dead deliveries and redrive.
 */
export {
  create as createSubscription,
  CreateSubscription,
  get as getSubscription,
  list as listSubscriptions,
  matches,
  patternProblem,
  remove as deleteSubscription,
  rotateSecret,
  RotateSecret,
  update as updateSubscription,
  UpdateSubscription,
} from "./subscriptions.ts";
export { deadSummary, get as getDelivery, list as listDeliveries, redrive as redriveDelivery, type DeadDeliveries, type ListFilter } from "./deliveries.ts";
export { getJob as getRedriveJob, startJob as startRedriveJob } from "./jobs.ts";
export { DeliveryStatus, RedriveFilter, type DeliveryView, type RedriveJob, type SubscriptionView } from "./model.ts";
export { RETRY_DELAYS_SECONDS, MAX_ATTEMPTS } from "./schedule.ts";
export { setDnsLookup, type DnsLookup } from "./url-safety.ts";

/**
 * What the `deliver` worker does with one queue message: a domain event fans out
 * to its subscriptions; an attempt or a redrive-job step is carried out.
 */
export async function handleMessage(ports: Ports, body: unknown): Promise<void> {
  if (body && typeof body === "object" && "kind" in body) {
    const message = DeliverMessage.parse(body);
    if (message.kind === "attempt") await attempt(ports, message);
    else await runStep(ports, message);
    return;
  }
  await fanOut(ports, Event.parse(body));
}
