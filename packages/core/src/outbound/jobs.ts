import { createHash, randomUUID } from "node:crypto";
import * as Audit from "../audit/index.ts";
import { NotFoundError } from "../error.ts";
import { ConditionFailedError, type Item, type Ports } from "../port.ts";
import { actorOf, type Principal } from "../tenant/model.ts";
import { DELIVER_QUEUE, redriveOne } from "./deliveries.ts";
import { deadIndexPk, deliveryIdRange, jobLockSk, jobPk, jobSk } from "./keys.ts";
import { Delivery, RedriveFilter, RedriveJob, type RedriveJobMessage } from "./model.ts";
import * as Subscriptions from "./subscriptions.ts";

/**
 * Bulk redrive: a job record walks the tenant's dead deliveries (optionally of one
 * subscription, for events in [since, until]) a step at a time on the `deliver`
 * queue. Each step first writes the ids it takes, then redrives them, then moves
 * the cursor on; a step cut short by a crash comes back with its message and
 * redoes only what is not done (a delivery this job redrove is never redriven
 * by it again). Asking again for the same filter while a job runs returns that
 * job (and wakes it, if its message was lost), so nothing is sent twice.
 */

const STEP_SIZE = 100;

const iso = (ports: Ports) => new Date(ports.clock.now()).toISOString();

async function loadJob(ports: Ports, tenantId: string, jobId: string): Promise<{ item: Item; job: RedriveJob } | undefined> {
  const item = await ports.store.get(jobPk(tenantId), jobSk(jobId));
  return item ? { item, job: RedriveJob.parse(item.data) } : undefined;
}

async function sendStep(ports: Ports, job: RedriveJob): Promise<void> {
  const message: RedriveJobMessage = { kind: "redrive-job", tenantId: job.tenantId, jobId: job.id, step: job.step };
  await ports.queue.send(DELIVER_QUEUE, [{ body: JSON.stringify(message) }]);
}

export async function getJob(ports: Ports, tenantId: string, jobId: string): Promise<RedriveJob> {
  const found = await loadJob(ports, tenantId, jobId);
  if (!found) throw new NotFoundError(`redrive job ${jobId}`);
  return found.job;
}

export async function startJob(ports: Ports, principal: Principal, input: unknown): Promise<{ job: RedriveJob; existing: boolean }> {
  const filter = RedriveFilter.parse(input ?? {});
  if (filter.subscriptionId) await Subscriptions.get(ports, principal.tenantId, filter.subscriptionId);
  const normalized = {
    subscriptionId: filter.subscriptionId,
    since: filter.since ? new Date(filter.since).toISOString() : undefined,
    until: filter.until ? new Date(filter.until).toISOString() : undefined,
  };
  const filterKey = createHash("sha256")
    .update(JSON.stringify([normalized.subscriptionId ?? "", normalized.since ?? "", normalized.until ?? ""]))
    .digest("hex")
    .slice(0, 24);
  const pk = jobPk(principal.tenantId);
  for (let round = 0; round < 10; round += 1) {
    const lock = await ports.store.get(pk, jobLockSk(filterKey));
    if (lock) {
      const running = await loadJob(ports, principal.tenantId, String(lock.data.jobId));
      if (running && running.job.status === "running") {
        await sendStep(ports, running.job);
        return { job: running.job, existing: true };
      }
      try {
        await ports.store.delete(pk, lock.sk, { ifVersion: lock.version });
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
      continue;
    }
    const now = iso(ports);
    const job = RedriveJob.parse({
      id: `rdj_${randomUUID()}`,
      tenantId: principal.tenantId,
      filter: normalized,
      filterKey,
      status: "running",
      step: 0,
      more: true,
      batch: [],
      scanned: 0,
      redriven: 0,
      skipped: 0,
      createdBy: actorOf(principal),
      createdAt: now,
      updatedAt: now,
    });
    await ports.store.put({ pk, sk: jobSk(job.id), data: job }, { ifNotExists: true });
    try {
      await ports.store.put({ pk, sk: jobLockSk(filterKey), data: { jobId: job.id } }, { ifNotExists: true });
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      // Someone started the same job a moment ago: answer with theirs.
      await ports.store.delete(pk, jobSk(job.id));
      continue;
    }
    await sendStep(ports, job);
    await Audit.record(ports, principal, {
      action: "deliveries.redrive_started",
      target: job.id,
      changed: Object.entries(normalized)
        .filter(([, value]) => value !== undefined)
        .map(([key]) => key),
    });
    return { job, existing: false };
  }
  throw new Error("could not start the redrive job: the lock kept changing");
}

/** One step of a job, from the `deliver` worker. */
export async function runStep(ports: Ports, message: RedriveJobMessage): Promise<void> {
  let found = await loadJob(ports, message.tenantId, message.jobId);
  if (!found || found.job.status === "done") return;
  if (message.step === found.job.step - 1) {
    // The previous step's message came back after a crash that fell between writing this
    // step and sending its message: send it (a duplicate is harmless, the step check drops it).
    await sendStep(ports, found.job);
    return;
  }
  if (message.step !== found.job.step) return;

  const tenantId = message.tenantId;
  if (found.job.batch.length === 0) {
    const { from, to } = deliveryIdRange(found.job.filter.since, found.job.filter.until);
    const page = await ports.store.query(deadIndexPk(tenantId), { index: "gsi1", from, to, cursor: found.job.cursor, limit: STEP_SIZE });
    const batch = page.items
      .map((item) => Delivery.parse(item.data))
      .filter((delivery) => !found?.job.filter.subscriptionId || delivery.subscriptionId === found.job.filter.subscriptionId)
      .map((delivery) => delivery.id);
    const taken: RedriveJob = {
      ...found.job,
      batch,
      cursor: page.cursor ?? found.job.cursor,
      more: Boolean(page.cursor),
      scanned: found.job.scanned + page.items.length,
      updatedAt: iso(ports),
    };
    try {
      found = { item: await ports.store.put({ ...found.item, data: taken }, { ifVersion: found.item.version }), job: taken };
    } catch (error) {
      if (error instanceof ConditionFailedError) return; // a duplicate message is running this step
      throw error;
    }
  }

  let redriven = 0;
  let skipped = 0;
  for (const id of found.job.batch) {
    const { outcome } = await redriveOne(ports, tenantId, id, found.job.createdBy, { jobId: found.job.id });
    if (outcome === "redriven" || outcome === "already") redriven += 1;
    else skipped += 1;
  }
  const done = !found.job.more;
  const next: RedriveJob = {
    ...found.job,
    batch: [],
    step: found.job.step + 1,
    redriven: found.job.redriven + redriven,
    skipped: found.job.skipped + skipped,
    status: done ? "done" : "running",
    updatedAt: iso(ports),
    finishedAt: done ? iso(ports) : undefined,
  };
  try {
    await ports.store.put({ ...found.item, data: next }, { ifVersion: found.item.version });
  } catch (error) {
    if (error instanceof ConditionFailedError) return;
    throw error;
  }
  if (done) await ports.store.delete(jobPk(tenantId), jobLockSk(next.filterKey));
  else await sendStep(ports, next);
}
