import { createHash } from "node:crypto";
import { call, OWNER, signIn } from "../support/runtime.ts";
import { describeLoad, load } from "./load.ts";
import type { Bench } from "./report.ts";
import { startBareServer, startHub } from "./servers.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const LATENCY_RATE = Number(process.env.BENCH_WEBHOOK_RATE ?? 500);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 6);
const SERVER_KEY = "SB-Mid-server-BENCHKEY0123456789abcd";

/**
 * A Midtrans HTTP notification for a fresh order, signed as Midtrans signs it:
 * signature_key = hex SHA-512(order_id + status_code + gross_amount + server key)
 * (https://docs.midtrans.com/reference/handle-notifications).
 */
function notifications(run: string): () => { body: string } {
  let sequence = 0;
  return () => {
    sequence += 1;
    const orderId = `bench-${run}-${sequence}`;
    const grossAmount = "150000.00";
    const statusCode = "200";
    return {
      body: JSON.stringify({
        transaction_time: "2026-01-05 10:00:00",
        transaction_status: "settlement",
        transaction_id: `${run}-${sequence}-5b4e-4c6f-9b2e-3f1d0c2a7e11`,
        status_message: "midtrans payment notification",
        status_code: statusCode,
        signature_key: createHash("sha512").update(`${orderId}${statusCode}${grossAmount}${SERVER_KEY}`).digest("hex"),
        settlement_time: "2026-01-05 10:00:05",
        payment_type: "qris",
        order_id: orderId,
        merchant_id: "G000000000",
        gross_amount: grossAmount,
        fraud_status: "accept",
        currency: "IDR",
        acquirer: "gopay",
      }),
    };
  };
}

/** Waits until no settle message is waiting to be received (GET /health's queue counts). */
async function caughtUp(hubUrl: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const health = await call<{ queues: { settle?: { visible?: number } } }>(hubUrl, "GET", "/health");
    if (health.body.queues.settle?.visible === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error("the settle worker did not catch up within 2 minutes");
}

/**
 * Issue #4: verified inbound webhooks through the local runtime. Each request is a
 * Midtrans-signed notification for a distinct order, so each one is stored, verified
 * (SHA-512 signature), parsed, claimed on its event id with the outbox event in the
 * same write, and queued for the settle worker (which runs meanwhile, as it would).
 * Next to a bare node:http server answering the same bodies, in the same run.
 */
export const webhooks: Bench = async () => {
  const sample = notifications("bare")().body;
  const bare = await startBareServer();
  const bareMax = await load({ url: `${bare.url}/`, body: sample, seconds: SECONDS, connections: 32 });
  await bare.stop();

  const hub = await startHub({ SAMBUNG_OWNER_EMAIL: OWNER.email, SAMBUNG_OWNER_PASSWORD: OWNER.password });
  let measured;
  try {
    const authorization = `Bearer ${await signIn(hub.url)}`;
    const created = await call<{ slug: string }>(
      hub.url,
      "POST",
      "/api/admin/providers",
      { type: "payment", name: "Bench Midtrans", slug: "bench-midtrans", presetId: "midtrans-core-qris", apiFormat: "qris_dynamic", secrets: { serverKey: SERVER_KEY } },
      { authorization },
    );
    if (created.status !== 201) throw new Error(`bench provider not created: ${created.status} ${JSON.stringify(created.body)}`);
    const url = `${hub.url}/webhook/payment/${created.body.slug}`;

    // Warm-up past the JIT's optimizing bursts of a new process (about 15,000 requests, see
    // deliveries.ts), and let the settle worker take the warm-up's webhooks before measuring.
    await load({ url, seconds: WARMUP_SECONDS, connections: 32, next: notifications("warm") });
    await caughtUp(hub.url);
    const hubMax = await load({ url, seconds: SECONDS, connections: 32, next: notifications("max") });
    // The settle worker is still working through the throughput run's webhooks: latency is
    // measured at 500/s on a hub that has caught up, not under the backlog of the run before.
    await caughtUp(hub.url);
    const hubAtRate = await load({ url, seconds: SECONDS, connections: 16, rate: LATENCY_RATE, next: notifications("rate") });
    // A duplicate is answered 200 too: check that every request was stored as its own accepted webhook.
    const stored = await call<{ items: { status: string }[] }>(hub.url, "GET", "/api/admin/webhooks/inbound?status=duplicate&limit=10", undefined, { authorization });
    measured = { hubMax, hubAtRate, stored };
  } finally {
    await hub.stop();
  }
  const { hubMax, hubAtRate, stored } = measured;

  const ratio = hubMax.rps / bareMax.rps;
  const errors = hubMax.errors + hubMax.non2xx + hubAtRate.errors + hubAtRate.non2xx + stored.body.items.length;
  return {
    title: "Inbound webhooks: Midtrans-signed notifications to POST /webhook/payment/{slug} (issue #4)",
    lines: [
      describeLoad("bare node:http (max)", bareMax),
      describeLoad("local runtime, verified (max)", hubMax),
      describeLoad(`local runtime at ${LATENCY_RATE} req/s`, hubAtRate),
      `ratio runtime/bare: ${ratio.toFixed(2)}`,
    ],
    checks: [
      { name: "verified inbound webhooks per second", value: hubMax.rps, unit: "/s", target: "≥ 2,000", pass: hubMax.rps >= 2000 },
      { name: `webhook acknowledgement p99 at ${LATENCY_RATE}/s`, value: hubAtRate.p99, unit: "ms", target: "≤ 30 ms", pass: hubAtRate.p99 <= 30 },
      { name: "webhook errors, non-2xx and duplicates", value: errors, unit: "", target: "= 0", pass: errors === 0 },
    ],
  };
};
