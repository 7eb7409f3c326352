import * as Channel from "@sambung/core/channel/index";
import { worker } from "../middleware/worker.ts";

/** The `channel` queue: coalesced ARI pushes, booking pulls, stored booking versions, pushed bookings. */
export const handler = worker(async ({ envelope, ports, receiveCount }) => {
  await Channel.handle(ports, envelope, receiveCount);
});
