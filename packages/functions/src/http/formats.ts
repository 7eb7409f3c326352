import { formats } from "@sambung/core/format/catalog";
import { http } from "../middleware/http.ts";

/** The API formats and the secret fields each needs: the admin app builds its credential forms from them. */
export const list = http({ auth: { role: "viewer" } }, async () => ({
  body: { items: Object.entries(formats).map(([id, spec]) => ({ id, ...spec })) },
}));
