import { randomBytes, randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { verifySigV4, type SigV4Key } from "./aws-sigv4.ts";
import { basicAuth, bearer, header, routes, startHttpFake, type Fake, type FakeRequest, type FakeResponse, type HttpFake } from "./server.ts";

/**
 * Mail providers' key checks, as documented:
 * - Postmark GET /server with X-Postmark-Server-Token; 401 ErrorCode 10
 *   (postmarkapp.com/developer/api/server-api, /developer/api/overview#error-codes).
 * - SendGrid GET /v3/scopes with a Bearer key; 401 {errors:[{message:"authorization required"}]}
 *   (docs.sendgrid.com/api-reference/api-key-permissions/retrieve-a-list-of-scopes-for-which-this-user-has-access).
 * - Resend GET /domains with a Bearer key: 401 missing_api_key, 403 invalid_api_key,
 *   401 restricted_api_key for a sending-only key; a request without User-Agent is refused
 *   (resend.com/docs/api-reference/errors, /api-reference/introduction).
 * - Mailgun GET /v3/domains/{domain} with Basic("api":key): 401 "Forbidden", 404 "Domain not found"
 *   (documentation.mailgun.com/docs/mailgun/api-reference/openapi-final/tag/Domains).
 * - SMTP: smtp-server (a real SMTP peer) with AUTH PLAIN/LOGIN.
 * - SES v2 GET /v2/email/account with SigV4; errors as rest-json with x-amzn-ErrorType
 *   (docs.aws.amazon.com/ses/latest/APIReference-V2/API_GetAccount.html, /CommonErrors.html).
 */

/** A message a mail API fake accepted, as the vendor would keep it. */
export interface AcceptedMail {
  id: string;
  fields: Record<string, unknown>;
  attachments: { filename: string; contentType: string; size: number }[];
}

/**
 * Postmark, plus POST /email (postmarkapp.com/developer/api/email-api): X-Postmark-Server-Token,
 * JSON { From, To, Subject, TextBody?, HtmlBody?, MessageStream?, Attachments? }; answers
 * { To, SubmittedAt, MessageID, ErrorCode: 0, Message: "OK" }, a missing field 422 ErrorCode 300.
 */
export async function startPostmarkFake(options: { serverToken: string; name?: string }): Promise<HttpFake & { sent: AcceptedMail[] }> {
  const sent: AcceptedMail[] = [];
  const fake = await startHttpFake(
    routes(
      {
        "POST /email": (request) => {
          if (header(request, "X-Postmark-Server-Token") !== options.serverToken) {
            return { status: 401, json: { ErrorCode: 10, Message: "The Server Token you provided in the X-Postmark-Server-Token request header was invalid." } };
          }
          const body = request.fields ?? {};
          if (typeof body.From !== "string" || typeof body.To !== "string") return { status: 422, json: { ErrorCode: 300, Message: "Invalid email request" } };
          if (!body.TextBody && !body.HtmlBody) return { status: 422, json: { ErrorCode: 300, Message: "Provide either email TextBody or HtmlBody or both." } };
          const id = randomUUID();
          const attachments = Array.isArray(body.Attachments) ? (body.Attachments as { Name: string; ContentType: string; Content: string }[]) : [];
          sent.push({ id, fields: body, attachments: attachments.map((file) => ({ filename: file.Name, contentType: file.ContentType, size: Buffer.from(file.Content, "base64").length })) });
          return { json: { To: body.To, SubmittedAt: new Date().toISOString(), MessageID: id, ErrorCode: 0, Message: "OK" } };
        },
        "GET /server": (request) => {
          const token = header(request, "X-Postmark-Server-Token");
          if (!token) return { status: 401, json: { ErrorCode: 10, Message: "Request does not contain a valid Server token." } };
          if (token !== options.serverToken) {
            return {
              status: 401,
              json: {
                ErrorCode: 10,
                Message: "The Server Token you provided in the X-Postmark-Server-Token request header was invalid. Please verify that you are using a valid token.",
              },
            };
          }
          return {
            json: {
              ID: 1,
              Name: options.name ?? "Hotel Sambung",
              ApiTokens: [options.serverToken],
              Color: "red",
              SmtpApiActivated: true,
              DeliveryType: "Live",
              InboundAddress: "yourhash@inbound.postmarkapp.com",
            },
          };
        },
      },
      { status: 404, json: { ErrorCode: 404, Message: "The requested resource was not found." } },
    ),
  );
  return { ...fake, sent };
}

/**
 * SendGrid, plus POST /v3/mail/send (twilio.com/docs/sendgrid/api-reference/mail-send/mail-send):
 * Bearer key, JSON { personalizations: [{ to: [{ email }] }], from: { email }, subject,
 * content: [{ type, value }] (each value non-empty), attachments? }; 202 with an empty body
 * and the message id in X-Message-Id; a bad body is 400 { errors: [{ message, field }] }.
 */
export async function startSendGridFake(options: { apiKey: string; scopes?: string[] }): Promise<HttpFake & { sent: AcceptedMail[] }> {
  const sent: AcceptedMail[] = [];
  const fake = await startHttpFake(
    routes({
      "POST /v3/mail/send": (request) => {
        if (bearer(request) !== options.apiKey) return { status: 401, json: { errors: [{ field: null, message: "authorization required" }] } };
        const body = request.fields ?? {};
        const personalizations = body.personalizations as { to?: { email?: string }[] }[] | undefined;
        if (!personalizations?.[0]?.to?.[0]?.email) return { status: 400, json: { errors: [{ message: "The personalizations field is required and must have at least one personalization.", field: "personalizations" }] } };
        const content = (body.content ?? []) as { type?: string; value?: string }[];
        if (content.length === 0 || content.some((part) => !part.value)) return { status: 400, json: { errors: [{ message: "The content value must be a string at least one character in length.", field: "content.0.value" }] } };
        const id = randomBytes(16).toString("base64url").slice(0, 22);
        const attachments = (body.attachments ?? []) as { filename: string; type: string; content: string }[];
        sent.push({ id, fields: body, attachments: attachments.map((file) => ({ filename: file.filename, contentType: file.type, size: Buffer.from(file.content, "base64").length })) });
        return { status: 202, text: "", headers: { "X-Message-Id": id } };
      },
      "GET /v3/scopes": (request) => {
        if (bearer(request) !== options.apiKey) return { status: 401, json: { errors: [{ field: null, message: "authorization required" }] } };
        return { json: { scopes: options.scopes ?? ["mail.send", "alerts.read", "stats.read"] } };
      },
    }),
  );
  return { ...fake, sent };
}

export interface ResendEmail {
  id: string;
  idempotencyKey?: string;
  body: Record<string, unknown>;
}

/**
 * Resend, plus POST /emails (resend.com/docs/api-reference/emails/send-email): Bearer key,
 * JSON { from, to, subject, html?, text? }, answer { id }. An Idempotency-Key seen in the
 * last 24 hours returns the first answer and sends nothing new; the same key with another
 * body is 409 invalid_idempotent_request (resend.com/docs/dashboard/emails/idempotency-keys).
 * `send` can make a request hang after Resend took the e-mail (a lost answer).
 */
export async function startResendFake(options: {
  apiKey: string;
  sendingOnlyKey?: string;
  domains?: { name: string; status: string }[];
  send?: (request: FakeRequest, count: number) => "hang" | undefined;
}): Promise<HttpFake & { emails: ResendEmail[] }> {
  const error = (statusCode: number, name: string, message: string): FakeResponse => ({ status: statusCode, json: { statusCode, message, name } });
  const emails: ResendEmail[] = [];
  const byKey = new Map<string, { body: string; id: string }>();
  let sends = 0;
  const fake = await startHttpFake(
    routes({
      "POST /emails": async (request: FakeRequest) => {
        if (!header(request, "user-agent")) return { status: 403, text: "error code: 1010" };
        const key = bearer(request);
        if (!key) return error(401, "missing_api_key", "Missing API key in the authorization header.");
        if (key !== options.apiKey && key !== options.sendingOnlyKey) return error(403, "invalid_api_key", "API key is invalid");
        const body = request.fields;
        if (!body || typeof body.from !== "string" || !body.to || typeof body.subject !== "string") {
          return error(422, "validation_error", "The `from`, `to` and `subject` fields are required.");
        }
        const idempotencyKey = header(request, "idempotency-key");
        const seen = idempotencyKey ? byKey.get(idempotencyKey) : undefined;
        if (seen) {
          if (seen.body !== request.body) return error(409, "invalid_idempotent_request", "Same idempotency key used with a different request payload.");
          return { json: { id: seen.id } };
        }
        const id = randomUUID();
        emails.push({ id, idempotencyKey, body });
        if (idempotencyKey) byKey.set(idempotencyKey, { body: request.body, id });
        sends += 1;
        if (options.send?.(request, sends) === "hang") return new Promise<FakeResponse>(() => undefined);
        return { json: { id } };
      },
      "GET /domains": (request: FakeRequest) => {
        if (!header(request, "user-agent")) return { status: 403, text: "error code: 1010" };
        const key = bearer(request);
        if (!key) return error(401, "missing_api_key", "Missing API key in the authorization header. Include the following header in the request: Authorization: Bearer YOUR_API_KEY");
        if (key === options.sendingOnlyKey) return error(401, "restricted_api_key", "This API key is restricted to only send emails");
        if (key !== options.apiKey) return error(403, "invalid_api_key", "API key is invalid");
        const domains = options.domains ?? [{ name: "mail.hotel.example", status: "verified" }];
        return {
          json: {
            object: "list",
            data: domains.map((domain) => ({ id: randomUUID(), ...domain, created_at: "2025-01-01 00:00:00.000000+00", region: "us-east-1" })),
          },
        };
      },
    }),
  );
  return { ...fake, emails };
}

/** Fields and file parts of a multipart/form-data body (RFC 7578). */
function multipartOf(request: FakeRequest): { fields: Record<string, string>; files: { field: string; filename: string; contentType: string; size: number }[] } {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(String(request.headers["content-type"] ?? ""));
  const fields: Record<string, string> = {};
  const files: { field: string; filename: string; contentType: string; size: number }[] = [];
  if (!boundary) return { fields, files };
  const raw = request.raw.toString("latin1");
  for (const part of raw.split(`--${boundary[1] ?? boundary[2]}`)) {
    const split = part.indexOf("\r\n\r\n");
    if (split === -1) continue;
    const head = part.slice(0, split);
    const value = part.slice(split + 4).replace(/\r\n$/, "");
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    if (name === undefined) continue;
    const filename = /filename="([^"]*)"/i.exec(head)?.[1];
    if (filename !== undefined) files.push({ field: name, filename, contentType: /content-type:\s*([^\r\n]+)/i.exec(head)?.[1] ?? "", size: Buffer.from(value, "latin1").length });
    else fields[name] = Buffer.from(value, "latin1").toString("utf8");
  }
  return { fields, files };
}

