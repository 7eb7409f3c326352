import { describeCatalog } from "@sambung/core/event/describe";
import * as Events from "@sambung/core/event/publish";
import { http } from "../middleware/http.ts";

/** GET /api/admin/events/catalog: every event type with the JSON Schema of its data. */
export const catalog = http({ auth: { role: "viewer" } }, async () => ({ body: { items: describeCatalog() } }));

/**
 * POST /api/v1/events: the owner's PMS / POS publishes a domain event (API key with
 * the "events" scope). Validated against the catalog; written once with the outbox
 * attribute, so it reaches the `deliver` queue and every matching subscription.
 */
export const publish = http({ auth: { scope: "events" }, body: Events.PublishEvent }, async ({ ports, principal, body }) => {
  const published = await Events.publish(ports, principal, body);
  return { status: published.duplicate ? 200 : 202, body: published };
});
