import type { HttpResponse } from "../../port.ts";
import type { ConnectionCheck } from "../check.ts";
import { asRecord, str, valueAt, type AuthSpec, type Credentials } from "../http-auth.ts";
import { httpCheck, type TestSpec } from "./http.ts";
import { ok } from "./outcome.ts";

/**
 * AI formats: list the models the key may use. Each format's documented models
 * request is the default; a record's `config.endpoints.models` (or `.test`)
 * overrides it, and `config.response.models.ids` names where the ids are.
 */
interface AiFormat {
  request: TestSpec;
  auth: AuthSpec;
  credentials?: Credentials;
  /** Where the model ids are in the answer. */
  ids: string;
  /** A field that says more pages follow. */
  more?: string;
  isAuthFailure?: (response: HttpResponse, json: unknown) => boolean;
}

function modelsCheck(format: AiFormat): ConnectionCheck {
  return async (context) => {
    const response = asRecord(asRecord(context.provider.config.response).models);
    const idsPath = str(response.ids) ?? format.ids;
    const morePath = str(response.hasMore) ?? format.more;
    const check = httpCheck(
      format.request,
      {
        auth: format.auth,
        credentials: format.credentials,
        isAuthFailure: format.isAuthFailure,
        describe: (json) => {
          const found = valueAt(json, idsPath);
          const ids = (Array.isArray(found) ? found : []).map(String);
          const more = morePath ? Boolean(valueAt(json, morePath)) : false;
          let message = `${ids.length}${more ? "+" : ""} model${ids.length === 1 && !more ? "" : "s"} available`;
          const wanted = str(context.provider.config.defaultModel);
          if (wanted && !more && ids.length > 0 && !ids.some((id) => id === wanted || id.endsWith(`/${wanted}`))) {
            message += `; the default model "${wanted}" is not among them`;
          }
          return ok(message);
        },
      },
      ["test", "models"],
    );
    return check(context);
  };
}

/** OpenAI's GET /models: Bearer key; answers `{ data: [{ id }] }`. */
export const openaiCompatible = modelsCheck({
  request: { method: "GET", path: "/models" },
  auth: { method: "bearer" },
  ids: "data[*].id",
});

/** Anthropic's GET /v1/models: x-api-key plus the anthropic-version header from the record; paged with has_more. */
export const anthropic = modelsCheck({
  request: { method: "GET", path: "/v1/models", query: { limit: "1000" } },
  auth: { method: "header_key", header: "x-api-key" },
  ids: "data[*].id",
  more: "has_more",
});

/** Gemini's GET /models (base URL carries the version): x-goog-api-key; a bad key is a 400 with reason API_KEY_INVALID. */
export const gemini = modelsCheck({
  request: { method: "GET", path: "/models", query: { pageSize: "1000" } },
  auth: { method: "header_key", header: "x-goog-api-key" },
  ids: "models[*].name",
  more: "nextPageToken",
  isAuthFailure: (response) => response.status === 400 && response.body.includes("API_KEY_INVALID"),
});
