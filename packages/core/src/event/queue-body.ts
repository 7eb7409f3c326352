import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { convertToNative } from "@aws-sdk/util-dynamodb";

/**
 * The JSON of a queue message's body, whichever way it reached the queue.
 *
 * On AWS an outbox event travels table stream → EventBridge Pipe → bus → rule →
 * SQS, and the pipe forwards the item's `outbox` attribute as the stream carries
 * it: DynamoDB JSON, `{"M": {"id": {"S": "evt_1"}, "data": {"M": {...}}, ...}}`
 * (a pipe's input template can pick a path but cannot turn a map of unknown shape
 * into plain JSON; see infra/events.ts). Everything else — the local outbox,
 * EventBridgeBus.publish, a module's own messages — sends plain JSON. A body whose
 * only key is `M` holding an object is the former (no envelope or message of ours
 * has that shape) and is unmarshalled here, so workers see the same envelope on
 * both runtimes.
 */
export function parseQueueBody(body: string): unknown {
  const parsed: unknown = JSON.parse(body);
  return isAttributeMap(parsed) ? fromAttributeValue(parsed) : parsed;
}

function isAttributeMap(value: unknown): value is { M: Record<string, AttributeValue> } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  const map = (value as { M?: unknown }).M;
  return keys.length === 1 && keys[0] === "M" && typeof map === "object" && map !== null && !Array.isArray(map);
}

function fromAttributeValue(value: AttributeValue): unknown {
  // Numbers as JSON.parse reads them (a double), never BigInt or an error for a large one.
  return convertToNative(value, { wrapNumbers: (text: string) => Number(text) });
}
