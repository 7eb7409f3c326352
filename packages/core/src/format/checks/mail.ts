import type { ConnectionCheck } from "../check.ts";
import { asRecord, str } from "../http-auth.ts";
import { httpCheck, requireConfig } from "./http.ts";
import { failed, ok } from "./outcome.ts";

/**
 * Mail API formats: each API's documented key check. SMTP is in smtp.ts and
 * SES in ses.ts (they are not plain HTTPS calls).
 */

/** Postmark GET /server with X-Postmark-Server-Token: the server the token belongs to. */
export const postmarkApi: ConnectionCheck = httpCheck(
  { method: "GET", path: "/server" },
  {
    auth: { method: "header_key", header: "X-Postmark-Server-Token" },
    credentials: { header: { "X-Postmark-Server-Token": "serverToken" } },
    describe: (json) => {
      const name = str(asRecord(json).Name);
      return ok(name ? `server token accepted for server "${name}"` : "server token accepted");
    },
  },
);

/** SendGrid GET /v3/scopes with the Bearer key: the key must hold mail.send. */
export const sendgridApi: ConnectionCheck = httpCheck(
  { method: "GET", path: "/v3/scopes" },
  {
    auth: { method: "bearer" },
    describe: (json) => {
      const scopes = asRecord(json).scopes;
      const list = Array.isArray(scopes) ? scopes.map(String) : [];
      if (!list.includes("mail.send")) return failed("the API key works but may not send mail: give it the Mail Send permission");
      return ok("API key accepted; it may send mail");
    },
  },
);

/**
 * Resend GET /domains with the Bearer key. A sending-only key answers 401
 * restricted_api_key there: it is a good key for sending, so that passes.
 */
export const resendApi: ConnectionCheck = httpCheck(
  { method: "GET", path: "/domains" },
  {
    auth: { method: "bearer" },
    interpret: (response, json) =>
      response.status === 401 && asRecord(json).name === "restricted_api_key" ? ok("API key accepted (a sending-only key)") : undefined,
    describe: (json) => {
      const data = asRecord(json).data;
      const domains = Array.isArray(data) ? data.map(asRecord) : [];
      const verified = domains.filter((domain) => domain.status === "verified").length;
      return ok(`API key accepted; ${domains.length} domain${domains.length === 1 ? "" : "s"} (${verified} verified)`);
    },
  },
);

/** Mailgun GET /v3/domains/{domain} with Basic("api":key): the sending domain and its state. */
export const mailgunApi: ConnectionCheck = async (context) => {
  const domain = requireConfig(context.provider, "domain", "the sending domain");
  if (typeof domain !== "string") return domain;
  const check = httpCheck(
    { method: "GET", path: "/v3/domains/{{config.domain}}" },
    {
      auth: { method: "basic" },
      credentials: { basicUsername: "api", basicPassword: "apiKey" },
      interpret: (response) =>
        response.status === 404 ? failed(`the domain "${domain}" is not in this Mailgun account (or the account is in the other region)`) : undefined,
      describe: (json) => {
        const state = str(asRecord(asRecord(json).domain).state) ?? "unknown";
        return ok(`API key accepted; domain "${domain}" is ${state}`);
      },
    },
  );
  return check(context);
};
