import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Ports } from "../port.ts";
import { actorOf, type Principal } from "../tenant/model.ts";

export const AuditEntry = z.object({
  id: z.string(),
  tenantId: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  /** Names of the fields that changed; never their values, so a secret cannot leak here. */
  changed: z.array(z.string()),
  at: z.string(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

const auditPk = (tenantId: string) => `AUDIT#${tenantId}`;

export async function record(
  ports: Ports,
  principal: Principal | { tenantId: string; system: string },
  entry: { action: string; target: string; changed: string[] },
): Promise<AuditEntry> {
  const at = new Date(ports.clock.now()).toISOString();
  const audit = AuditEntry.parse({
    id: randomUUID(),
    tenantId: principal.tenantId,
    actor: "system" in principal ? `system:${principal.system}` : actorOf(principal),
    ...entry,
    at,
  });
  await ports.store.put({ pk: auditPk(audit.tenantId), sk: `${at}#${audit.id}`, data: audit });
  return audit;
}

export async function list(ports: Ports, tenantId: string, options: { cursor?: string; limit?: number } = {}) {
  const page = await ports.store.query(auditPk(tenantId), { reverse: true, cursor: options.cursor, limit: options.limit ?? 50 });
  return { items: page.items.map((item) => AuditEntry.parse(item.data)), cursor: page.cursor };
}
