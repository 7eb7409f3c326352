import { ManualClock } from "@sambung/core/adapters/clock";
import { createLocalPorts, type LocalPorts } from "@sambung/core/adapters/local/index";
import * as Payment from "@sambung/core/payment/index";
import type { Item, Ports, PutOptions } from "@sambung/core/port";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../support/runtime.ts";

/**
 * A settlement is two writes: the payment (conditional on its version) and its event
 * (fixed id, written once). A process that dies between them must not lose the event,
 * and the retry must not emit it twice.
 */

const dir = tempDir("sambung-settlement-");
const clock = new ManualClock(Date.parse("2026-01-05T03:00:00Z"));
let ports: LocalPorts;

beforeAll(() => {
  ports = createLocalPorts(dir.path, clock);
});

afterAll(() => {
  ports.database.close();
  dir.remove();
});

async function seed(id: string, status: Payment.Payment["status"] = "pending"): Promise<Payment.Payment> {
  const at = new Date(clock.now()).toISOString();
  const payment = Payment.Payment.parse({
    id,
    tenantId: "ten_unit",
    featureKey: "payment.booking",
    reference: `BK-${id}`,
    amount: 150_000,
    currency: "IDR",
    providerId: "prv_unit",
    providerSlug: "unit",
    format: "qris_dynamic",
    usedFallback: false,
    gatewayTransactionId: `tx-${id}`,
    status,
    rawStatus: status,
    capturedAmount: status === "paid" ? 150_000 : 0,
    refundedAmount: 0,
    refunds: [],
    history: [{ status, rawStatus: status, at, source: "create" }],
    createdAt: at,
    updatedAt: at,
  });
  await ports.store.put({ pk: "TENANT#ten_unit", sk: `PAYMENT#${id}`, data: payment });
  return payment;
}

async function events(paymentId: string): Promise<string[]> {
  const page = await ports.store.query("EVENT#ten_unit", { limit: 100 });
  return page.items.filter((item) => item.sk.includes(paymentId)).map((item) => String(item.data.type));
}

/** The ports of a process that dies on its first event write. */
function dyingOnEvent(): Ports {
  let died = false;
  return {
    ...ports,
    store: {
      ...ports.store,
      get: (pk, sk) => ports.store.get(pk, sk),
      version: (pk, sk) => ports.store.version(pk, sk),
      query: (pk, options) => ports.store.query(pk, options),
      delete: (pk, sk, options) => ports.store.delete(pk, sk, options),
      ping: () => ports.store.ping(),
      put: (item: Item, options?: PutOptions) => {
        if (!died && item.pk.startsWith("EVENT#")) {
          died = true;
          return Promise.reject(new Error("process killed"));
        }
        return ports.store.put(item, options);
      },
    },
  };
}

describe("applyStatus", () => {
  it("emits the event a crash between the two writes lost when the webhook is retried, and only once", async () => {
    await seed("pay_crash");
    await expect(Payment.applyStatus(dyingOnEvent(), "ten_unit", "pay_crash", { status: "paid", rawStatus: "settlement", amount: 150_000 }, "webhook")).rejects.toThrow("process killed");
    expect((await Payment.get(ports, "ten_unit", "pay_crash")).status).toBe("paid");
    expect(await events("pay_crash")).toEqual([]);

    const retried = await Payment.applyStatus(ports, "ten_unit", "pay_crash", { status: "paid", rawStatus: "settlement", amount: 150_000 }, "webhook");
    expect(retried.moved).toBe(false);
    expect(await events("pay_crash")).toEqual(["payment.received"]);
    await Payment.applyStatus(ports, "ten_unit", "pay_crash", { status: "paid", rawStatus: "settlement", amount: 150_000 }, "webhook");
    expect(await events("pay_crash")).toEqual(["payment.received"]);
  });

  it("pays a pending payment before refunding it when the refund is reported first", async () => {
    await seed("pay_refund_first");
    const applied = await Payment.applyStatus(ports, "ten_unit", "pay_refund_first", { status: "partially_refunded", rawStatus: "succeeded", amount: 150_000, refundedAmount: 50_000 }, "webhook");
    expect(applied.payment).toMatchObject({ status: "partially_refunded", capturedAmount: 150_000, refundedAmount: 50_000 });
    expect(applied.payment.history.map((change) => change.status)).toEqual(["pending", "paid", "partially_refunded"]);
    expect((await events("pay_refund_first")).sort()).toEqual(["payment.received", "payment.refunded"]);
  });

  it("never moves back, and flags a 'paid' for a payment that already expired", async () => {
    await seed("pay_late", "expired");
    const applied = await Payment.applyStatus(ports, "ten_unit", "pay_late", { status: "paid", rawStatus: "PAID" }, "webhook");
    expect(applied.moved).toBe(false);
    expect(applied.payment.status).toBe("expired");
    const [flagged] = await Payment.unreconciled(ports, "ten_unit");
    expect(flagged).toMatchObject({ id: "pay_late", unreconciled: { gatewayStatus: "PAID" } });
    expect(await events("pay_late")).toEqual([]);
  });
});
