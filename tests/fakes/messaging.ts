import { randomBytes } from "node:crypto";
import { basicAuth, bearer, header, routes, startHttpFake, type FakeRequest, type FakeResponse, type HttpFake } from "./server.ts";

/**
 * SMS and WhatsApp account endpoints, as documented:
 * - Twilio GET /2010-04-01/Accounts/{Sid}.json and /Accounts/{Sid}/Balance.json with
 *   Basic(AccountSid:AuthToken); 401 {code 20003 "Authenticate"}, a foreign account 404
 *   {code 20404} (twilio.com/docs/usage/api/account, /docs/api/errors/20003).
 * - Meta Graph GET /{version}/{phone-number-id}?fields=... with a Bearer token; an invalid
 *   token is OAuthException code 190 (HTTP 401), an unknown id GraphMethodException code 100
 *   subcode 33 (HTTP 400) (developers.facebook.com/docs/whatsapp/cloud-api/reference/phone-numbers,
 *   /docs/graph-api/guides/error-handling, WhatsApp error codes).
 * - 360dialog GET /v1/configs/webhook with D360-API-KEY; 401 "Invalid api_key"
 *   (docs.360dialog.com, error code reference).
 * - WATI GET /{tenantId}/api/v1/getContacts with a Bearer token (docs.wati.io).
 */

const twilioError = (status: number, code: number, message: string): FakeResponse => ({
  status,
  json: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
});

export async function startTwilioFake(options: { accountSid: string; authToken: string; balance?: string; friendlyName?: string; status?: string }): Promise<HttpFake> {
  const authenticated = (request: FakeRequest, sid: string): FakeResponse | undefined => {
    const credentials = basicAuth(request);
    if (!credentials || credentials.user !== options.accountSid || credentials.password !== options.authToken) return twilioError(401, 20003, "Authenticate");
    if (sid !== options.accountSid) return twilioError(404, 20404, `The requested resource ${request.path} was not found`);
    return undefined;
  };
  return startHttpFake(
    routes(
      {
        "GET /2010-04-01/Accounts/:sid/Balance.json": (request, [sid = ""]) =>
          authenticated(request, sid) ?? { json: { currency: "USD", balance: options.balance ?? "12.50", account_sid: sid } },
        "GET /2010-04-01/Accounts/:sid.json": (request, [sid = ""]) =>
          authenticated(request, sid) ?? {
            json: {
              sid,
              friendly_name: options.friendlyName ?? "Hotel Sambung",
              status: options.status ?? "active",
              type: "Full",
              owner_account_sid: sid,
              date_created: "Thu, 01 Jan 2025 00:00:00 +0000",
              uri: `/2010-04-01/Accounts/${sid}.json`,
            },
          },
      },
      twilioError(404, 20404, "The requested resource was not found"),
    ),
  );
}

export async function startMetaGraphFake(options: {
  accessToken: string;
  phoneNumbers: Record<string, { display_phone_number: string; verified_name: string; quality_rating: string }>;
}): Promise<HttpFake> {
  const trace = () => randomBytes(8).toString("base64url");
  const node = (request: FakeRequest, [version = "", id = ""]: string[]): FakeResponse => {
    if (!/^v\d+\.\d+$/.test(version)) {
      return { status: 400, json: { error: { message: `Unknown path components: /${id}`, type: "OAuthException", code: 2500, fbtrace_id: trace() } } };
    }
    const token = bearer(request) ?? request.query.get("access_token") ?? undefined;
    if (!token) {
      return { status: 400, json: { error: { message: "An active access token must be used to query information about the current user.", type: "OAuthException", code: 2500, fbtrace_id: trace() } } };
    }
    if (token !== options.accessToken) {
      return { status: 401, json: { error: { message: "Invalid OAuth access token - Cannot parse access token", type: "OAuthException", code: 190, fbtrace_id: trace() } } };
    }
    const number = options.phoneNumbers[id];
    if (!number) {
      return {
        status: 400,
        json: {
          error: {
            message: `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
            type: "GraphMethodException",
            code: 100,
            error_subcode: 33,
            fbtrace_id: trace(),
          },
        },
      };
    }
    const all: Record<string, unknown> = { ...number, code_verification_status: "VERIFIED", platform_type: "CLOUD_API", throughput: { level: "STANDARD" } };
    const fields = request.query.get("fields")?.split(",").map((field) => field.trim());
    const picked = fields ? Object.fromEntries(fields.filter((field) => field in all).map((field) => [field, all[field]])) : all;
    return { json: { ...picked, id } };
  };
  return startHttpFake(routes({ "GET /:version/:id": node }));
}

export async function start360dialogFake(options: { apiKey: string; webhookUrl?: string }): Promise<HttpFake> {
  return startHttpFake(
    routes({
      "GET /v1/configs/webhook": (request) => {
        if (header(request, "D360-API-KEY") !== options.apiKey) return { status: 401, json: { error: "Invalid api_key" } };
        return options.webhookUrl ? { json: { url: options.webhookUrl } } : { status: 404, json: { error: "webhook not configured" } };
      },
    }),
  );
}

export async function startWatiFake(options: { accessToken: string; tenantId: string }): Promise<HttpFake> {
  return startHttpFake(
    routes({
      "GET /:tenant/api/v1/getContacts": (request, [tenant = ""]) => {
        if (bearer(request) !== options.accessToken) return { status: 401, text: "" };
        if (tenant !== options.tenantId) return { status: 404, text: "" };
        const pageSize = Number(request.query.get("pageSize") ?? 10);
        return {
          json: {
            result: "success",
            contact_list: [{ id: "1", wAid: "6281234567890", firstName: "Tamu", phone: "6281234567890" }].slice(0, pageSize),
            link: { prevPage: null, nextPage: null, pageNumber: Number(request.query.get("pageNumber") ?? 1), pageSize, total: 1 },
          },
        };
      },
    }),
  );
}
