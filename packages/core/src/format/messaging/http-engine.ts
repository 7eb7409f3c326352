import { randomBytes } from "node:crypto";
import type { HttpRequest } from "../../port.ts";
import type { Provider } from "../../provider/record.ts";
import type { Rendered } from "../../template/index.ts";
import { clean } from "../checks/outcome.ts";
import { AuthConfigError, asRecord, buildRequest, type AuthSpec, type Credentials, type Endpoint, type Vars } from "../http-auth.ts";
import { firstPresent, scalar } from "../path.ts";
import { bareMessageId, configProblem, vendorRefused, type MessagingEngine, type OutgoingMessage, type SendContext, type SendResult } from "./engine.ts";

/**
 * The record-driven HTTP sender behind every HTTP messaging format. The record's
 * `config.endpoints.<name>` (send, sendTemplate, sendSession, sendMedia) is
 * templated with the variables below (presets/README.md lists them), sent with
 * the record's auth, and read with `config.response.send`:
 *
 * - `messageId` (path) or `messageIdHeader`: the vendor's id for the message;
 * - `status` + `successValue`, or `ok` (a path that must be true): a 2xx that
 *   still says "not accepted" (Vonage status "0", Zenziva "1", Postmark ErrorCode 0);
 * - `errorText` / `errorMessage` / `message`: the vendor's words when it refuses.
 *
 * `config.notAcceptedStatuses` (default [429, 503]): HTTP answers that mean the
 * vendor did not take the message (RFC 9110: 503 is "unable to handle the
 * request", 429 "too many requests"), so a fallback may send it. Any other
 * failure after the request left is ambiguous and never falls back.
 *
 * Idempotency: a record whose send endpoint puts `{{message.idempotencyKey}}` or
 * `{{mail.idempotencyKey}}` anywhere (Resend's Idempotency-Key header) takes a
 * key; the key is our message id, so a resend after a crash sends nothing new.
 */

export interface FormatShape {
  /** The record endpoint that sends this message (first one present wins). */
  endpoints(message: OutgoingMessage): string[];
  /** Used when the record has no `config.auth` / `config.credentials` (made without a preset). */
  auth?: AuthSpec;
  credentials?: Credentials;
  /** Format-documented additions to a JSON body (attachments, media objects). */
  finish?(body: Record<string, unknown>, message: OutgoingMessage, endpoint: string): Record<string, unknown>;
}

const DEFAULT_NOT_ACCEPTED = [429, 503];
const ERROR_PATHS = [
  "error.message",
  "error.error_data.details",
  "errors[0].message",
  "errors[0].detail",
  "message",
  "Message",
  "error_message",
  "errorText",
  "detail",
  "reason",
  "info",
  "text",
];

function endpointOf(provider: Provider, name: string): Endpoint | undefined {
  const value = asRecord(asRecord(provider.config.endpoints)[name]);
  return typeof value.path === "string" && value.path !== "" ? (value as unknown as Endpoint) : undefined;
}

/** Meta Cloud API template components (also 360dialog): a text header and the body, each positional. */
function components(whatsapp: NonNullable<Rendered["whatsapp"]>): unknown[] | undefined {
  const list: unknown[] = [];
  if (whatsapp.header.length > 0) list.push({ type: "header", parameters: whatsapp.header.map((param) => ({ type: "text", text: param.value })) });
  if (whatsapp.body.length > 0) list.push({ type: "body", parameters: whatsapp.body.map((param) => ({ type: "text", text: param.value })) });
  return list.length > 0 ? list : undefined;
}

/** WhatsApp media kinds by content type (Cloud API: image, video, audio, document). */
export function mediaKind(contentType: string | undefined): "image" | "video" | "audio" | "document" {
  if (contentType?.startsWith("image/")) return "image";
  if (contentType?.startsWith("video/")) return "video";
  if (contentType?.startsWith("audio/")) return "audio";
  return "document";
}

