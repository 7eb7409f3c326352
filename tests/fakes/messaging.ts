import { randomBytes, randomUUID } from "node:crypto";
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
 *
 * Sending, as documented:
 * - Twilio POST /2010-04-01/Accounts/{Sid}/Messages.json, form-encoded, Basic auth: To and
 *   From (or MessagingServiceSid), and Body, MediaUrl or ContentSid; 201 with the Message
 *   resource (sid SM…, status "queued"); a missing To is 400 code 21604, an invalid one 21211
 *   (twilio.com/docs/messaging/api/message-resource#create-a-message-resource, /docs/api/errors).
 * - Meta Graph POST /{version}/{phone-number-id}/messages, JSON, Bearer: messaging_product
 *   "whatsapp", to, type text | template | image | document | video | audio; a template needs
 *   name and language.code; answers { messaging_product, contacts: [{ input, wa_id }],
 *   messages: [{ id: "wamid.…" }] }; bad input is GraphMethodException / OAuthException code 100
 *   (developers.facebook.com/docs/whatsapp/cloud-api/reference/messages).
 */

/** What a sending fake does with one send request: answer normally (undefined), answer this, or never answer. */
export type SendBehaviour = (request: FakeRequest, count: number) => FakeResponse | "hang" | undefined;

const hang = () => new Promise<FakeResponse>(() => undefined);

const twilioError = (status: number, code: number, message: string): FakeResponse => ({
  status,
  json: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
});

export interface TwilioMessage {
  sid: string;
  to: string;
  from: string;
  body?: string;
  mediaUrl?: string;
  contentSid?: string;
  contentVariables?: string;
  statusCallback?: string;
}

export async function startTwilioFake(options: {
  accountSid: string;
  authToken: string;
  balance?: string;
  friendlyName?: string;
  status?: string;
  send?: SendBehaviour;
}): Promise<HttpFake & { messages: TwilioMessage[] }> {
  const messages: TwilioMessage[] = [];
  let sends = 0;
  const authenticated = (request: FakeRequest, sid: string): FakeResponse | undefined => {
    const credentials = basicAuth(request);
    if (!credentials || credentials.user !== options.accountSid || credentials.password !== options.authToken) return twilioError(401, 20003, "Authenticate");
    if (sid !== options.accountSid) return twilioError(404, 20404, `The requested resource ${request.path} was not found`);
    return undefined;
  };
  const fake = await startHttpFake(
    routes(
      {
        "POST /2010-04-01/Accounts/:sid/Messages.json": async (request, [sid = ""]) => {
          const refused = authenticated(request, sid);
          if (refused) return refused;
          sends += 1;
          const behaviour = options.send?.(request, sends);
          if (behaviour === "hang") return hang();
          if (behaviour) return behaviour;
          if (!String(request.headers["content-type"] ?? "").includes("application/x-www-form-urlencoded")) {
            return twilioError(400, 20001, "Content-Type must be application/x-www-form-urlencoded");
          }
          const form = new URLSearchParams(request.body);
          const to = form.get("To");
          const from = form.get("From") ?? form.get("MessagingServiceSid");
          if (!to) return twilioError(400, 21604, "A 'To' phone number is required.");
          if (!/^(whatsapp:)?\+[1-9]\d{6,14}$/.test(to)) return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
          if (!from) return twilioError(400, 21603, "A 'From' phone number is required.");
          if (!form.get("Body") && !form.get("MediaUrl") && !form.get("ContentSid")) return twilioError(400, 21602, "Message body is required.");
          const message: TwilioMessage = {
            sid: `SM${randomBytes(16).toString("hex")}`,
            to,
            from,
            body: form.get("Body") ?? undefined,
            mediaUrl: form.get("MediaUrl") ?? undefined,
            contentSid: form.get("ContentSid") ?? undefined,
            contentVariables: form.get("ContentVariables") ?? undefined,
            statusCallback: form.get("StatusCallback") ?? undefined,
          };
          messages.push(message);
          return {
            status: 201,
            json: {
              sid: message.sid,
              account_sid: sid,
              to,
              from,
              body: message.body ?? "",
              status: "queued",
              num_segments: "1",
              direction: "outbound-api",
              error_code: null,
              error_message: null,
              date_created: new Date().toUTCString(),
              uri: `/2010-04-01/Accounts/${sid}/Messages/${message.sid}.json`,
            },
          };
        },
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
  return { ...fake, messages };
}

export interface WhatsAppSent {
  id: string;
  phoneNumberId: string;
  body: Record<string, unknown>;
}

export async function startMetaGraphFake(options: {
  accessToken: string;
  phoneNumbers: Record<string, { display_phone_number: string; verified_name: string; quality_rating: string }>;
  send?: SendBehaviour;
}): Promise<HttpFake & { sent: WhatsAppSent[] }> {
  const sent: WhatsAppSent[] = [];
  let sends = 0;
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
  const invalid = (message: string): FakeResponse => ({ status: 400, json: { error: { message: `(#100) ${message}`, type: "OAuthException", code: 100, fbtrace_id: trace() } } });
  const send = async (request: FakeRequest, [version = "", id = ""]: string[]): Promise<FakeResponse> => {
    if (!/^v\d+\.\d+$/.test(version)) return invalid(`Unknown path components: /${id}/messages`);
    if (bearer(request) !== options.accessToken) {
      return { status: 401, json: { error: { message: "Invalid OAuth access token - Cannot parse access token", type: "OAuthException", code: 190, fbtrace_id: trace() } } };
    }
    if (!options.phoneNumbers[id]) return invalid(`Object with ID '${id}' does not exist`);
    sends += 1;
    const behaviour = options.send?.(request, sends);
    if (behaviour === "hang") return hang();
    if (behaviour) return behaviour;
    const body = request.fields;
    if (!body) return invalid("The parameter messaging_product is required.");
    if (body.messaging_product !== "whatsapp") return invalid("The parameter messaging_product is required.");
    const to = typeof body.to === "string" ? body.to : "";
    if (!/^\+?\d{7,15}$/.test(to)) return invalid("Invalid parameter: to");
    const type = body.type ?? "text";
    if (type === "text" && !(body.text as { body?: unknown } | undefined)?.body) return invalid("The parameter text['body'] is required.");
    if (type === "template") {
      const template = (body.template ?? {}) as { name?: unknown; language?: { code?: unknown } };
      if (typeof template.name !== "string") return invalid("The parameter template['name'] is required.");
      if (typeof template.language?.code !== "string") return invalid("The parameter template['language']['code'] is required.");
    }
    if (["image", "document", "video", "audio"].includes(String(type)) && !(body[String(type)] as { link?: unknown } | undefined)?.link) {
      return invalid(`The parameter ${String(type)}['link'] is required.`);
    }
    const wamid = `wamid.${Buffer.from(randomUUID()).toString("base64url")}`;
    sent.push({ id: wamid, phoneNumberId: id, body });
    return { json: { messaging_product: "whatsapp", contacts: [{ input: to, wa_id: to.replace(/^\+/, "") }], messages: [{ id: wamid, ...(type === "template" ? { message_status: "accepted" } : {}) }] } };
  };
  const fake = await startHttpFake(routes({ "GET /:version/:id": node, "POST /:version/:id/messages": send }));
  return { ...fake, sent };
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
