import { randomUUID } from "node:crypto";
import { z } from "zod";
import * as Audit from "../audit/index.ts";
import { ConflictError, InvalidInputError, NotFoundError } from "../error.ts";
import { ConditionFailedError, type Item, type Ports } from "../port.ts";
import * as Tenant from "../tenant/index.ts";
import { actorOf, type Principal } from "../tenant/model.ts";
import { checkTemplate, CreateTemplate, Template, UpdateTemplate, type Channel } from "./record.ts";
import { render, validateParams, type Rendered } from "./render.ts";

export { Channel, CreateTemplate, Locale, ParamSpec, Template, TemplateName, UpdateTemplate, WhatsAppMapping } from "./record.ts";
export { escapeHtml, paramsSchema, render, validateParams, type Params, type Rendered } from "./render.ts";

/**
 * Message templates: per tenant, per channel, per locale, with typed parameters.
 * A template is stored under its id, and a name entry (channel, name, locale)
 * written with ifNotExists keeps the three unique and finds it when a message
 * names it.
 */

const templatePk = (tenantId: string) => `TEMPLATE#${tenantId}`;
const idSk = (id: string) => `ID#${id}`;
const nameSk = (channel: Channel, name: string, locale: string) => `NAME#${channel}#${name}#${locale}`;

const now = (ports: Ports) => new Date(ports.clock.now()).toISOString();

async function load(ports: Ports, tenantId: string, id: string): Promise<{ item: Item; template: Template }> {
  const item = await ports.store.get(templatePk(tenantId), idSk(id));
  if (!item) throw new NotFoundError(`template ${id}`);
  return { item, template: Template.parse(item.data) };
}

export async function get(ports: Ports, tenantId: string, id: string): Promise<Template> {
  return (await load(ports, tenantId, id)).template;
}

export async function list(ports: Ports, tenantId: string, filter: { channel?: Channel; name?: string } = {}): Promise<Template[]> {
  const found: Template[] = [];
  let cursor: string | undefined;
  do {
    const page = await ports.store.query(templatePk(tenantId), { prefix: "ID#", cursor, limit: 500 });
    found.push(...page.items.map((item) => Template.parse(item.data)));
    cursor = page.cursor;
  } while (cursor);
  return found
    .filter((template) => (!filter.channel || template.channel === filter.channel) && (!filter.name || template.name === filter.name))
    .sort((a, b) => a.name.localeCompare(b.name) || a.channel.localeCompare(b.channel) || a.locale.localeCompare(b.locale));
}

export async function create(ports: Ports, principal: Principal, input: CreateTemplate): Promise<Template> {
  const parsed = CreateTemplate.parse(input);
  const id = `tpl_${randomUUID()}`;
  try {
    await ports.store.put({ pk: templatePk(principal.tenantId), sk: nameSk(parsed.channel, parsed.name, parsed.locale), data: { id } }, { ifNotExists: true });
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    throw new ConflictError(`there is already a ${parsed.channel} template ${parsed.name} in locale ${parsed.locale}; change that one instead`);
  }
  const at = now(ports);
  const template = Template.parse({ ...parsed, id, tenantId: principal.tenantId, createdBy: actorOf(principal), createdAt: at, updatedBy: actorOf(principal), updatedAt: at });
  await ports.store.put({ pk: templatePk(principal.tenantId), sk: idSk(id), data: template }, { ifNotExists: true });
  await Audit.record(ports, principal, { action: "template.created", target: id, changed: Object.keys(parsed) });
  return template;
}

export async function update(ports: Ports, principal: Principal, id: string, input: UpdateTemplate): Promise<Template> {
  const patch = UpdateTemplate.parse(input);
  for (;;) {
    const { item, template } = await load(ports, principal.tenantId, id);
    const merged: Record<string, unknown> = { ...template, updatedBy: actorOf(principal), updatedAt: now(ports) };
    // null clears a field: it is left out of the stored record.
    for (const [key, value] of Object.entries(patch)) if (value !== undefined) merged[key] = value ?? undefined;
    const next = Template.superRefine((candidate, ctx) => checkTemplate(candidate, ctx)).parse(merged);
    try {
      await ports.store.put({ ...item, data: next }, { ifVersion: item.version });
    } catch (error) {
      if (error instanceof ConditionFailedError) continue;
      throw error;
    }
    await Audit.record(ports, principal, { action: "template.updated", target: id, changed: Object.keys(patch) });
    return next;
  }
}

export async function remove(ports: Ports, principal: Principal, id: string): Promise<void> {
  const { item, template } = await load(ports, principal.tenantId, id);
  await ports.store.delete(item.pk, item.sk, { ifVersion: item.version });
  await ports.store.delete(templatePk(principal.tenantId), nameSk(template.channel, template.name, template.locale));
  await Audit.record(ports, principal, { action: "template.deleted", target: id, changed: [] });
}

/** The template a message names: the exact locale, else its language (en-GB → en). */
export async function find(ports: Ports, tenantId: string, channel: Channel, name: string, locale: string): Promise<Template | undefined> {
  for (const candidate of [...new Set([locale, locale.split("-")[0] ?? locale])]) {
    const entry = await ports.store.get(templatePk(tenantId), nameSk(channel, name, candidate));
    if (!entry) continue;
    const item = await ports.store.get(templatePk(tenantId), idSk(String(entry.data.id)));
    if (item) return Template.parse(item.data);
  }
  return undefined;
}

/** Like find, but a 400 that says which versions of the template exist. */
export async function forMessage(ports: Ports, tenantId: string, channel: Channel, name: string, locale: string): Promise<Template> {
  const found = await find(ports, tenantId, channel, name, locale);
  if (found) return found;
  const versions = (await list(ports, tenantId, { name })).map((template) => `${template.channel}/${template.locale}`);
  throw new InvalidInputError(
    `template: there is no ${channel} template ${name} in locale ${locale}${versions.length > 0 ? ` (it exists as ${versions.join(", ")})` : ""}; create it under Templates`,
  );
}

/** The time zone values are shown in: the location's, else the tenant's. */
export async function timeZoneFor(ports: Ports, tenantId: string, locationId?: string): Promise<string> {
  if (locationId) {
    const location = await Tenant.getLocation(ports, tenantId, locationId).catch(() => undefined);
    if (location?.timeZone) return location.timeZone;
  }
  return (await Tenant.getTenant(ports, tenantId)).timeZone;
}

export const PreviewRequest = z.object({ params: z.record(z.string(), z.unknown()).default({}), locationId: z.string().optional() });

/** What a message with these params would say, without sending anything. */
export async function preview(ports: Ports, tenantId: string, id: string, input: z.input<typeof PreviewRequest>): Promise<Rendered> {
  const request = PreviewRequest.parse(input);
  const template = await get(ports, tenantId, id);
  const params = validateParams(template, request.params);
  return render(template, params, { timeZone: await timeZoneFor(ports, tenantId, request.locationId) });
}
