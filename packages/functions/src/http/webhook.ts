import * as Inbound from "@sambung/core/inbound/index";
import { z } from "zod";
import { http } from "../middleware/http.ts";

const Path = z.object({ type: z.string().min(1), slug: z.string().min(1) });

/** Providers call this without our credentials: the provider's own signature is the authentication. */
export const receive = http({ auth: { public: true }, params: Path }, async ({ ports, params, rawBody, headers, event, sourceIp }) => {
  const query = event.queryStringParameters ?? {};
  const host = headers["x-forwarded-host"] ?? headers.host ?? event.requestContext.domainName;
  const proto = headers["x-forwarded-proto"] ?? (event.requestContext.domainName === "localhost" || host?.startsWith("127.") ? "http" : "https");
  const url = `${proto}://${host}${event.rawPath}${event.rawQueryString ? `?${event.rawQueryString}` : ""}`;
  const result = await Inbound.receive(ports, {
    type: params.type,
    slug: params.slug,
    method: event.requestContext.http.method,
    url,
    rawBody,
    headers,
    query: Object.fromEntries(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined)),
    sourceIp,
  });
  return { status: result.status, body: result.body };
});
