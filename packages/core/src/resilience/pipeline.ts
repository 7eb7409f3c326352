import type { HttpRequest, HttpResponse, HttpStream, Ports } from "../port.ts";
import * as Features from "../provider/features.ts";
import type { Provider } from "../provider/record.ts";
import { newCallId, type CallOutcome, type CallRecord, type TokenUsage } from "../telemetry/call-log.ts";
import { summarize } from "../telemetry/pii.ts";
import { Recorder, type Raw } from "../telemetry/recorder.ts";
import { fullJitter, realSleep, type Sleeper } from "./backoff.ts";
import { Breakers, type Admission } from "./breaker.ts";
import { classify, ProviderError, type Delivery, type TrailEntry } from "./errors.ts";
import { policyOf } from "./policy.ts";
import { RateLimiter } from "./rate-limit.ts";

/**
 * The one path every provider call takes:
 *
 *   feature → mapping (location, else tenant) → primary provider →
 *   rate limit → circuit breaker → timeout → retries (idempotent only) →
 *   fallback provider → call log + rollup + metrics.
 *
 * Retries: only idempotent calls, up to `retry.maxAttempts` per provider (3), with
 * exponential backoff and full jitter, never shorter than the provider's
 * Retry-After; a Retry-After longer than `retry.maxRetryAfterMs` (10 s) moves the
 * call to the fallback instead of waiting. Only retryable failures are retried:
 * 408, 425, 429, 5xx, timeouts, resets, unreachable hosts.
 *
 * Fallback: an idempotent call moves to the fallback after a retryable failure on
 * the primary (retries spent), an open breaker or our rate limit. A 4xx — bad
 * request, declined card, bad key — is the answer, never a reason to ask another
 * provider. A NON-idempotent call is sent at most once, anywhere: never retried,
 * and it falls back only when we know the primary never received it — breaker
 * open, rate limited here, connection refused or host not found. After a timeout
 * or a reset it may have been processed, so the error goes back to the caller.
 */

export interface Attempt {
  /** 1-based, on this provider within this call. */
  number: number;
  role: "primary" | "fallback" | "direct";
  /** This attempt's time budget; pass it on to whatever transport the format engine uses. */
  timeoutMs: number;
  /** Aborted when the attempt times out. */
  signal: AbortSignal;
  /**
   * ports.http.fetch with this attempt's timeout, noting request and response for
   * the call log. A status ≥ 400 throws a classified ProviderError unless
   * `throwOnError: false` (to read a 4xx body and throw a better message).
   * `logged` replaces what the call log keeps of the request (a body with a guest's words).
   */
  fetch(request: HttpRequest, options?: { throwOnError?: boolean; errorMessage?: string; logged?: unknown }): Promise<HttpResponse>;
  /**
   * ports.http.stream under this attempt's timeout and signal (plus `signal`, e.g.
   * the caller going away), for answers read as they arrive. A status ≥ 400 reads
   * the body and throws a classified ProviderError unless `throwOnError: false`.
   * The run notes what the call log keeps of the answer (`note`).
   */
  stream(request: HttpRequest, options?: { throwOnError?: boolean; errorMessage?: string; signal?: AbortSignal; logged?: unknown }): Promise<HttpStream>;
  /** For transports other than HTTP, and streamed answers: what to keep in the call log (masked before it is stored). */
  note(summary: { request?: unknown; response?: unknown; status?: number; usage?: TokenUsage }): void;
}

export type Run<T> = (provider: Provider, attempt: Attempt) => Promise<T>;

interface Common<T> {
  /** What the call does, for the log and metrics: "charge", "send_sms", "push_ari". */
  action: string;
  /** Safe to send twice (GET, status checks, calls with an idempotency key the provider honours). */
  idempotent: boolean;
  /** Per-attempt timeout; default the provider's `config.timeoutMs`, else 30 s (AI 120 s). */
  timeoutMs?: number;
  correlationId?: string;
  /** What the request was about, for the call log (masked); the attempt's own notes override it. */
  request?: unknown;
  run: Run<T>;
}

export interface CallOptions<T> extends Common<T> {
  tenantId: string;
  featureKey: string;
  locationId?: string;
}

export interface ProviderCallOptions<T> extends Common<T> {
  featureKey?: string;
}

export interface CallResult<T> {
  value: T;
  providerId: string;
  providerSlug: string;
  usedFallback: boolean;
  /** Times `run` was invoked, over all providers. */
  attempts: number;
  trail: TrailEntry[];
}

