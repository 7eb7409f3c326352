import { z } from "zod";
import { InvalidInputError } from "../error.ts";
import { isCaptchaFormat, readAnswer, verifyEndpoint, verifyVars } from "../format/captcha/siteverify.ts";
import { blockedHost } from "../format/checks/address-guard.ts";
import { buildRequest, jsonOf, str } from "../format/http-auth.ts";
import type { Ports } from "../port.ts";
import * as Provider from "../provider/index.ts";
import { FeatureKey, resolve } from "../provider/features.ts";
import type { Provider as ProviderRecord } from "../provider/record.ts";
import * as Resilience from "../resilience/index.ts";
import type { Principal } from "../tenant/model.ts";

/**
 * Captcha: verify a widget token with the provider the feature maps
 * (Turnstile, hCaptcha, reCAPTCHA v3), through the resilience pipeline.
 * The answer is the vendor's verdict in one shape; our own rules on top:
 * reCAPTCHA v3's score must reach `config.minScore` (0.5 unless the record says
 * otherwise; a success without a score, as with Google's test keys, is not
 * scored), an hCaptcha Enterprise risk score must not exceed `config.maxScore`
 * when set, and `config.expectedAction` must match the answer's action when set.
 */

export const VerifyCaptcha = z.object({
  featureKey: FeatureKey,
  token: z.string().trim().min(1, "send the token the captcha widget gave the visitor").max(8192, "a captcha token is at most 8192 characters"),
  remoteIp: z.union([z.ipv4(), z.ipv6()], { error: "remoteIp: send the visitor's IP address (IPv4 or IPv6), or leave it out" }).optional(),
});
export type VerifyCaptcha = z.infer<typeof VerifyCaptcha>;

export interface CaptchaVerdict {
  success: boolean;
  score?: number;
  action?: string;
  hostname?: string;
  challengeTs?: string;
  /** The vendor's error codes, plus ours: score-too-low, score-too-high, action-mismatch. */
  errors: string[];
  /** The slug of the provider that answered. */
  provider: string;
}

const DEFAULT_MIN_SCORE = 0.5;

function threshold(provider: ProviderRecord, key: string, fallback?: number): number | undefined {
  const value = Number(provider.config[key]);
  return provider.config[key] !== undefined && provider.config[key] !== "" && Number.isFinite(value) ? value : fallback;
}

function judge(provider: ProviderRecord, answer: ReturnType<typeof readAnswer>): Omit<CaptchaVerdict, "provider"> {
  const errors = [...answer.errorCodes];
  let success = answer.success;
  if (success && answer.score !== undefined) {
    if (provider.apiFormat === "recaptcha_v3") {
      const min = threshold(provider, "minScore", DEFAULT_MIN_SCORE);
      if (min !== undefined && answer.score < min) errors.push("score-too-low");
    } else {
      const max = threshold(provider, "maxScore");
      if (max !== undefined && answer.score > max) errors.push("score-too-high");
    }
  }
  const expected = str(provider.config.expectedAction);
  if (success && expected && answer.action !== expected) errors.push("action-mismatch");
  if (errors.length > answer.errorCodes.length) success = false;
  return {
    success,
    ...(answer.score !== undefined ? { score: answer.score } : {}),
    ...(answer.action ? { action: answer.action } : {}),
    ...(answer.hostname ? { hostname: answer.hostname } : {}),
    ...(answer.challengeTs ? { challengeTs: answer.challengeTs } : {}),
    errors,
  };
}

export async function verify(ports: Ports, principal: Principal, input: VerifyCaptcha): Promise<CaptchaVerdict> {
  const body = VerifyCaptcha.parse(input);
  const locationId = principal.kind === "apiKey" ? principal.locationId : undefined;
  const { primary, fallback } = await resolve(ports, principal.tenantId, body.featureKey, locationId);
  if (!isCaptchaFormat(primary.apiFormat)) throw new InvalidInputError(`feature ${body.featureKey} is mapped to ${primary.name}, which is not a captcha provider`);
  const result = await Resilience.callProviders(
    ports,
    { primary, fallback: fallback && isCaptchaFormat(fallback.apiFormat) ? fallback : undefined },
    {
      featureKey: body.featureKey,
      action: "captcha.verify",
      // Verifying changes nothing on our side; a retried token the vendor already saw fails closed (timeout-or-duplicate).
      idempotent: true,
      run: async (provider, attempt) => {
        const context = { ports, provider, secrets: await Provider.secretsOf(ports, provider), baseUrl: Provider.baseUrlOf(provider) };
        // Provider hosts are the owner's to set: they may only be public addresses (unless a development hub allows private ones).
        const blocked = await blockedHost(ports, provider, context.baseUrl);
        if (blocked) throw new Resilience.ProviderError({ code: "error", retryable: false, delivery: "no", message: blocked });
        const request = buildRequest(context, verifyEndpoint(provider), { auth: { method: "none" }, vars: verifyVars(body.token, body.remoteIp) });
        const response = await attempt.fetch(request);
        const json = jsonOf(response);
        if (json === undefined) {
          throw new Resilience.ProviderError({ code: "error", retryable: false, delivery: "yes", status: response.status, message: `${provider.name} answered something other than JSON` });
        }
        return judge(provider, readAnswer(provider, json));
      },
    },
  );
  return { ...result.value, provider: result.providerSlug };
}
