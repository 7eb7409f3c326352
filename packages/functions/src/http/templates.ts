import * as Template from "@sambung/core/template/index";
import { z } from "zod";
import { http } from "../middleware/http.ts";

const Id = z.object({ id: z.string().min(1) });

export const list = http({ auth: { role: "viewer" }, query: z.object({ channel: Template.Channel.optional(), name: z.string().optional() }) }, async ({ ports, principal, query }) => ({
  body: { items: await Template.list(ports, principal.tenantId, query) },
}));

export const get = http({ auth: { role: "viewer" }, params: Id }, async ({ ports, principal, params }) => ({
  body: await Template.get(ports, principal.tenantId, params.id),
}));

export const create = http({ auth: { role: "admin" }, body: Template.CreateTemplate }, async ({ ports, principal, body }) => ({
  status: 201,
  body: await Template.create(ports, principal, body),
}));

export const update = http({ auth: { role: "admin" }, params: Id, body: Template.UpdateTemplate }, async ({ ports, principal, params, body }) => ({
  body: await Template.update(ports, principal, params.id, body),
}));

export const remove = http({ auth: { role: "admin" }, params: Id }, async ({ ports, principal, params }) => {
  await Template.remove(ports, principal, params.id);
  return { status: 204 };
});

/** What a message would say with these params (nothing is sent). */
export const preview = http({ auth: { role: "viewer" }, params: Id, body: Template.PreviewRequest }, async ({ ports, principal, params, body }) => ({
  body: await Template.preview(ports, principal.tenantId, params.id, body),
}));
