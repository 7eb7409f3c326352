import { aiEngines, type AiFormatEngine } from "../ai/index.ts";
import type { ConnectionCheck } from "../check.ts";
import { asRecord, str, valueAt } from "../http-auth.ts";
import { httpCheck } from "./http.ts";
import { ok } from "./outcome.ts";

/**
 * AI formats: list the models the key may use. Each format's documented models
 * request (format/ai) is the default; a record's `config.endpoints.models` (or
 * `.test`) overrides it, and `config.response.models.ids` names where the ids are.
 */
function modelsCheck(format: AiFormatEngine): ConnectionCheck {
  return async (context) => {
    const response = asRecord(asRecord(context.provider.config.response).models);
    const idsPath = str(response.ids) ?? format.models.ids;
    const morePath = str(response.hasMore) ?? format.models.more;
    const check = httpCheck(
      format.models.request,
      {
        auth: format.auth,
        isAuthFailure: format.models.isAuthFailure,
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
export const openaiCompatible = modelsCheck(aiEngines.openai_compatible);

/** Anthropic's GET /v1/models: x-api-key plus the anthropic-version header from the record; paged with has_more. */
export const anthropic = modelsCheck(aiEngines.anthropic);

/** Gemini's GET /models (base URL carries the version): x-goog-api-key; a bad key is a 400 with reason API_KEY_INVALID. */
export const gemini = modelsCheck(aiEngines.gemini);
