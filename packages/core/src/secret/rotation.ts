import { z } from "zod";
import * as Audit from "../audit/index.ts";
import { ConditionFailedError, type Ports } from "../port.ts";
import { SEALED_INDEX_PK, SecretBox, sealedIndex } from "./box.ts";

const JOB_PK = "PLATFORM#KEYROTATION";
const JOB_SK = "CURRENT";

export const RotationJob = z.object({
  id: z.string(),
  status: z.enum(["running", "done"]),
  /** Every box sealed at or before this moment is re-sealed by the job. */
  startedAt: z.string(),
  keyId: z.string(),
  rewrapped: z.number().int(),
  finishedAt: z.string().optional(),
});
export type RotationJob = z.infer<typeof RotationJob>;

/**
 * Re-seals every secret box under a new master key (local) or a fresh data key
 * (KMS). Resumable: a job that stopped halfway continues where it was, since the
 * boxes it already did were re-sealed after it started and drop out of its range.
 * Old keys stay in the keyring, so every secret stays readable throughout.
 * `maxItems` bounds one call (tests use it to stop a rotation halfway).
 */
export async function rotate(ports: Ports, options: { maxItems?: number } = {}): Promise<RotationJob> {
  const now = () => new Date(ports.clock.now()).toISOString();
  const existing = await ports.store.get(JOB_PK, JOB_SK);
  let job = existing ? RotationJob.parse(existing.data) : undefined;
  let version = existing?.version;
  if (!job || job.status === "done") {
    const keyId = await ports.keyring.rotate();
    job = { id: `rot_${ports.clock.now().toString(36)}`, status: "running", startedAt: now(), keyId, rewrapped: 0 };
    version = (await ports.store.put({ pk: JOB_PK, sk: JOB_SK, data: job }, version === undefined ? { ifNotExists: true } : { ifVersion: version })).version;
  }

  const budget = options.maxItems ?? Number.POSITIVE_INFINITY;
  const perTenant = new Map<string, number>();
  let done = 0;
  while (done < budget) {
    const page = await ports.store.query(SEALED_INDEX_PK, { index: "gsi1", to: `${job.startedAt}#\u{10FFFF}`, limit: Math.min(100, budget - done) });
    if (page.items.length === 0) break;
    for (const item of page.items) {
      const box = SecretBox.parse(item.data.secretBox);
      const sealed = await ports.keyring.rewrap(box.sealed, box.context);
      // Strictly after the job's start, so the box leaves the job's range even within one millisecond.
      const sealedAt = new Date(Math.max(ports.clock.now(), Date.parse(job.startedAt) + 1)).toISOString();
      const next: SecretBox = { ...box, sealed, sealedAt };
      try {
        await ports.store.put({ ...item, ...sealedIndex(next), data: { ...item.data, secretBox: next } }, { ifVersion: item.version });
      } catch (error) {
        // Changed under us (an owner saved new secrets): it was sealed anew, which is all we wanted.
        if (!(error instanceof ConditionFailedError)) throw error;
      }
      const tenant = box.context.tenant ?? "unknown";
      perTenant.set(tenant, (perTenant.get(tenant) ?? 0) + 1);
      done += 1;
    }
  }

  const finished = done < budget;
  job = { ...job, rewrapped: job.rewrapped + done, ...(finished ? { status: "done" as const, finishedAt: now() } : {}) };
  await ports.store.put({ pk: JOB_PK, sk: JOB_SK, data: job }, { ifVersion: version });
  for (const [tenantId, count] of perTenant) {
    await Audit.record(ports, { tenantId, system: "key-rotation" }, { action: "provider.key_rotated", target: job.id, changed: [`${count} sealed records`] });
  }
  return job;
}

export async function status(ports: Ports): Promise<RotationJob | undefined> {
  const item = await ports.store.get(JOB_PK, JOB_SK);
  return item ? RotationJob.parse(item.data) : undefined;
}
