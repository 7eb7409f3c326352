import { describe, expect, it } from "vitest";
import { ariSender, datesFrom, DAY_MS, isoDay, Model, openAll, useChannelsHub, waitInStep } from "../support/channels.ts";
import { waitFor } from "../support/wait.ts";

/**
 * Booking.com's token-based authentication (the `token_exchange` auth method):
 * machine account credentials are exchanged for a one-hour JWT that every OTA
 * call carries; the fake refuses Basic credentials and expired tokens.
 */
describe("OTA channels: token exchange (Booking.com)", () => {
  const running = useChannelsHub();

  it("fetches one token for many pushes, renews it before expiry, refreshes once on a 401, and logs refused credentials clearly", async () => {
    const { hub, setup } = running;
    const fake = setup.booking.fake;
    const startMs = Math.floor(hub.clock.now() / DAY_MS) * DAY_MS;
    const dates = datesFrom(startMs, 20);
    const day = (offset: number) => isoDay(startMs + offset * DAY_MS);
    const model = new Model();
    const send = ariSender(hub, setup, model);

    await send(openAll(day(0), day(19), 4));
    await waitInStep(model, [setup.booking], dates, "first push");
    for (let round = 1; round <= 3; round += 1) {
      await send([{ roomType: "STD", from: day(round), to: day(round + 2), available: 10 + round }]);
      await waitInStep(model, [setup.booking], dates, `push ${round}`);
    }
    expect(fake.tokens.issued).toBe(1);
    expect(fake.unauthorized()).toBe(0);
    const accepted = fake.state.accepted.length;
    expect(accepted).toBeGreaterThanOrEqual(4);

    // 59 minutes on, the one-hour token is within the refresh margin: a new one is fetched before it lapses.
    hub.clock.advance(59 * 60_000);
    await send([{ roomType: "DLX", from: day(5), to: day(6), available: 1 }]);
    await waitInStep(model, [setup.booking], dates, "after renewal");
    expect(fake.tokens.issued).toBe(2);
    expect(fake.unauthorized()).toBe(0);

    // The booking pulls that fell due in that hour carry the token too, and the cron timer starts them
    // on its own within a second: run them now and let them finish, so that the push below is the one
    // call to meet the revoked token (on a loaded machine a pull still under way met it too: 2 401s).
    hub.cron.tick();
    await hub.cron.settle();
    await waitFor(async () => {
      const stats = await hub.ports.queue.stats("channel");
      return stats.visible === 0 && stats.inFlight === 0;
    }, "the channel queue idle before the revoke");

    // Booking.com stops honouring the token early: the 401 drops it, one fresh token, one retry.
    fake.revokeTokens();
    await send([{ roomType: "STE", from: day(7), to: day(8), available: 2 }]);
    await waitInStep(model, [setup.booking], dates, "after a 401");
    expect(fake.tokens.issued).toBe(3);
    expect(fake.unauthorized()).toBe(1);

    // Wrong machine account credentials: the exchange is refused and the call log says so.
    const patched = await setup.api("PATCH", `/api/admin/providers/${setup.booking.providerId}`, { secrets: { clientSecret: "not-the-secret" } });
    expect(patched.status).toBe(200);
    const acceptedBefore = fake.state.accepted.length;
    await send([{ roomType: "STD", from: day(9), to: day(9), available: 0 }]);
    const failed = await waitFor(async () => {
      const calls = await setup.api<{ items: { error?: string; code?: string }[] }>("GET", `/api/admin/providers/${setup.booking.providerId}/calls?limit=50`);
      return calls.body.items.find((call) => call.error?.includes("refused the machine account credentials at the token endpoint"));
    }, "the refused exchange in the call log");
    expect(failed.error).toMatch(/^Booking\.com refused the machine account credentials at the token endpoint \(HTTP 401\)/);
    expect(failed.error).not.toContain("not-the-secret");
    expect(failed.code).toBe("auth");
    expect(fake.tokens.refused).toBeGreaterThanOrEqual(1);
    expect(fake.state.accepted.length).toBe(acceptedBefore);
  }, 30_000);
});