export interface PipelineOptions {
  sleep?: Sleeper;
  /** For the jitter; tests make it deterministic. */
  random?: () => number;
  /** How long breaker state is cached in memory (default 1 s). */
  cacheMs?: number;
  recorder?: Recorder;
  /** Monotonic milliseconds, for latencies (performance.now by default). */
  elapsed?: () => number;
  /** How long a feature's resolved providers are remembered, in real time (default 1 s; 0 = never). */
  resolveCacheMs?: number;
}

type Outcome<T> = { ok: true; value: T; attempts: number } | { ok: false; error: ProviderError; delivery: Delivery; attempts: number };

interface Notes {
  request?: unknown;
  response?: unknown;
  status?: number;
  usage?: TokenUsage;
}

export class Pipeline {
  readonly breakers: Breakers;
  readonly limiter = new RateLimiter();
  readonly recorder: Recorder;
  private readonly sleep: Sleeper;
  private readonly random: () => number;
  private readonly elapsed: () => number;
  private readonly resolveCacheMs: number;
  private readonly resolved = new Map<string, { at: number; ports: Ports; value: { primary: Provider; fallback?: Provider } }>();

  constructor(options: PipelineOptions = {}) {
    this.breakers = new Breakers({ cacheMs: options.cacheMs });
    this.recorder = options.recorder ?? new Recorder();
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.elapsed = options.elapsed ?? (() => performance.now());
    this.resolveCacheMs = options.resolveCacheMs ?? 1_000;
  }

  /** A call for a feature: resolves the mapping, then primary and (when allowed) fallback. */
  async call<T>(ports: Ports, options: CallOptions<T>): Promise<CallResult<T>> {
    const resolved = await this.resolve(ports, options);
    return this.callProviders(ports, resolved, options);
  }

  /**
   * The feature's providers, remembered for `resolveCacheMs` (1 s) of real time per
   * process: the mapping and provider reads cost more than the rest of the pipeline
   * together. The trade-off, as for breaker state: a mapping or provider change
   * (deactivated, re-keyed) reaches a warm process up to that long after it is saved.
   * `forget()` drops the memory at once.
   */
  private async resolve(ports: Ports, options: CallOptions<unknown>): Promise<{ primary: Provider; fallback?: Provider }> {
    if (this.resolveCacheMs <= 0) return Features.resolve(ports, options.tenantId, options.featureKey, options.locationId);
    const key = `${options.tenantId}|${options.featureKey}|${options.locationId ?? ""}`;
    const now = this.elapsed();
    const hit = this.resolved.get(key);
    if (hit && hit.ports === ports && now - hit.at < this.resolveCacheMs) return hit.value;
    const value = await Features.resolve(ports, options.tenantId, options.featureKey, options.locationId);
    if (this.resolved.size >= 10_000) this.resolved.clear();
    this.resolved.set(key, { at: now, ports, value });
    return value;
  }

  /** Forget remembered feature mappings and breaker states (after changing them, in tests). */
  forget(): void {
    this.resolved.clear();
    this.breakers.clear();
    this.limiter.clear();
  }

  /** Primary, then (when the rules allow) fallback, for callers that resolved the providers themselves. */
  async callProviders<T>(ports: Ports, providers: { primary: Provider; fallback?: Provider }, options: ProviderCallOptions<T>): Promise<CallResult<T>> {
    const trail: TrailEntry[] = [];
    const first = await this.onProvider(ports, providers.primary, "primary", options);
    trail.push(entry(providers.primary, "primary", first));
    if (first.ok) return result(providers.primary, first, false, trail);

    const fallback = providers.fallback;
    // Retryable failures only (a 4xx or a bug is the answer); a non-idempotent call only when it never left.
    const mayFallBack = fallback !== undefined && first.error.retryable && (options.idempotent || first.delivery === "no");
    if (!fallback || !mayFallBack) throw withTrail(first.error, trail);
    const second = await this.onProvider(ports, fallback, "fallback", options);
    trail.push(entry(fallback, "fallback", second));
    if (second.ok) return { ...result(fallback, second, true, trail), attempts: first.attempts + second.attempts };
    throw withTrail(second.error, trail);
  }

  /** A call aimed at one provider (test connection, status checks): same limits, breaker, timeout, retries and log. */
  async callProvider<T>(ports: Ports, provider: Provider, options: ProviderCallOptions<T>): Promise<CallResult<T>> {
    const outcome = await this.onProvider(ports, provider, "direct", options);
    const trail = [entry(provider, "direct", outcome)];
    if (outcome.ok) return result(provider, outcome, false, trail);
    throw withTrail(outcome.error, trail);
  }