export function varsFor(provider: Provider, message: OutgoingMessage): Vars {
  const rendered = message.rendered;
  const phone = message.channel !== "email";
  const whatsapp = rendered.whatsapp;
  const media = message.attachments.find((attachment) => attachment.url);
  const config = provider.config;
  return {
    message: {
      id: message.id,
      idempotencyKey: message.id,
      to: phone ? message.to : undefined,
      toDigits: phone ? message.to.replace(/^\+/, "") : undefined,
      text: rendered.text,
      template: whatsapp?.name,
      language: whatsapp?.language,
      templateComponents: whatsapp ? components(whatsapp) : undefined,
      templateParameters: whatsapp && whatsapp.body.length > 0 ? whatsapp.body.map((param) => ({ name: param.name, value: param.value })) : undefined,
      templateVariablesJson: whatsapp ? JSON.stringify(Object.fromEntries(whatsapp.body.map((param, index) => [String(index + 1), param.value]))) : undefined,
      mediaUrl: media?.url,
      mediaType: media ? mediaKind(media.contentType) : undefined,
      mediaFilename: media?.filename,
    },
    mail: {
      from: config.from,
      replyTo: config.replyTo,
      to: phone ? undefined : message.to,
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      idempotencyKey: message.id,
    },
    urls: { webhook: message.statusCallbackUrl },
  };
}

function sendsIdempotencyKey(endpoint: Endpoint | undefined): boolean {
  if (!endpoint) return false;
  return /\{\{\s*(message|mail)\.idempotencyKey\s*\}\}/.test(JSON.stringify([endpoint.path, endpoint.headers ?? {}, endpoint.query ?? {}, endpoint.body ?? {}]));
}

