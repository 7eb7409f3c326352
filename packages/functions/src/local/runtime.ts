import { createLocalPorts, type LocalPorts } from "@sambung/core/adapters/local/index";
import { systemClock } from "@sambung/core/adapters/clock";
import type { QueueName } from "@sambung/core/event/queues";
import type { Clock } from "@sambung/core/port";
import * as Tenant from "@sambung/core/tenant/index";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { logger } from "../log.ts";
import type { HttpHandler } from "../middleware/http.ts";
import type { StreamingHttpHandler } from "../middleware/http-stream.ts";
import { usePorts } from "../ports.ts";
import { routeKey, routes, type Route } from "../routes.ts";
import { reportWorkersWith } from "../runtime-status.ts";
import { BodyTooLargeError, readRequestBody, toApiGatewayEvent, writeJson, writeResult } from "./api-gateway.ts";
import type { LocalConfig } from "./config.ts";
import { startBackground, type Background } from "./background.ts";
import { startBackgroundThread, type BackgroundThread } from "./background-host.ts";
import { closePorts } from "./close-ports.ts";
import type { CronTimer } from "./cron-timer.ts";
import { loadHandler } from "./handlers.ts";
import { lambdaContext } from "./lambda-context.ts";
import type { QueuePoller } from "./pollers.ts";
import { responseSink } from "./response-sink.ts";
import { Router } from "./router.ts";
import { createStaticServer, isWebRequest } from "./static.ts";

export interface RuntimeOptions extends Pick<LocalConfig, "dataDir"> {
  /** Development only: outgoing URLs may point at private and loopback addresses. */
  allowPrivateUrls?: boolean;
  port?: number;
  host?: string;
  clock?: Clock;
  /** Leave the workers off (a test that wants messages to stay on their queue). */
  workers?: boolean;
  /**
   * Run the outbox, pollers and cron in a worker thread with its own database
   * connection (what `npm start` does), so workers use the second core instead of
   * the request loop. Off by default: a test that moves a manual clock or drives
   * the pollers needs them in this thread.
   */
  thread?: boolean;
  /** First owner for an empty data directory (SAMBUNG_OWNER_EMAIL / SAMBUNG_OWNER_PASSWORD). */
  owner?: { email?: string; password?: string };
  /** The admin SPA's build output served at every GET the API does not own (default packages/web/dist). */
  webDir?: string;
}

export interface Runtime {
  url: string;
  /** On a fresh data directory without owner credentials: the one-time link that creates the owner. */
  setupUrl?: string;
  ports: LocalPorts;
  /** In this thread only (not with `thread`): the cron timer and pollers, for tests that drive them. */
  cron?: CronTimer;
  pollers?: Map<QueueName, QueuePoller>;
  /** Stops taking requests, drains in-flight work, closes the database. */
  stop(): Promise<void>;
}

/** How long shutdown waits for open requests before closing their connections. */
const DRAIN_GRACE_MS = 10_000;

/**
 * The whole hub in one process: the HTTP API from the route table, the outbox
 * dispatcher, a poller per queue calling its SQS worker, and the cron timer
 * (the last three in a worker thread with `thread`).
 */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const clock = options.clock ?? systemClock;
  const ports = createLocalPorts(options.dataDir, clock, { allowPrivateUrls: options.allowPrivateUrls ?? false });
  usePorts(ports);

  const recovered = ports.queue.recoverInFlight();
  if (recovered > 0) logger.warn("messages left in flight by a previous run are visible again", { count: recovered });

  const boot = await Tenant.bootstrap(ports, options.owner ?? {});
  if (boot.kind === "created") logger.info("created the first owner", { email: boot.user.email });

  const router = new Router(routes);
  const handlers = new Map<string, HttpHandler>();
  for (const ref of router.handlers()) handlers.set(ref, await loadHandler<HttpHandler>(ref));
  // Routes with a streaming handler are served by it here: this runtime can stream, API Gateway cannot.
  const streamers = new Map<string, StreamingHttpHandler>();
  for (const route of routes as readonly Route[]) if (route.stream) streamers.set(routeKey(route), await loadHandler<StreamingHttpHandler>(route.stream));

  const serveWeb = createStaticServer(options.webDir);
  const inFlight = new Set<Promise<void>>();
  const serve = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const match = router.match(request.method ?? "GET", url.pathname);
    if (match.kind === "not-found") {
      if (isWebRequest(request.method, url.pathname)) return serveWeb(request, response, url.pathname);
      writeJson(response, 404, { error: { code: "no_route", message: `no route for ${request.method} ${url.pathname}` } });
      return;
    }
    if (match.kind === "method-not-allowed") {
      writeJson(
        response,
        405,
        { error: { code: "method_not_allowed", message: `${request.method} is not allowed here; use ${match.allowed.join(" or ")}` } },
        { allow: match.allowed.join(", ") },
      );
      return;
    }
    let body: Buffer;
    try {
      body = await readRequestBody(request);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        writeJson(response, 413, { error: { code: "too_large", message: error.message } });
        return;
      }
      throw error;
    }
    const event = toApiGatewayEvent({ request, body, url, routeKey: match.routeKey, pathParameters: match.params });
    const streamer = streamers.get(match.routeKey);
    if (streamer) {
      await streamer(event, responseSink(response));
      return;
    }
    const handler = handlers.get(match.route.handler);
    if (!handler) throw new Error(`route ${match.routeKey} has no loaded handler`);
    const result = await handler(event, lambdaContext(match.route.handler, 30_000));
    writeResult(response, result);
  };

  const server: Server = createServer((request, response) => {
    const work = serve(request, response)
      .catch((error: unknown) => {
        logger.error("request failed outside its handler", { error: error as Error });
        if (!response.headersSent) writeJson(response, 500, { error: { code: "internal", message: "something went wrong on our side" } });
        else response.destroy();
      })
      .finally(() => inFlight.delete(work));
    inFlight.add(work);
  });
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8787, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;

  const url = `http://${host}:${address.port}`;
  // Webhook URLs handed to gateways (per-request notification URLs) must be absolute.
  ports.config.publicUrl ??= url;

  let background: Background | undefined;
  let thread: BackgroundThread | undefined;
  if (options.thread) {
    if (options.clock) throw new Error("the background thread runs on the system clock; leave `thread` off to move a clock by hand");
    thread = await startBackgroundThread(ports, { dataDir: options.dataDir, allowPrivateUrls: ports.config.allowPrivateUrls, publicUrl: ports.config.publicUrl });
    reportWorkersWith(thread.states);
  } else {
    background = await startBackground(ports, clock, { run: options.workers ?? true });
    reportWorkersWith(background.states);
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), DRAIN_GRACE_MS);
      await Promise.all(inFlight);
      await closed;
      clearTimeout(grace);
      await background?.stop();
      await thread?.stop();
      await closePorts(ports);
    })();
    return stopping;
  };

  const setupUrl = boot.kind === "setup" ? `${url}/setup#token=${boot.token}` : undefined;
  return { url, setupUrl, ports, cron: background?.cron, pollers: background?.pollers, stop };
}
