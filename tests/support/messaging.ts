import type { MessageView } from "@sambung/core/message/index";
import type { ProviderView } from "@sambung/core/provider/index";
import type { Template } from "@sambung/core/template/index";
import { expect } from "vitest";
import { call } from "./runtime.ts";
import { waitFor } from "./wait.ts";

/** Test credentials for the simulated messaging providers; none is a real key. */
export const MSG_KEYS = {
  twilioSid: `AC${"e2e0".repeat(8)}`,
  twilioToken: "twilio-auth-token-e2e-0123456789",
  fallbackSid: `AC${"fa11".repeat(8)}`,
  fallbackToken: "twilio-auth-token-fallback-0001",
  metaToken: "EAAG-e2e-access-token-0123456789",
  metaAppSecret: "meta-app-secret-e2e-0123456789",
  metaVerifyToken: "verify-me-e2e-0123",
  metaPhoneId: "109876543210",
  smtpUser: "frontdesk@hotel.example",
  smtpPassword: "smtp-password-e2e-0001",
  resendKey: "re_e2e_0123456789abcdef",
};

export type Api = <T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: T; headers: Headers }>;

/** Calls a hub with a fixed bearer token (an owner session or an API key). */
export function as(url: string, token: string): Api {
  return (method, path, body, headers = {}) => call(url, method, path, body, { authorization: `Bearer ${token}`, ...headers });
}

export async function apiKey(admin: Api, scopes: string[]): Promise<string> {
  const created = await admin<{ key: string }>("POST", "/api/admin/api-keys", { name: `PMS ${scopes.join("+")}`, scopes });
  expect(created.status).toBe(201);
  return created.body.key;
}

export async function provider(admin: Api, body: Record<string, unknown>): Promise<ProviderView> {
  const created = await admin<ProviderView>("POST", "/api/admin/providers", body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

export async function mapFeature(admin: Api, featureKey: string, primary: ProviderView, fallback?: ProviderView): Promise<void> {
  const mapped = await admin("PUT", "/api/admin/features", { mappings: [{ featureKey, primaryProviderId: primary.id, fallbackProviderId: fallback?.id ?? null }] });
  expect(mapped.status, JSON.stringify(mapped.body)).toBe(200);
}

export async function template(admin: Api, body: Record<string, unknown>): Promise<Template> {
  const created = await admin<Template>("POST", "/api/admin/templates", body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

let sequence = 0;
/** A fresh Idempotency-Key per call unless one is given. */
export function newKey(prefix = "e2e-msg"): string {
  sequence += 1;
  return `${prefix}-${Date.now()}-${sequence}`;
}

export async function send(machine: Api, body: Record<string, unknown>, key = newKey()) {
  return machine<MessageView & { error?: { code: string; message: string } }>("POST", "/api/v1/messages", body, { "idempotency-key": key });
}

/** Polls a message until `done` says so. */
export async function waitForMessage(machine: Api, id: string, done: (message: MessageView) => boolean, what: string, timeoutMs = 10_000): Promise<MessageView> {
  return waitFor(
    async () => {
      const { body } = await machine<MessageView>("GET", `/api/v1/messages/${id}`);
      return done(body) ? body : undefined;
    },
    what,
    timeoutMs,
  );
}

/** The Twilio SMS preset on a simulated Twilio. */
export function twilioSms(name: string, baseUrl: string, sid: string, token: string, extra: Record<string, unknown> = {}) {
  return { type: "sms", presetId: "twilio-sms", name, baseUrl, secrets: { apiKey: sid, apiSecret: token }, config: { from: "+15005550006", ...extra } };
}

/** The generic SMTP preset on a local SMTP server, logging in with the test credentials. */
export function smtpMail(name: string, port: number) {
  return {
    type: "mail",
    presetId: "smtp-generic",
    name,
    baseUrl: `smtp://127.0.0.1:${port}`,
    secrets: { username: MSG_KEYS.smtpUser, password: MSG_KEYS.smtpPassword },
    config: { host: "127.0.0.1", port, secure: false, requireTLS: false, from: "Hotel Sambung <stay@hotel.example>" },
  };
}

/** The Meta Cloud API preset on a simulated Graph API. */
export function metaWhatsapp(name: string, baseUrl: string, extra: Record<string, unknown> = {}) {
  return {
    type: "whatsapp",
    presetId: "meta-cloud-api",
    name,
    baseUrl,
    secrets: { accessToken: MSG_KEYS.metaToken, appSecret: MSG_KEYS.metaAppSecret, verifyToken: MSG_KEYS.metaVerifyToken },
    config: { phoneNumberId: MSG_KEYS.metaPhoneId, ...extra },
  };
}

export const META_NUMBERS = { [MSG_KEYS.metaPhoneId]: { display_phone_number: "+62 21 555 0100", verified_name: "Hotel Sambung", quality_rating: "GREEN" } };