  private async onProvider<T>(ports: Ports, provider: Provider, role: Attempt["role"], options: ProviderCallOptions<T>): Promise<Outcome<T>> {
    const policy = policyOf(provider);
    const timeoutMs = options.timeoutMs ?? policy.timeoutMs;
    const maxAttempts = options.idempotent ? policy.retry.maxAttempts : 1;
    let delivery: Delivery = "no";
    let attempts = 0;
    let last: ProviderError | undefined;
    for (let number = 1; number <= maxAttempts; number += 1) {
      if (policy.rateLimit) {
        const taken = await this.limiter.take(ports, provider, policy.rateLimit);
        if (!taken.ok) {
          last = new ProviderError({
            code: "rate_limited",
            retryable: true,
            delivery: "no",
            retryAfterMs: taken.retryAfterMs,
            message: `${provider.name} is at its configured rate limit (${policy.rateLimit.perSecond}/s); try again in ${Math.ceil(taken.retryAfterMs / 1000)} s`,
          });
          await this.skipped(ports, provider, role, number, options, last);
          break;
        }
      }
      const admission = await this.breakers.admit(ports, provider, timeoutMs);
      if (admission.kind === "open") {
        last = new ProviderError({
          code: "circuit_open",
          retryable: true,
          delivery: "no",
          retryAfterMs: admission.retryAfterMs,
          message: `${provider.name} failed repeatedly; calls to it are paused for ${Math.ceil(admission.retryAfterMs / 1000)} s (circuit open)`,
        });
        await this.skipped(ports, provider, role, number, options, last);
        break;
      }
      attempts += 1;
      const startedAt = ports.clock.now();
      const started = this.elapsed();
      const notes: Notes = {};
      const end = this.trace(ports, provider, options.action, number);
      try {
        const value = await this.attempt(ports, provider, role, number, timeoutMs, options.run, notes);
        const latencyMs = this.elapsed() - started;
        const record = this.record(provider, role, number, options, startedAt, latencyMs, "success", notes);
        end(record);
        await Promise.all([this.settleBreaker(ports, provider, admission), this.recorder.record(ports, record, startedAt, rawOf(notes, options))]);
        return { ok: true, value, attempts };
      } catch (thrown) {
        const latencyMs = this.elapsed() - started;
        const error = classify(thrown);
        if (error.delivery !== "no") delivery = error.delivery;
        last = error;
        const record = this.record(provider, role, number, options, startedAt, latencyMs, outcomeOf(error), notes, error);
        end(record);
        await Promise.all([this.settleBreaker(ports, provider, admission, error), this.recorder.record(ports, record, startedAt, rawOf(notes, options))]);
        if (!error.retryable || !options.idempotent || number === maxAttempts) break;
        let delay = fullJitter(number, policy.retry, this.random);
        if (error.retryAfterMs !== undefined) {
          if (error.retryAfterMs > policy.retry.maxRetryAfterMs) break;
          delay = Math.max(delay, error.retryAfterMs);
        }
        await this.sleep(delay);
      }
    }
    return { ok: false, error: last ?? new ProviderError({ code: "error", retryable: false, message: "the call was not attempted" }), delivery, attempts };
  }

  /** Tells the breaker how the attempt went. A store hiccup here is reported, never thrown over the provider's own outcome. */
  private async settleBreaker(ports: Ports, provider: Provider, admission: Admission, error?: ProviderError): Promise<void> {
    try {
      if (error) await this.breakers.failed(ports, provider, policyOf(provider), admission, error);
      else await this.breakers.succeeded(ports, provider, admission);
    } catch (problem) {
      this.recorder.sink.problem?.(`breaker update for ${provider.slug} failed`, problem);
    }
  }

  /** The sink's span around one attempt; a sink that throws is ignored. */
  private trace(ports: Ports, provider: Provider, action: string, attempt: number): (record: CallRecord) => void {
    let end: ((record: CallRecord) => void) | undefined;
    try {
      end = this.recorder.sink.trace?.(
        { providerId: provider.id, providerSlug: provider.slug, providerType: provider.type, action, attempt },
        ports.config.runtime,
      );
    } catch {
      end = undefined;
    }
    return (record) => {
      try {
        end?.(record);
      } catch {
        // tracing must not fail the call
      }
    };
  }

