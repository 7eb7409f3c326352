import * as Message from "@sambung/core/message/index";
import { actorOf } from "@sambung/core/tenant/model";
import { z } from "zod";
import { http } from "../middleware/http.ts";

const Id = z.object({ id: z.string().min(1) });
const IdempotencyKey = z.string().min(8).max(255);

/** `POST /api/v1/messages`: queued for the notify worker; the Idempotency-Key makes a retry return the same message. */
export const create = http({ auth: { scope: "messages" }, body: Message.SendMessage }, async ({ ports, principal, body, headers }) => {
  const key = IdempotencyKey.safeParse(headers["idempotency-key"] ?? "");
  if (!key.success) {
    return { status: 400, body: { error: { code: "invalid_input", message: "send an Idempotency-Key header (8 to 255 characters) so a retry cannot send twice" } } };
  }
  const result = await Message.create(ports, principal, key.data, body);
  return { status: result.replayed ? 200 : 202, body: result.message, headers: result.replayed ? { "idempotent-replayed": "true" } : undefined };
});

export const get = http({ auth: { scope: "messages" }, params: Id }, async ({ ports, principal, params }) => ({
  body: await Message.get(ports, principal.tenantId, params.id),
}));

export const adminList = http({ auth: { role: "viewer" }, query: Message.ListQuery }, async ({ ports, principal, query }) => ({
  body: await Message.list(ports, principal.tenantId, query),
}));

export const adminGet = http({ auth: { role: "viewer" }, params: Id }, async ({ ports, principal, params }) => ({
  body: await Message.get(ports, principal.tenantId, params.id),
}));

/** A person's decision to send a failed or unknown message again (it may then arrive twice). */
export const adminResend = http({ auth: { role: "admin" }, params: Id }, async ({ ports, principal, params }) => ({
  status: 202,
  body: await Message.resend(ports, principal.tenantId, params.id, actorOf(principal)),
}));

/** How long messages (personal data) are kept: `{ retentionDays }`, 90 unless set. */
export const getSettings = http({ auth: { role: "viewer" } }, async ({ ports, principal }) => ({
  body: await Message.getSettings(ports, principal.tenantId),
}));

export const putSettings = http({ auth: { role: "admin" }, body: Message.MessageSettings }, async ({ ports, principal, body }) => ({
  body: await Message.putSettings(ports, principal, body),
}));

export const listTriggers = http({ auth: { role: "viewer" } }, async ({ ports, principal }) => ({
  body: { items: await Message.listTriggers(ports, principal.tenantId) },
}));

export const createTrigger = http({ auth: { role: "admin" }, body: Message.CreateTrigger }, async ({ ports, principal, body }) => ({
  status: 201,
  body: await Message.createTrigger(ports, principal, body),
}));

export const updateTrigger = http({ auth: { role: "admin" }, params: Id, body: Message.UpdateTrigger }, async ({ ports, principal, params, body }) => ({
  body: await Message.updateTrigger(ports, principal, params.id, body),
}));

export const removeTrigger = http({ auth: { role: "admin" }, params: Id }, async ({ ports, principal, params }) => {
  await Message.removeTrigger(ports, principal, params.id);
  return { status: 204 };
});
