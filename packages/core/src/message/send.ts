import { DomainError } from "../error.ts";
import { blockedHost } from "../format/checks/address-guard.ts";
import { configProblem } from "../format/messaging/engine.ts";
import { engineFor, type OutgoingMessage, type SendResult } from "../format/messaging/index.ts";
import type { Ports } from "../port.ts";
import * as Features from "../provider/features.ts";
import * as Provider from "../provider/index.ts";
import type { Provider as ProviderRecord } from "../provider/record.ts";
import * as Resilience from "../resilience/index.ts";
import { classify, ProviderError, type TrailEntry } from "../resilience/errors.ts";
import type { Attempt } from "../resilience/pipeline.ts";
import * as Template from "../template/index.ts";
import type { Channel, Rendered } from "../template/index.ts";
import { channelOf, LOOKUP_SK, providerRefPk, sameAddressKind } from "./keys.ts";
import type { Message, MessageAttempt, MessageStatus } from "./record.ts";
import { emitOutcome } from "./events.ts";
import { ttlOf } from "./settings.ts";
import { iso, load, mutate } from "./store.ts";

/**
 * The notify worker's send, built so that no message goes out twice:
 *
 * 1. Claim: the message moves queued → sending with a lease (the providers'
 *    timeouts plus a margin) in one conditional write; only one worker wins.
 * 2. Before each provider is called, the attempt is recorded as `sending`.
 * 3. The call goes through the resilience pipeline (breaker, rate limit,
 *    fallback, call log); non-idempotent unless every provider involved takes
 *    our idempotency key.
 * 4. The outcome is recorded: sent (with the vendor's id and a lookup for status
 *    webhooks), or failed — and queued again only when nothing can have left
 *    (every attempt's delivery was "no") or the vendors de-duplicate.
 *
 * A redelivery that finds `sending` waits out the lease (the first worker may
 * still be at it), then recovers: no open attempt means nothing was sent (send
 * now); an open attempt at a vendor that takes idempotency keys is asked again
 * with the same key; any other open attempt is marked `unknown` and left for a
 * person — resending blindly could deliver it twice.
 */

const LEASE_MARGIN_MS = 5_000;
const MAX_LEASE_WAIT_MS = 60_000;
const RENDER_FAILURE = "could not be rendered";

/** Another worker took the message over: this one stops without touching it. */
class ClaimLost extends ProviderError {
  constructor() {
    super({ code: "error", retryable: false, delivery: "no", message: "another worker took this message over" });
  }
}

interface Plan {
  primary: ProviderRecord;
  fallback?: ProviderRecord;
  rendered: Map<Channel, Rendered>;
  idempotent: boolean;
  /** Why a mapped fallback is not used for this message. */
  notes: string[];
}

interface Sent extends SendResult {
  number: number;
  provider: ProviderRecord;
  channel: Channel;
}

const FINAL: readonly MessageStatus[] = ["sent", "delivered", "failed", "unknown"];
const RANK: Record<MessageStatus, number> = { queued: 0, sending: 1, unknown: 1, sent: 2, delivered: 3, failed: 3 };

export async function process(ports: Ports, tenantId: string, messageId: string, delivery: { receiveCount: number; maxReceiveCount: number }): Promise<void> {
  for (let round = 0; round < 3; round += 1) {
    const { message } = await load(ports, tenantId, messageId);
    if (FINAL.includes(message.status)) {
      // Ended, perhaps by a worker that stopped before its event left.
      await emitOutcome(ports, message);
      return;
    }
    if (message.status === "queued") {
      await sendQueued(ports, message, delivery);
      return;
    }
    const waitMs = Date.parse(message.leaseUntil ?? "") - ports.clock.now();
    if (round === 0 && waitMs > 0) {
      // Another worker may still hold the claim (SQS can deliver a message twice): let its lease run out.
      await new Promise((resolve) => setTimeout(resolve, Math.min(waitMs, MAX_LEASE_WAIT_MS)));
      continue;
    }
    await recover(ports, message, delivery);
    return;
  }
}

