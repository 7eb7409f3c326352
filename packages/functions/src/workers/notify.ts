import * as Event from "@sambung/core/event/index";
import * as Message from "@sambung/core/message/index";
import { worker } from "../middleware/worker.ts";

/** Sends messages, applies delivery-status webhooks and runs message triggers (payment.received, reservation.created). */
export const handler = worker(async ({ envelope, receiveCount, ports }) => {
  await Message.handle(ports, envelope, { receiveCount, maxReceiveCount: Event.queues.notify.maxReceiveCount });
});
