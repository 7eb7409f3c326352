import * as Diag from "@sambung/core/diag/index";
import { z } from "zod";
import { http } from "../middleware/http.ts";

export const create = http({ auth: { role: "superadmin" }, body: Diag.CreatePing.default({ failTimes: 0, holdMs: 0 }) }, async ({ ports, body }) => ({
  status: 202,
  body: await Diag.create(ports, body),
}));

export const get = http({ auth: { role: "superadmin" }, params: z.object({ id: z.string().min(1) }) }, async ({ ports, params }) => ({
  body: await Diag.get(ports, params.id),
}));