// ---------------------------------------------------------------- planning

async function render(ports: Ports, message: Message, channel: Channel, timeZone: string): Promise<Rendered | string> {
  const template = await Template.find(ports, message.tenantId, channel, message.template, message.locale);
  if (!template) return `there is no ${channel} template ${message.template} in locale ${message.locale}`;
  try {
    return Template.render(template, Template.validateParams(template, message.params), { timeZone });
  } catch (error) {
    return `the ${channel} template ${message.template} ${RENDER_FAILURE}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Which providers may send this message, and what each channel says. Throws a DomainError when none can. */
async function plan(ports: Ports, message: Message, only?: ProviderRecord): Promise<Plan> {
  const timeZone = await Template.timeZoneFor(ports, message.tenantId, message.locationId);
  const rendered = new Map<Channel, Rendered>();
  const notes: string[] = [];
  const usable = async (provider: ProviderRecord): Promise<string | undefined> => {
    const channel = channelOf(provider.type);
    if (!channel || !engineFor(provider.apiFormat)) return `${provider.name} (${provider.apiFormat}) sends no messages`;
    if (!sameAddressKind(channel, message.channel)) return `${provider.name} sends ${channel}, which cannot reach ${message.to}`;
    if (!rendered.has(channel)) {
      const content = await render(ports, message, channel, timeZone);
      if (typeof content === "string") return content;
      rendered.set(channel, content);
    }
    return undefined;
  };
  const resolved = only ? { primary: only, fallback: undefined } : await Features.resolve(ports, message.tenantId, message.featureKey, message.locationId);
  const problem = await usable(resolved.primary);
  if (problem) throw new DomainError(400, "unsendable", problem);
  let fallback = resolved.fallback;
  if (fallback) {
    const why = await usable(fallback);
    if (why) {
      notes.push(`fallback ${fallback.name} not used: ${why}`);
      fallback = undefined;
    }
  }
  const providers = [resolved.primary, ...(fallback ? [fallback] : [])];
  const idempotent = providers.every((provider) => engineFor(provider.apiFormat)?.takesIdempotencyKey(provider) ?? false);
  return { primary: resolved.primary, fallback, rendered, idempotent, notes };
}

function leaseMs(plan: Plan): number {
  const providers = [plan.primary, ...(plan.fallback ? [plan.fallback] : [])];
  return providers.reduce((sum, provider) => sum + Resilience.policyOf(provider).timeoutMs, 0) + LEASE_MARGIN_MS;
}

// ---------------------------------------------------------------- records

const blockedCache = new Map<string, { at: number; problem?: string }>();

/** The SSRF guard for owner-supplied hosts (base URL, SMTP host, SES endpoint), remembered a minute per record version. */
async function blocked(ports: Ports, provider: ProviderRecord): Promise<string | undefined> {
  if (ports.config.allowPrivateUrls) return undefined;
  const key = `${provider.id}|${provider.updatedAt}|${provider.testMode}`;
  const hit = blockedCache.get(key);
  if (hit && performance.now() - hit.at < 60_000) return hit.problem;
  const problem = await blockedHost(ports, provider, Provider.baseUrlOf(provider));
  if (blockedCache.size > 1000) blockedCache.clear();
  blockedCache.set(key, { at: performance.now(), problem });
  return problem;
}

async function openAttempt(ports: Ports, message: Message, lease: string, provider: ProviderRecord, attempt: Attempt, channel: Channel, keyed: boolean): Promise<number> {
  let number = 0;
  const { changed } = await mutate(ports, message.tenantId, message.id, (current) => {
    if (current.status !== "sending" || current.leaseUntil !== lease) return undefined;
    number = current.attempts.length + 1;
    const entry: MessageAttempt = {
      number,
      providerId: provider.id,
      providerSlug: provider.slug,
      channel,
      role: attempt.role,
      status: "sending",
      startedAt: iso(ports),
      ...(keyed ? { idempotencyKey: message.id } : {}),
    };
    return { ...current, attempts: [...current.attempts, entry] };
  });
  if (!changed) throw new ClaimLost();
  return number;
}

function failedAttempt(ports: Ports, error: ProviderError): Partial<MessageAttempt> {
  return { status: "failed", finishedAt: iso(ports), error: error.message, errorCode: error.code, httpStatus: error.status, delivery: error.delivery };
}

/** Attempts the pipeline skipped without calling (breaker open, rate limited), so the record shows them too. */
function skipped(ports: Ports, message: Message, trail: TrailEntry[] | undefined, roles: Set<string>): MessageAttempt[] {
  const out: MessageAttempt[] = [];
  for (const entry of trail ?? []) {
    if (roles.has(`${entry.role}:${entry.providerId}`) || entry.outcome === "success") continue;
    out.push({
      number: 0,
      providerId: entry.providerId,
      providerSlug: entry.providerSlug,
      channel: message.channel,
      role: entry.role,
      status: "failed",
      startedAt: iso(ports),
      finishedAt: iso(ports),
      error: entry.message,
      errorCode: entry.outcome,
      delivery: "no",
    });
  }
  return out;
}

function withAttempt(message: Message, number: number, change: Partial<MessageAttempt>): MessageAttempt[] {
  return message.attempts.map((entry) => (entry.number === number ? { ...entry, ...change } : entry));
}

/** This round's attempts with the ones the pipeline skipped, in the order they happened (a skipped primary comes first). */
function merge(attempts: MessageAttempt[], skippedNow: MessageAttempt[], roundStart: number): MessageAttempt[] {
  const earlier = attempts.filter((entry) => entry.number < roundStart);
  const round = attempts.filter((entry) => entry.number >= roundStart);
  const primaries = skippedNow.filter((entry) => entry.role !== "fallback");
  const fallbacks = skippedNow.filter((entry) => entry.role === "fallback");
  return [...earlier, ...primaries, ...round, ...fallbacks].map((entry, index) => ({ ...entry, number: index + 1 }));
}

// ---------------------------------------------------------------- sending

async function claim(ports: Ports, message: Message, from: "queued" | "expired", plan: Plan): Promise<string | undefined> {
  const lease = new Date(ports.clock.now() + leaseMs(plan)).toISOString();
  const { changed } = await mutate(ports, message.tenantId, message.id, (current) => {
    const ours = from === "queued" ? current.status === "queued" : current.status === "sending" && current.leaseUntil === message.leaseUntil;
    if (!ours) return undefined;
    const detail = plan.notes.length > 0 ? plan.notes.join("; ") : undefined;
    return { ...current, status: "sending", leaseUntil: lease, history: [...current.history, { status: "sending", at: iso(ports), source: from === "queued" ? "worker" : "recovery", ...(detail ? { detail } : {}) }] };
  });
  return changed ? lease : undefined;
}

async function fail(ports: Ports, message: Message, reason: string, status: "failed" | "queued", source: "worker" | "recovery", extra: MessageAttempt[] = [], roundStart = Number.MAX_SAFE_INTEGER): Promise<void> {
  const { message: after, changed } = await mutate(ports, message.tenantId, message.id, (current) => {
    if (FINAL.includes(current.status)) return undefined;
    return {
      ...current,
      status,
      leaseUntil: undefined,
      error: reason,
      attempts: merge(current.attempts, extra, roundStart),
      ...(status === "failed" ? { failedAt: iso(ports) } : {}),
      history: [...current.history, { status, at: iso(ports), source, detail: reason.slice(0, 500) }],
    };
  });
  if (changed && after.status === "failed") await emitOutcome(ports, after);
}

async function sendQueued(ports: Ports, message: Message, delivery: { receiveCount: number; maxReceiveCount: number }): Promise<void> {
  let chosen: Plan;
  try {
    chosen = await plan(ports, message);
  } catch (error) {
    if (error instanceof DomainError && error.status < 500) return fail(ports, message, error.message, "failed", "worker");
    throw error;
  }
  const lease = await claim(ports, message, "queued", chosen);
  if (!lease) return;
  await run(ports, message, lease, chosen, delivery, false);
}

async function recover(ports: Ports, message: Message, delivery: { receiveCount: number; maxReceiveCount: number }): Promise<void> {
  const open = message.attempts.filter((entry) => entry.status === "sending");
  const last = open.at(-1);
  if (!last) {
    // Claimed, but no provider was given the request: nothing can have been sent.
    const { changed } = await mutate(ports, message.tenantId, message.id, (current) =>
      current.status === "sending" && current.leaseUntil === message.leaseUntil
        ? { ...current, status: "queued", leaseUntil: undefined, history: [...current.history, { status: "queued", at: iso(ports), source: "recovery", detail: "the worker stopped before any provider was called" }] }
        : undefined,
    );
    if (changed) await sendQueued(ports, (await load(ports, message.tenantId, message.id)).message, delivery);
    return;
  }
  const provider = await Provider.get(ports, message.tenantId, last.providerId).catch(() => undefined);
  const keyed = provider && last.idempotencyKey && engineFor(provider.apiFormat)?.takesIdempotencyKey(provider);
  let unaskable = "takes no idempotency key";
  if (provider && keyed) {
    let chosen: Plan | undefined;
    try {
      chosen = await plan(ports, message, provider);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      unaskable = `could not be asked again (${error.message})`;
    }
    if (chosen) {
      const lease = await claim(ports, message, "expired", chosen);
      if (!lease) return;
      // The vendor de-duplicates on the key: asking again returns the first send's answer, or sends it if it never arrived.
      await mutate(ports, message.tenantId, message.id, (current) => ({
        ...current,
        attempts: withAttempt(current, last.number, { status: "unknown", finishedAt: iso(ports), error: "the worker stopped during this attempt; asked again with the same idempotency key" }),
      }));
      await run(ports, message, lease, { ...chosen, idempotent: true }, delivery, true);
      return;
    }
  }
  const name = provider?.name ?? last.providerSlug;
  const reason = `the worker stopped while ${name} had the request, so it may or may not have been sent; ${name} ${unaskable}, so it was not sent again (that could deliver it twice). Check ${name}'s log and resend from the admin app if it did not arrive`;
  await mutate(ports, message.tenantId, message.id, (current) => {
    if (current.status !== "sending" || current.leaseUntil !== message.leaseUntil) return undefined;
    return {
      ...current,
      status: "unknown",
      leaseUntil: undefined,
      error: reason,
      attempts: withAttempt(current, last.number, { status: "unknown", finishedAt: iso(ports), error: "outcome lost: the worker stopped during this attempt", delivery: "maybe" }),
      history: [...current.history, { status: "unknown", at: iso(ports), source: "recovery", detail: reason }],
    };
  });
}

function outgoing(ports: Ports, message: Message, provider: ProviderRecord, channel: Channel, rendered: Rendered): OutgoingMessage {
  return {
    id: message.id,
    channel,
    to: message.to,
    rendered,
    // Media and files travel only on the channel they were given for (an SMS fallback drops them).
    attachments: channel === message.channel ? message.attachments.map(({ filename, contentType, content, url }) => ({ filename, contentType, content, url })) : [],
    statusCallbackUrl: ports.config.publicUrl ? Provider.webhookUrl(ports, provider) : undefined,
  };
}

async function run(ports: Ports, message: Message, lease: string, chosen: Plan, delivery: { receiveCount: number; maxReceiveCount: number }, direct: boolean): Promise<void> {
  const called = new Set<string>();
  const failures: ProviderError[] = [];
  const roundStart = (await load(ports, message.tenantId, message.id)).message.attempts.length + 1;
  const options: Resilience.ProviderCallOptions<Sent> = {
    action: `send_${message.channel}`,
    idempotent: chosen.idempotent,
    featureKey: message.featureKey,
    request: { messageId: message.id, template: message.template, channel: message.channel },
    run: async (provider, attempt) => {
      const channel = channelOf(provider.type) as Channel;
      const engine = engineFor(provider.apiFormat);
      const rendered = chosen.rendered.get(channel);
      if (!engine || !rendered) throw configProblem(provider, `cannot send ${channel} messages`);
      called.add(`${attempt.role}:${provider.id}`);
      const number = await openAttempt(ports, message, lease, provider, attempt, channel, engine.takesIdempotencyKey(provider));
      try {
        const problem = await blocked(ports, provider);
        if (problem) throw configProblem(provider, problem);
        const secrets = await Provider.secretsOf(ports, provider);
        const result = await engine.send({ ports, provider, secrets, baseUrl: Provider.baseUrlOf(provider), attempt }, outgoing(ports, message, provider, channel, rendered));
        return { ...result, number, provider, channel };
      } catch (thrown) {
        const error = classify(thrown);
        failures.push(error);
        await mutate(ports, message.tenantId, message.id, (current) => ({ ...current, attempts: withAttempt(current, number, failedAttempt(ports, error)) })).catch(() => undefined);
        throw error;
      }
    },
  };
  let result: Resilience.CallResult<Sent>;
  try {
    result = direct ? await Resilience.callProvider(ports, chosen.primary, options) : await Resilience.callProviders(ports, { primary: chosen.primary, fallback: chosen.fallback }, options);
  } catch (thrown) {
    if (thrown instanceof ClaimLost) return;
    const error = classify(thrown);
    const extra = skipped(ports, message, error.trail, called);
    // Safe to try again later only when nothing can have reached a provider, or the vendors de-duplicate.
    const nothingLeft = [...failures, ...extra.map(() => ({ delivery: "no" as const }))].every((entry) => entry.delivery === "no");
    const again = error.retryable && (chosen.idempotent || nothingLeft) && delivery.receiveCount < delivery.maxReceiveCount;
    await fail(ports, message, error.message, again ? "queued" : "failed", direct ? "recovery" : "worker", extra, roundStart);
    if (again) throw error;
    return;
  }
  const sent = result.value;
  if (sent.providerMessageId) {
    await ports.store.put({ pk: providerRefPk(sent.provider.id, sent.providerMessageId), sk: LOOKUP_SK, ttl: ttlOf(message), data: { tenantId: message.tenantId, messageId: message.id } });
  }
  const extra = skipped(ports, message, result.trail, called);
  await mutate(ports, message.tenantId, message.id, (current) => {
    // A status webhook may have overtaken the worker: never move backwards.
    const status: MessageStatus = RANK[current.status] >= RANK.sent && current.status !== "unknown" ? current.status : "sent";
    return {
      ...current,
      status,
      leaseUntil: undefined,
      error: undefined,
      providerId: sent.provider.id,
      providerSlug: sent.provider.slug,
      deliveredChannel: sent.channel,
      providerMessageId: sent.providerMessageId,
      usedFallback: result.usedFallback,
      sentAt: current.sentAt ?? iso(ports),
      attempts: merge(
        withAttempt(current, sent.number, { status: "sent", finishedAt: iso(ports), providerMessageId: sent.providerMessageId, rawStatus: sent.rawStatus, delivery: "yes" }),
        extra,
        roundStart,
      ),
      history: status === current.status ? current.history : [...current.history, { status, at: iso(ports), source: direct ? "recovery" : "worker", ...(result.usedFallback ? { detail: `sent by fallback ${sent.provider.name}` } : {}) }],
    };
  });
}
