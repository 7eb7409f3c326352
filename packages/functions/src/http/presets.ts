import * as Preset from "@sambung/core/preset/index";
import { ProviderType } from "@sambung/core/provider/types";
import { z } from "zod";
import { http } from "../middleware/http.ts";

export const list = http({ auth: { role: "viewer" }, query: z.object({ type: ProviderType.optional() }) }, async ({ query }) => ({
  body: { items: await Preset.list(query.type) },
}));