  /** One attempt under its timeout. The attempt's promise is raced, so a run that ignores the signal cannot hold the call. */
  private async attempt<T>(ports: Ports, provider: Provider, role: Attempt["role"], number: number, timeoutMs: number, run: Run<T>, notes: Notes): Promise<T> {
    const controller = new AbortController();
    const attempt: Attempt = {
      number,
      role,
      timeoutMs,
      signal: controller.signal,
      fetch: async (request, options = {}) => {
        notes.request = options.logged ?? { method: request.method ?? "GET", url: pathOf(request.url), ...(request.body !== undefined ? { body: bodyText(request.body) } : {}) };
        const response = await ports.http.fetch({ ...request, timeoutMs: Math.min(request.timeoutMs ?? timeoutMs, timeoutMs) });
        notes.status = response.status;
        notes.response = response.body;
        if ((options.throwOnError ?? true) && response.status >= 400) {
          throw ProviderError.fromResponse(response, options.errorMessage ?? `${provider.name} answered HTTP ${response.status}`, ports.clock.now());
        }
        return response;
      },
      stream: async (request, options = {}) => {
        notes.request = options.logged ?? { method: request.method ?? "GET", url: pathOf(request.url), ...(request.body !== undefined ? { body: bodyText(request.body) } : {}) };
        const signal = options.signal ? AbortSignal.any([controller.signal, options.signal]) : controller.signal;
        const response = await ports.http.stream({ ...request, timeoutMs: Math.min(request.timeoutMs ?? timeoutMs, timeoutMs), signal });
        notes.status = response.status;
        if ((options.throwOnError ?? true) && response.status >= 400) {
          const body = await response.text().catch(() => "");
          notes.response = body;
          throw ProviderError.fromResponse(
            { status: response.status, headers: response.headers },
            options.errorMessage ?? `${provider.name} answered HTTP ${response.status}`,
            ports.clock.now(),
          );
        }
        return response;
      },
      note: (summary) => {
        if (summary.request !== undefined) notes.request = summary.request;
        if (summary.response !== undefined) notes.response = summary.response;
        if (summary.status !== undefined) notes.status = summary.status;
        if (summary.usage !== undefined) notes.usage = summary.usage;
      },
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new ProviderError({ code: "timeout", retryable: true, delivery: "maybe", message: `no answer from ${provider.name} within ${timeoutMs} ms` });
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    try {
      return await Promise.race([run(provider, attempt), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async skipped(ports: Ports, provider: Provider, role: Attempt["role"], number: number, options: ProviderCallOptions<unknown>, error: ProviderError): Promise<void> {
    const at = ports.clock.now();
    await this.recorder.record(ports, this.record(provider, role, number, options, at, 0, "skipped", {}, error), at, rawOf({}, options));
  }

  private record(
    provider: Provider,
    role: Attempt["role"],
    number: number,
    options: ProviderCallOptions<unknown>,
    startedAt: number,
    latencyMs: number,
    outcome: CallOutcome,
    notes: Notes,
    error?: ProviderError,
  ): CallRecord {
    const status = error?.status ?? notes.status;
    return {
      id: newCallId(),
      at: new Date(startedAt).toISOString(),
      tenantId: provider.tenantId,
      providerId: provider.id,
      providerSlug: provider.slug,
      providerType: provider.type,
      featureKey: options.featureKey,
      action: options.action,
      role,
      attempt: number,
      idempotent: options.idempotent,
      outcome,
      code: error?.code,
      httpStatus: status,
      latencyMs: Math.round(latencyMs * 1000) / 1000,
      error: error ? summarize(error.message, 500) : undefined,
      usage: notes.usage,
      correlationId: options.correlationId,
    };
  }
}

function rawOf(notes: Notes, options: ProviderCallOptions<unknown>): Raw {
  return { request: notes.request ?? options.request, response: notes.response };
}

function outcomeOf(error: ProviderError): CallOutcome {
  return error.code === "rejected" ? "rejected" : "failure";
}

function pathOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}${parsed.search ? "?…" : ""}`;
  } catch {
    return "(unparsable URL)";
  }
}

function bodyText(body: string | Uint8Array): string {
  return typeof body === "string" ? body : `(${body.byteLength} bytes)`;
}

function entry(provider: Provider, role: TrailEntry["role"], outcome: Outcome<unknown>): TrailEntry {
  return {
    providerId: provider.id,
    providerSlug: provider.slug,
    role,
    attempts: outcome.attempts,
    outcome: outcome.ok ? "success" : outcome.error.code,
    ...(outcome.ok ? {} : { message: outcome.error.message }),
  };
}

function result<T>(provider: Provider, outcome: { value: T; attempts: number }, usedFallback: boolean, trail: TrailEntry[]): CallResult<T> {
  return { value: outcome.value, providerId: provider.id, providerSlug: provider.slug, usedFallback, attempts: outcome.attempts, trail };
}

function withTrail(error: ProviderError, trail: TrailEntry[]): ProviderError {
  error.trail = trail;
  return error;
}
