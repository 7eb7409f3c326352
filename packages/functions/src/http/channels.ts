import * as Channel from "@sambung/core/channel/index";
import { z } from "zod";
import { http } from "../middleware/http.ts";

const Location = z.object({ locationId: z.string().min(1) });
const OptionalLocation = z.object({ locationId: z.string().min(1).optional() });
const ProviderParam = z.object({ providerId: z.string().min(1) });

/** The PMS's availability, rates and restrictions (API key, "ari" scope). */
export const putAri = http({ auth: { scope: "ari" }, body: Channel.AriRequest }, async ({ ports, principal, body }) => ({
  status: 202,
  body: await Channel.putAri(ports, principal, body),
}));

export const overview = http({ auth: { role: "viewer" }, query: Location }, async ({ ports, principal, query }) => ({
  body: await Channel.overview(ports, principal.tenantId, query.locationId),
}));

export const getRooms = http({ auth: { role: "viewer" }, query: Location }, async ({ ports, principal, query }) => ({
  body: await Channel.getRooms(ports, principal.tenantId, query.locationId),
}));

export const putRooms = http({ auth: { role: "admin" }, body: Channel.RoomSetup }, async ({ ports, principal, body }) => ({
  body: await Channel.putRooms(ports, principal, body),
}));

export const getMapping = http({ auth: { role: "viewer" }, params: ProviderParam, query: OptionalLocation }, async ({ ports, principal, params, query }) => ({
  body: await Channel.getMapping(ports, principal.tenantId, params.providerId, query.locationId),
}));

export const putMapping = http({ auth: { role: "admin" }, params: ProviderParam, body: Channel.PutMapping }, async ({ ports, principal, params, body }) => ({
  body: await Channel.putMapping(ports, principal, params.providerId, body),
}));

export const channelRooms = http({ auth: { role: "admin" }, params: ProviderParam, query: OptionalLocation }, async ({ ports, principal, params, query }) => ({
  body: await Channel.channelRooms(ports, principal.tenantId, params.providerId, query.locationId),
}));

export const pullNow = http({ auth: { role: "admin" }, params: ProviderParam, query: OptionalLocation }, async ({ ports, principal, params, query }) => ({
  body: await Channel.pullNow(ports, principal.tenantId, params.providerId, query.locationId),
}));

export const parity = http({ auth: { role: "viewer" }, query: Channel.ParityQuery }, async ({ ports, principal, query }) => ({
  body: await Channel.parity(ports, principal.tenantId, query),
}));

export const reservations = http(
  { auth: { role: "viewer" }, query: z.object({ locationId: z.string().min(1).optional(), cursor: z.string().optional(), limit: z.coerce.number().int().min(1).max(200).optional() }) },
  async ({ ports, principal, query }) => ({ body: await Channel.listReservations(ports, principal.tenantId, query) }),
);
