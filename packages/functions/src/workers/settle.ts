import * as Event from "@sambung/core/event/index";
import * as Inbound from "@sambung/core/inbound/index";
import { worker } from "../middleware/worker.ts";

export const handler = worker(async ({ envelope, receiveCount, ports }) => {
  const { inboundId } = Event.dataOf(envelope, "inbound.payment");
  await Inbound.settle(ports, envelope.tenantId, inboundId, { receiveCount, maxReceiveCount: Event.queues.settle.maxReceiveCount });
});
