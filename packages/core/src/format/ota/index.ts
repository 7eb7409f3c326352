import type { FormatId } from "../catalog.ts";
import type { OtaEngine } from "./engine.ts";
import { eqcXml } from "./eqc.ts";
import { jsonRestChannel } from "./json-channel.ts";
import { opentravelXml } from "./opentravel.ts";

export type { ChannelRoom, MappedItem, OtaContext, OtaEngine, PushedBookings } from "./engine.ts";

/** The OTA format engines; a format missing here cannot be mapped as a channel. */
export const otaEngines: Partial<Record<FormatId, OtaEngine>> = {
  opentravel_xml: opentravelXml,
  eqc_xml: eqcXml,
  json_rest_channel: jsonRestChannel,
};
