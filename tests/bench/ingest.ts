import { OWNER, signIn } from "../support/runtime.ts";
import { describeLoad, load } from "./load.ts";
import type { Bench } from "./report.ts";
import { startBareServer, startHub } from "./servers.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

/**
 * Issue #2: a trivial POST through the full handler path of the local runtime
 * (router → API Gateway event → middy → zod → SQLite write + outbox → worker),
 * next to a bare node:http server on the same machine in the same run.
 */
export const ingest: Bench = async () => {
  const body = JSON.stringify({ note: "bench" });
  const bare = await startBareServer();
  const bareMax = await load({ url: `${bare.url}/`, body, seconds: SECONDS, connections: 32 });
  await bare.stop();

  const hub = await startHub({ SAMBUNG_OWNER_EMAIL: OWNER.email, SAMBUNG_OWNER_PASSWORD: OWNER.password });
  const url = `${hub.url}/api/diag/pings`;
  const headers = { authorization: `Bearer ${await signIn(hub.url)}` };
  await load({ url, body, headers, seconds: 1, connections: 8 });
  const hubMax = await load({ url, body, headers, seconds: SECONDS, connections: 32 });
  const hubAt1k = await load({ url, body, headers, seconds: SECONDS, connections: 16, rate: 1000 });
  await hub.stop();

  const ratio = hubMax.rps / bareMax.rps;
  return {
    title: "Ingest: trivial POST through the full handler path (issue #2)",
    lines: [
      describeLoad("bare node:http (max)", bareMax),
      describeLoad("local runtime POST /api/diag/pings", hubMax),
      describeLoad("local runtime at 1,000 req/s", hubAt1k),
      `ratio runtime/bare: ${ratio.toFixed(2)}`,
    ],
    checks: [
      { name: "ingest throughput ratio vs bare node:http", value: ratio, unit: "x", target: "≥ 0.35", pass: ratio >= 0.35 },
      { name: "ingest p99 at 1,000 req/s", value: hubAt1k.p99, unit: "ms", target: "≤ 25 ms", pass: hubAt1k.p99 <= 25 },
      {
        name: "ingest errors",
        value: hubMax.errors + hubMax.non2xx + hubAt1k.errors + hubAt1k.non2xx,
        unit: "",
        target: "= 0",
        pass: hubMax.errors + hubMax.non2xx + hubAt1k.errors + hubAt1k.non2xx === 0,
      },
    ],
  };
};
