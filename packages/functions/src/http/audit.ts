import * as Audit from "@sambung/core/audit/index";
import { z } from "zod";
import { http } from "../middleware/http.ts";

export const list = http(
  { auth: { role: "admin" }, query: z.object({ cursor: z.string().optional(), limit: z.coerce.number().int().min(1).max(200).optional() }) },
  async ({ ports, principal, query }) => ({ body: await Audit.list(ports, principal.tenantId, query) }),
);
