import { randomUUID } from "node:crypto";
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

export async function startPostmarkFake(options: { serverToken: string; name?: string }): Promise<HttpFake> {
  return startHttpFake(
    routes(
      {
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
}

export async function startSendGridFake(options: { apiKey: string; scopes?: string[] }): Promise<HttpFake> {
  return startHttpFake(
    routes({
      "GET /v3/scopes": (request) => {
        if (bearer(request) !== options.apiKey) return { status: 401, json: { errors: [{ field: null, message: "authorization required" }] } };
        return { json: { scopes: options.scopes ?? ["mail.send", "alerts.read", "stats.read"] } };
      },
    }),
  );
}

export async function startResendFake(options: { apiKey: string; sendingOnlyKey?: string; domains?: { name: string; status: string }[] }): Promise<HttpFake> {
  const error = (statusCode: number, name: string, message: string): FakeResponse => ({ status: statusCode, json: { statusCode, message, name } });
  return startHttpFake(
    routes({
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
}

export async function startMailgunFake(options: { apiKey: string; domain: string; state?: string }): Promise<HttpFake> {
  return startHttpFake(
    routes(
      {
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
}

export interface SmtpFake extends Fake {
  host: string;
  port: number;
  /** User names that logged in successfully. */
  logins: string[];
}

export async function startSmtpFake(options: { username: string; password: string }): Promise<SmtpFake> {
  const logins: string[] = [];
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
    onData(stream, _session, callback) {
      stream.resume();
      stream.on("end", () => callback());
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    host: "127.0.0.1",
    port,
    logins,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function startSesFake(options: SigV4Key & { region: string; productionAccess?: boolean }): Promise<HttpFake> {
  const awsError = (status: number, type: string, message: string): FakeResponse => ({
    status,
    headers: { "x-amzn-ErrorType": `${type}:http://internal.amazon.com/coral/com.amazon.coral.service/`, "x-amzn-RequestId": randomUUID() },
    json: { message },
  });
  return startHttpFake(
    routes(
      {
        "GET /v2/email/account": (request) => {
          const verdict = verifySigV4(request, options, { region: options.region, service: "ses" });
          if (!verdict.ok) {
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
          }
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
}