/**
 * Mailgun, plus POST /v3/{domain}/messages (documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/messages):
 * Basic("api":key), multipart/form-data from, to, subject, text / html, attachment files;
 * answers { id: "<…@domain>", message: "Queued. Thank you." }; a missing field is 400 { message }.
 */
export async function startMailgunFake(options: { apiKey: string; domain: string; state?: string }): Promise<HttpFake & { sent: AcceptedMail[] }> {
  const sent: AcceptedMail[] = [];
  const fake = await startHttpFake(
    routes(
      {
        "POST /v3/:domain/messages": (request, [domain = ""]) => {
          const credentials = basicAuth(request);
          if (!credentials || credentials.user !== "api" || credentials.password !== options.apiKey) return { status: 401, text: "Forbidden", headers: { "content-type": "text/plain" } };
          if (domain !== options.domain) return { status: 404, json: { message: "Domain not found" } };
          if (!String(request.headers["content-type"] ?? "").startsWith("multipart/form-data")) return { status: 400, json: { message: "expected multipart/form-data" } };
          const { fields, files } = multipartOf(request);
          for (const name of ["from", "to", "subject"]) if (!fields[name]) return { status: 400, json: { message: `'${name}' parameter is missing` } };
          if (!fields.text && !fields.html) return { status: 400, json: { message: "Need at least one of 'text', 'html', 'amp-html' or 'template' parameters specified" } };
          const id = `${Date.now()}.${randomBytes(4).toString("hex")}@${domain}`;
          sent.push({ id, fields, attachments: files.map((file) => ({ filename: file.filename, contentType: file.contentType, size: file.size })) });
          return { json: { id: `<${id}>`, message: "Queued. Thank you." } };
        },
        "GET /v3/domains/:domain": (request, [domain = ""]) => {
          const credentials = basicAuth(request);
          if (!credentials || credentials.user !== "api" || credentials.password !== options.apiKey) {
            return { status: 401, text: "Forbidden", headers: { "content-type": "text/plain" } };
          }
          if (domain !== options.domain) return { status: 404, json: { message: "Domain not found" } };
          return {
            json: {
              domain: { name: domain, state: options.state ?? "active", type: "custom", created_at: "Wed, 01 Jan 2025 00:00:00 GMT", spam_action: "disabled", wildcard: false },
              receiving_dns_records: [],
              sending_dns_records: [],
            },
          };
        },
      },
      { status: 404, json: { message: "Not Found" } },
    ),
  );
  return { ...fake, sent };
}

