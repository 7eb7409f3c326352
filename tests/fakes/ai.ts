import { randomUUID } from "node:crypto";
import { bearer, header, routes, startHttpFake, type FakeRequest, type HttpFake } from "./server.ts";

/**
 * Model-listing endpoints of the AI APIs, as documented:
 * - OpenAI  GET /v1/models, `Authorization: Bearer` (platform.openai.com/docs/api-reference/models/list)
 * - Anthropic GET /v1/models, `x-api-key` + `anthropic-version`, paged by limit/after_id
 *   (docs.anthropic.com/en/api/models-list, /en/api/errors)
 * - Gemini GET /v1beta/models, `x-goog-api-key` header or `?key=`, paged by pageSize/pageToken
 *   (ai.google.dev/api/models#method:-models.list); a bad key is a 400 with reason API_KEY_INVALID.
 */

const masked = (key: string) => `${key.slice(0, 3)}${"*".repeat(Math.max(0, key.length - 7))}${key.slice(-4)}`;

export async function startOpenAiFake(options: { apiKey: string; models: string[] }): Promise<HttpFake> {
  const list = (request: FakeRequest) => {
    const key = bearer(request);
    if (!key) {
      return {
        status: 401,
        json: {
          error: {
            message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            type: "invalid_request_error",
            param: null,
            code: null,
          },
        },
      };
    }
    if (key !== options.apiKey) {
      return {
        status: 401,
        json: {
          error: {
            message: `Incorrect API key provided: ${masked(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
            type: "invalid_request_error",
            param: null,
            code: "invalid_api_key",
          },
        },
      };
    }
    return {
      json: { object: "list", data: options.models.map((id) => ({ id, object: "model", created: 1_715_367_049, owned_by: "system" })) },
    };
  };
  return startHttpFake(routes({ "GET /v1/models": list }, { status: 404, json: { error: { message: "Invalid URL", type: "invalid_request_error", param: null, code: null } } }));
}

export async function startAnthropicFake(options: { apiKey: string; models: string[] }): Promise<HttpFake> {
  const error = (status: number, type: string, message: string) => ({
    status,
    json: { type: "error", error: { type, message }, request_id: `req_${randomUUID().replace(/-/g, "")}` },
  });
  const list = (request: FakeRequest) => {
    const key = header(request, "x-api-key");
    if (!key) return error(401, "authentication_error", "x-api-key header is required");
    if (key !== options.apiKey) return error(401, "authentication_error", "invalid x-api-key");
    if (!header(request, "anthropic-version")) return error(400, "invalid_request_error", "anthropic-version: header is required");
    const limit = Math.min(Math.max(Number(request.query.get("limit") ?? 20), 1), 1000);
    const after = request.query.get("after_id");
    const start = after ? options.models.indexOf(after) + 1 : 0;
    const page = options.models.slice(start, start + limit);
    return {
      json: {
        data: page.map((id) => ({ type: "model", id, display_name: id, created_at: "2025-01-01T00:00:00Z" })),
        has_more: start + limit < options.models.length,
        first_id: page[0] ?? null,
        last_id: page.at(-1) ?? null,
      },
    };
  };
  return startHttpFake(routes({ "GET /v1/models": list }, error(404, "not_found_error", "Not found")));
}

export async function startGeminiFake(options: { apiKey: string; models: string[] }): Promise<HttpFake> {
  const list = (request: FakeRequest) => {
    const key = header(request, "x-goog-api-key") ?? request.query.get("key") ?? undefined;
    if (!key) {
      return {
        status: 403,
        json: {
          error: {
            code: 403,
            message:
              "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
            status: "PERMISSION_DENIED",
          },
        },
      };
    }
    if (key !== options.apiKey) {
      return {
        status: 400,
        json: {
          error: {
            code: 400,
            message: "API key not valid. Please pass a valid API key.",
            status: "INVALID_ARGUMENT",
            details: [
              {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                reason: "API_KEY_INVALID",
                domain: "googleapis.com",
                metadata: { service: "generativelanguage.googleapis.com" },
              },
            ],
          },
        },
      };
    }
    const size = Math.min(Math.max(Number(request.query.get("pageSize") ?? 50), 1), 1000);
    const start = Number(request.query.get("pageToken") ?? 0);
    const page = options.models.slice(start, start + size);
    return {
      json: {
        models: page.map((id) => ({
          name: `models/${id}`,
          version: "001",
          displayName: id,
          supportedGenerationMethods: ["generateContent", "countTokens"],
        })),
        ...(start + size < options.models.length ? { nextPageToken: String(start + size) } : {}),
      },
    };
  };
  return startHttpFake(routes({ "GET /v1beta/models": list }, { status: 404, json: { error: { code: 404, message: "Not Found", status: "NOT_FOUND" } } }));
}
