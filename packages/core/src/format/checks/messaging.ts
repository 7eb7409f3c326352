import type { ConnectionCheck } from "../check.ts";
import { asRecord, str } from "../http-auth.ts";
import { configuredHttpCheck, httpCheck, requireConfig } from "./http.ts";
import { failed, ok } from "./outcome.ts";

/**
 * SMS and WhatsApp formats. rest_simple has no request of its own: it runs the
 * record's `config.endpoints.test`, else its `config.endpoints.balance` (e.g.
 * Twilio's Balance resource). The WhatsApp formats read the account or number
 * the key belongs to, per each API's docs; the record may override the request.
 */

export const restSimple: ConnectionCheck = configuredHttpCheck(["test", "balance"]);

/** Graph API GET /{version}/{phone-number-id}: the number's display name and quality for this token. */
export const metaCloudApi: ConnectionCheck = async (context) => {
  const phoneNumberId = requireConfig(context.provider, "phoneNumberId", "the WhatsApp phone number ID from WhatsApp Manager");
  if (typeof phoneNumberId !== "string") return phoneNumberId;
  const check = httpCheck(
    {
      method: "GET",
      path: "/{{config.apiVersion}}/{{config.phoneNumberId}}",
      query: { fields: "display_phone_number,verified_name,quality_rating" },
    },
    {
      auth: { method: "bearer" },
      credentials: { bearer: "accessToken" },
      // Graph: code 190 is an invalid or expired token whatever the HTTP status.
      isAuthFailure: (_response, json) => asRecord(asRecord(json).error).code === 190,
      // Graph's "object does not exist" (code 100) answers a good token and a wrong id.
      interpret: (response, json) =>
        response.status === 400 && asRecord(asRecord(json).error).code === 100
          ? failed(`phone number ID ${phoneNumberId} was not found for this access token; check config.phoneNumberId`)
          : undefined,
      describe: (json, response) => {
        const body = asRecord(json);
        if (!str(body.display_phone_number) && !str(body.id)) return failed(`unexpected answer from the provider (${response.status})`);
        const name = str(body.verified_name);
        const quality = str(body.quality_rating);
        return ok(`phone number ${str(body.display_phone_number) ?? phoneNumberId}${name ? ` (${name})` : ""} is reachable${quality ? `; quality ${quality}` : ""}`);
      },
    },
  );
  return check(context);
};

/** Twilio GET /2010-04-01/Accounts/{AccountSid}.json with Basic(AccountSid:AuthToken). */
export const twilioWhatsapp: ConnectionCheck = httpCheck(
  { method: "GET", path: "/2010-04-01/Accounts/{{secrets.accountSid}}.json" },
  {
    auth: { method: "basic" },
    credentials: { basicUsername: "accountSid", basicPassword: "authToken" },
    describe: (json) => {
      const body = asRecord(json);
      const status = str(body.status) ?? "unknown";
      const name = str(body.friendly_name);
      if (status !== "active") return failed(`the account${name ? ` "${name}"` : ""} is ${status}, not active`);
      return ok(`account${name ? ` "${name}"` : ""} is active`);
    },
  },
);

/** 360dialog GET /v1/configs/webhook with D360-API-KEY: 200 (or 404 before a webhook is set) for a good key. */
export const dialog360: ConnectionCheck = httpCheck(
  { method: "GET", path: "/v1/configs/webhook", okStatuses: [200, 404] },
  {
    auth: { method: "header_key", header: "D360-API-KEY" },
    describe: (json) => ok(`API key accepted; ${str(asRecord(json).url) ? "a webhook is configured" : "no webhook configured yet"}`),
  },
);

/** WATI GET /{tenantId}/api/v1/getContacts?pageSize=1 with the Bearer access token. */
export const wati: ConnectionCheck = httpCheck(
  { method: "GET", path: "/{{config.tenantId}}/api/v1/getContacts", query: { pageSize: "1", pageNumber: "1" } },
  { auth: { method: "bearer" }, describe: () => ok("access token accepted") },
);
