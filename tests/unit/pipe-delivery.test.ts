import { createLocalPorts } from "@sambung/core/adapters/local/index";
import { EVENT_SOURCE } from "@sambung/core/adapters/aws/bus";
import type { Envelope } from "@sambung/core/event/envelope";
import { parseQueueBody } from "@sambung/core/event/queue-body";
import { worker, type WorkItem } from "@sambung/functions/middleware/worker";
import { usePorts } from "@sambung/functions/ports";
import { handler as deliver } from "@sambung/functions/workers/deliver";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OUTBOX_DETAIL_TYPE_PATH, OUTBOX_FILTER, OUTBOX_INPUT_TEMPLATE } from "../../infra/events.ts";
import { tempDir } from "../support/runtime.ts";

/**
 * What a worker's SQS message holds on AWS: the table stream record of an item
 * with an `outbox` attribute, as EventBridge Pipes reads it from the stream
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-dynamodb.html:
 * one record per event, images in DynamoDB JSON), through the pipe's input
 * template and detail-type path (infra/events.ts), the bus, and the rule's
 * `InputPath: $.detail` into the queue. Built step by step from the stacks' own
 * constants, so a change there shows up here.
 */
const dir = tempDir();
beforeAll(() => usePorts(createLocalPorts(dir.path)));
afterAll(() => dir.remove());

const context = {} as Context;

/** What the store wrote (plain JSON, as the local runtime delivers it). */
const envelope: Envelope = {
  id: "evt_01J9Z3X",
  type: "diag.ping",
  tenantId: "ten_1",
  locationId: "loc_1",
  occurredAt: "2025-03-01T08:00:00.000Z",
  data: { pingId: "png_1", failTimes: 0, holdMs: 0 },
};

/** The same item in the stream's NEW_IMAGE, as DynamoDB JSON (lib-dynamodb marshalling: numbers as N strings, maps as M). */
const streamRecord = {
  eventID: "c81e728d9d4c2f636f067f89cc14862c",
  eventName: "INSERT",
  eventVersion: "1.1",
  eventSource: "aws:dynamodb",
  awsRegion: "ap-southeast-1",
  dynamodb: {
    ApproximateCreationDateTime: 1740816000,
    Keys: { pk: { S: "diag#png_1" }, sk: { S: "PING" } },
    NewImage: {
      pk: { S: "diag#png_1" },
      sk: { S: "PING" },
      version: { N: "1" },
      data: { M: { status: { S: "sent" }, attempts: { L: [] }, note: { NULL: true } } },
      outbox: {
        M: {
          id: { S: "evt_01J9Z3X" },
          type: { S: "diag.ping" },
          tenantId: { S: "ten_1" },
          locationId: { S: "loc_1" },
          occurredAt: { S: "2025-03-01T08:00:00.000Z" },
          data: { M: { pingId: { S: "png_1" }, failTimes: { N: "0" }, holdMs: { N: "0" } } },
        },
      },
    },
    SequenceNumber: "4421584500000000017450439091",
    SizeBytes: 213,
    StreamViewType: "NEW_IMAGE",
  },
  eventSourceARN: "arn:aws:dynamodb:ap-southeast-1:123456789012:table/test-sambung-Table/stream/2025-03-01T00:00:00.000",
};

/** The JSON paths a pipe template uses: `$.a.b.c`. */
function at(value: unknown, path: string): unknown {
  return path
    .replace(/^\$\./, "")
    .split(".")
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], value);
}

/** The pipe's filter (exists on a leaf, literal lists, nesting), as tests/infra checks it too. */
function passes(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((option) =>
      typeof option === "object" && option !== null && "exists" in option ? value !== undefined && typeof value !== "object" : option === value,
    );
  }
  const record = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  return Object.entries(pattern as Record<string, unknown>).every(([key, sub]) => passes(sub, record[key]));
}