export interface SmtpFake extends Fake {
  host: string;
  port: number;
  /** User names that logged in successfully. */
  logins: string[];
  /** Every message accepted after DATA: the SMTP envelope and the raw RFC 5322 message. */
  messages: { from: string; to: string[]; raw: string }[];
}

export async function startSmtpFake(options: { username: string; password: string }): Promise<SmtpFake> {
  const logins: string[] = [];
  const messages: SmtpFake["messages"] = [];
  const server = new SMTPServer({
    authMethods: ["PLAIN", "LOGIN"],
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === options.username && auth.password === options.password) {
        logins.push(auth.username ?? "");
        callback(null, { user: auth.username });
        return;
      }
      const refused = new Error("Invalid username or password") as Error & { responseCode?: number };
      refused.responseCode = 535;
      callback(refused);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((address) => address.address),
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    host: "127.0.0.1",
    port,
    logins,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * SES v2, plus SendEmail POST /v2/email/outbound-emails (docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html):
 * SigV4, JSON { FromEmailAddress, Destination: { ToAddresses }, Content: { Simple: { Subject, Body: { Text, Html } } } };
 * answers { MessageId }; a bad body is 400 BadRequestException.
 */
export async function startSesFake(options: SigV4Key & { region: string; productionAccess?: boolean }): Promise<HttpFake & { sent: AcceptedMail[] }> {
  const sent: AcceptedMail[] = [];
  const awsError = (status: number, type: string, message: string): FakeResponse => ({
    status,
    headers: { "x-amzn-ErrorType": `${type}:http://internal.amazon.com/coral/com.amazon.coral.service/`, "x-amzn-RequestId": randomUUID() },
    json: { message },
  });
  const refused = (verdict: Exclude<ReturnType<typeof verifySigV4>, { ok: true }>): FakeResponse => {
    switch (verdict.reason) {
      case "unknown-key":
        return awsError(403, "UnrecognizedClientException", "The security token included in the request is invalid.");
      case "missing":
        return awsError(403, "MissingAuthenticationTokenException", verdict.message);
      case "malformed":
        return awsError(400, "IncompleteSignatureException", verdict.message);
      default:
        return awsError(403, "SignatureDoesNotMatch", verdict.message);
    }
  };
  const fake = await startHttpFake(
    routes(
      {
        "POST /v2/email/outbound-emails": (request) => {
          const verdict = verifySigV4(request, options, { region: options.region, service: "ses" });
          if (!verdict.ok) return refused(verdict);
          const body = (request.fields ?? {}) as { FromEmailAddress?: string; Destination?: { ToAddresses?: string[] }; Content?: { Simple?: { Subject?: { Data?: string }; Body?: Record<string, unknown> } } };
          if (!body.FromEmailAddress || !body.Destination?.ToAddresses?.length || !body.Content?.Simple?.Subject?.Data) {
            return awsError(400, "BadRequestException", "FromEmailAddress, Destination and Content are required");
          }
          const id = `0100${randomBytes(20).toString("hex")}-000000`;
          sent.push({ id, fields: body as Record<string, unknown>, attachments: [] });
          return { headers: { "x-amzn-RequestId": randomUUID() }, json: { MessageId: id } };
        },
        "GET /v2/email/account": (request) => {
          const verdict = verifySigV4(request, options, { region: options.region, service: "ses" });
          if (!verdict.ok) return refused(verdict);
          return {
            headers: { "x-amzn-RequestId": randomUUID() },
            json: {
              DedicatedIpAutoWarmupEnabled: false,
              EnforcementStatus: "HEALTHY",
              ProductionAccessEnabled: options.productionAccess ?? false,
              SendQuota: { Max24HourSend: 200, MaxSendRate: 1, SentLast24Hours: 0 },
              SendingEnabled: true,
              SuppressionAttributes: { SuppressedReasons: ["BOUNCE", "COMPLAINT"] },
            },
          };
        },
      },
      awsError(404, "NotFoundException", "Not Found"),
    ),
  );
  return { ...fake, sent };
}