/** A multipart/form-data body (Mailgun): text fields, then file parts. */
function multipart(fields: [string, string][], files: { field: string; filename: string; contentType: string; content: Buffer }[]): { body: Uint8Array<ArrayBuffer>; contentType: string } {
  const boundary = `sambung-${randomBytes(12).toString("hex")}`;
  const parts: Buffer[] = [];
  const quote = (value: string) => value.replace(/["\r\n]/g, "_");
  for (const [name, value] of fields) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"\r\n\r\n${value}\r\n`, "utf8"));
  }
  for (const file of files) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quote(file.field)}"; filename="${quote(file.filename)}"\r\nContent-Type: ${file.contentType}\r\n\r\n`, "utf8"));
    parts.push(file.content, Buffer.from("\r\n"));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`, "utf8"));
  const joined = Buffer.concat(parts);
  const body = new Uint8Array(new ArrayBuffer(joined.byteLength));
  body.set(joined);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

function build(context: SendContext, shape: FormatShape, endpointName: string, endpoint: Endpoint, message: OutgoingMessage): HttpRequest {
  const { provider } = context;
  const vars = varsFor(provider, message);
  const isMultipart = (endpoint.contentType ?? "").includes("multipart/form-data");
  const isForm = (endpoint.contentType ?? "").includes("x-www-form-urlencoded");
  let request: ReturnType<typeof buildRequest>;
  try {
    request = buildRequest(
      { ports: context.ports, provider, secrets: context.secrets, baseUrl: context.baseUrl },
      isMultipart ? { ...endpoint, contentType: "application/x-www-form-urlencoded" } : endpoint,
      { vars, auth: shape.auth, credentials: shape.credentials, timeoutMs: context.attempt.timeoutMs },
    );
  } catch (error) {
    if (error instanceof AuthConfigError) throw configProblem(provider, error.message);
    throw error;
  }
  if (isMultipart) {
    const files = message.attachments
      .filter((attachment) => attachment.content)
      .map((attachment) => ({ field: "attachment", filename: attachment.filename, contentType: attachment.contentType, content: Buffer.from(attachment.content ?? "", "base64") }));
    const encoded = multipart([...new URLSearchParams(request.body ?? "").entries()], files);
    return { ...request, body: encoded.body, headers: { ...request.headers, "content-type": encoded.contentType } };
  }
  if (!isForm && shape.finish && typeof request.body === "string") {
    const body = asRecord(JSON.parse(request.body));
    return { ...request, body: JSON.stringify(shape.finish(body, message, endpointName)) };
  }
  return request;
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function vendorWords(json: unknown, body: string, mapping: Record<string, unknown>, secrets: Record<string, string>): string | undefined {
  const paths = [mapping.errorText, mapping.errorMessage, mapping.message, ...ERROR_PATHS].filter((path): path is string => typeof path === "string");
  const said = scalar(firstPresent(json, paths).value) ?? (json === undefined && body.trim() && body.length < 300 && !/<html/i.test(body) ? body.trim() : undefined);
  return said ? clean(said, secrets) : undefined;
}

function notAccepted(provider: Provider): number[] {
  const configured = provider.config.notAcceptedStatuses;
  return Array.isArray(configured) ? configured.filter((status): status is number => typeof status === "number") : DEFAULT_NOT_ACCEPTED;
}

function matchesSuccess(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) return expected.some((value) => matchesSuccess(actual, value));
  return String(actual) === String(expected);
}

export function httpEngine(shape: FormatShape): MessagingEngine {
  return {
    takesIdempotencyKey: (provider) => sendsIdempotencyKey(endpointOf(provider, "send")),
    async send(context, message): Promise<SendResult> {
      const { provider } = context;
      const names = shape.endpoints(message);
      const endpointName = names.find((name) => endpointOf(provider, name));
      if (!endpointName) {
        throw configProblem(provider, `config.endpoints.${names[0]} is not set; start from a preset or add the vendor's send request to the record`);
      }
      const endpoint = endpointOf(provider, endpointName) as Endpoint;
      const request = build(context, shape, endpointName, endpoint, message);
      const response = await context.attempt.fetch(request, { throwOnError: false });
      const json = parseJson(response.body);
      const responses = asRecord(provider.config.response);
      const mapping = asRecord(responses[endpointName] ?? responses.send);
      if (response.status >= 300) {
        const words = vendorWords(json, response.body, mapping, context.secrets);
        const refused = notAccepted(provider).includes(response.status);
        throw vendorRefused(provider, `HTTP ${response.status}${words ? ` "${words}"` : ""}`, {
          status: response.status,
          retryable: refused || response.status >= 500 || response.status === 408,
          delivery: refused ? "no" : "yes",
        });
      }
      const okPath = typeof mapping.ok === "string" ? mapping.ok : undefined;
      if (okPath) {
        const value = firstPresent(json, okPath).value;
        if (value !== true && value !== "true") throw vendorRefused(provider, vendorWords(json, response.body, mapping, context.secrets) ?? `${okPath} is ${String(value)}`);
      }
      const rawStatus = typeof mapping.status === "string" ? scalar(firstPresent(json, mapping.status).value) : undefined;
      if (mapping.successValue !== undefined && rawStatus !== undefined && !matchesSuccess(rawStatus, mapping.successValue)) {
        throw vendorRefused(provider, `status ${rawStatus}${(() => {
          const words = vendorWords(json, response.body, mapping, context.secrets);
          return words ? ` "${words}"` : "";
        })()}`);
      }
      const headerName = typeof mapping.messageIdHeader === "string" ? mapping.messageIdHeader.toLowerCase() : undefined;
      const fromHeader = headerName ? Object.entries(response.headers).find(([name]) => name.toLowerCase() === headerName)?.[1] : undefined;
      const fromBody = mapping.messageId !== undefined ? scalar(firstPresent(json, mapping.messageId).value) : undefined;
      return { providerMessageId: bareMessageId(fromHeader ?? fromBody), rawStatus };
    },
  };
}