function sqsRecord(body: string, messageId = "6c3e8f0a-1b2d-4e5f-8a9b-0c1d2e3f4a5b"): SQSRecord {
  return {
    messageId,
    receiptHandle: "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
    body,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: "1740816001000",
      SenderId: "AIDAIENQZJOLO23YVJ4VO",
      ApproximateFirstReceiveTimestamp: "1740816001050",
    },
    messageAttributes: {},
    md5OfBody: "e4e68fb7bd0e697a0ae8f1bb342846b3",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:ap-southeast-1:123456789012:test-sambung-diag",
    awsRegion: "ap-southeast-1",
  };
}

/** Stream record → pipe (filter, template, detail-type) → bus event → rule `$.detail` → SQS body. */
function deliveredBody(): string {
  expect(passes(OUTBOX_FILTER, streamRecord)).toBe(true);
  const template = /^<(\$[.\w]+)>$/.exec(OUTBOX_INPUT_TEMPLATE)?.[1];
  expect(template, "the pipe's template is a single JSON path").toBeDefined();
  const detail = at(streamRecord, template as string);
  const busEvent = {
    version: "0",
    id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": at(streamRecord, OUTBOX_DETAIL_TYPE_PATH),
    source: EVENT_SOURCE,
    account: "123456789012",
    time: "2025-03-01T08:00:01Z",
    region: "ap-southeast-1",
    resources: [],
    detail,
  };
  expect(busEvent["detail-type"]).toBe("diag.ping");
  return JSON.stringify(at(busEvent, "$.detail"));
}

describe("a worker's message as the outbox pipe delivers it on AWS", () => {
  it("is DynamoDB JSON, not the envelope", () => {
    const body = JSON.parse(deliveredBody()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(["M"]);
  });

  it("reaches the worker's handler as the same envelope the local runtime delivers", async () => {
    const seen: WorkItem[] = [];
    const handler = worker(async (item) => {
      seen.push(item);
    });
    const event: SQSEvent = { Records: [sqsRecord(deliveredBody(), "pipe"), sqsRecord(JSON.stringify(envelope), "local")] };
    const result = await handler(event, context);
    expect(result.batchItemFailures).toEqual([]);
    expect(seen.map((item) => item.envelope)).toEqual([envelope, envelope]);
    expect(seen[0]?.receiveCount).toBe(1);
  });

  it("reaches the deliver worker's fan-out as an envelope, not a failure", async () => {
    const result = await deliver({ Records: [sqsRecord(deliveredBody())] }, context);
    expect(result.batchItemFailures).toEqual([]);
  });

  it("still fails a message that is no envelope in either form, and only that one", async () => {
    const handler = worker(async () => undefined);
    const broken = JSON.stringify({ M: { id: { S: "evt_2" } } });
    const result = await handler({ Records: [sqsRecord(broken, "broken"), sqsRecord(deliveredBody(), "good")] }, context);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "broken" }]);
  });
});

describe("parseQueueBody", () => {
  it("unmarshalls every attribute type an envelope's JSON data can turn into, numbers as JSON reads them", () => {
    const body = JSON.stringify({
      M: {
        text: { S: "a" },
        count: { N: "12.5" },
        huge: { N: "1e+300" },
        big: { N: "9007199254740993" },
        yes: { BOOL: true },
        none: { NULL: true },
        list: { L: [{ S: "x" }, { N: "1" }, { M: { deep: { BOOL: false } } }] },
        empty: { M: {} },
      },
    });
    expect(parseQueueBody(body)).toEqual({
      text: "a",
      count: 12.5,
      huge: 1e300,
      big: Number("9007199254740993"),
      yes: true,
      none: null,
      list: ["x", 1, { deep: false }],
      empty: {},
    });
  });

  it("leaves plain JSON alone, including objects that merely have an M key among others", () => {
    expect(parseQueueBody(JSON.stringify(envelope))).toEqual(envelope);
    expect(parseQueueBody('{"M":{"S":"x"},"kind":"attempt"}')).toEqual({ M: { S: "x" }, kind: "attempt" });
    expect(parseQueueBody('{"M":"text"}')).toEqual({ M: "text" });
  });
});
