import { createLocalPorts } from "@sambung/core/adapters/local/index";
import { NotKnownYetError } from "@sambung/core/error";
import * as Event from "@sambung/core/event/index";
import { logger } from "@sambung/functions/log";
import { worker } from "@sambung/functions/middleware/worker";
import { usePorts } from "@sambung/functions/ports";
import type { Context, SQSEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { tempDir } from "../support/runtime.ts";

const dir = tempDir();
beforeAll(() => usePorts(createLocalPorts(dir.path)));
afterAll(() => dir.remove());
afterEach(() => {
  vi.restoreAllMocks();
  logger.setLogLevel("ERROR");
});

function batch(...ids: string[]): SQSEvent {
  return {
    Records: ids.map((id) => ({
      messageId: id,
      receiptHandle: `r-${id}`,
      body: JSON.stringify(Event.create({ type: "diag.ping", tenantId: "platform", data: { pingId: id, failTimes: 0, holdMs: 0 } })),
      attributes: { ApproximateReceiveCount: "1", SentTimestamp: "0", SenderId: "local", ApproximateFirstReceiveTimestamp: "0" },
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:local:000000000000:diag",
      awsRegion: "local",
    })),
  };
}

describe("the SQS worker stack", () => {
  it("reports each failed record for retry; a record ahead of what it refers to is logged as an expected wait, anything else as a warning", async () => {
    const warn = vi.spyOn(logger, "warn");
    const info = vi.spyOn(logger, "info");
    const handler = worker(async ({ envelope }) => {
      const id = String(envelope.data.pingId);
      if (id === "early") throw new NotKnownYetError("no payment matches order 7 yet; will retry");
      if (id === "broken") throw new Error("the table is gone");
    });
    // What Powertools writes: one JSON line per call of its console (tests run at LOG_LEVEL=error).
    logger.setLogLevel("INFO");
    const console = (logger as unknown as { console: Console }).console;
    const written = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    vi.spyOn(console, "info").mockImplementation(() => undefined);
    const context = { awsRequestId: "req-42", functionName: "sambung-worker-diag", memoryLimitInMB: "512", invokedFunctionArn: "arn:aws:lambda:local:0:function:diag" } as unknown as Context;
    const result = await handler(batch("ok", "early", "broken"), context);
    // Each line carries the invocation it came from.
    const line = written.mock.calls.map(([text]) => String(text)).find((text) => text.includes('"messageId":"broken"'));
    expect(JSON.parse(line ?? "{}")).toMatchObject({ level: "WARN", function_request_id: "req-42", function_name: "sambung-worker-diag" });
    expect(result.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(["broken", "early"]);
    expect(warn.mock.calls.map(([, extra]) => extra)).toEqual([expect.objectContaining({ messageId: "broken", error: "the table is gone" })]);
    expect(info.mock.calls.map(([, extra]) => extra)).toContainEqual(expect.objectContaining({ messageId: "early", error: expect.stringContaining("will retry") }));
  });
});
