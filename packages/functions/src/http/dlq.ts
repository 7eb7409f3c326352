import * as DeadLetters from "@sambung/core/event/dead-letters";
import { z } from "zod";
import { http } from "../middleware/http.ts";

export const list = http({ auth: { role: "superadmin" } }, async ({ ports }) => ({ body: { queues: await DeadLetters.summary(ports.queue) } }));

export const redrive = http(
  { auth: { role: "superadmin" }, params: z.object({ queue: z.string().min(1) }), body: DeadLetters.RedriveRequest.default({}) },
  async ({ ports, params, body }) => ({ body: await DeadLetters.redrive(ports.queue, params.queue, body) }),
);
