import * as Diag from "@sambung/core/diag/index";
import * as Event from "@sambung/core/event/index";
import { worker } from "../middleware/worker.ts";

export const handler = worker(async ({ envelope, ports }) => {
  const { pingId } = Event.dataOf(envelope, "diag.ping");
  await Diag.handle(ports, pingId);
});
