import {
  DeleteCommand,
  GetCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { Envelope } from "../../event/envelope.ts";
import { ConditionFailedError, InvalidCursorError, type Clock, type Item, type Page, type PutOptions, type QueryOptions, type Store } from "../../port.ts";

type Raw = Record<string, unknown>;
type Key = Record<string, string>;

const MAX_PAGE = 1000;
/** Items read per round trip at least: expired items are filtered here, so tiny pages would mean many trips. */
const MIN_FETCH = 25;
const OPTIONAL = ["gsi1pk", "gsi1sk", "ttl", "outbox"] as const;
/** Every attribute goes through a name placeholder: `data` and `ttl` are DynamoDB reserved words. */
const NAMES = { "#pk": "pk", "#sk": "sk", "#gsi1pk": "gsi1pk", "#gsi1sk": "gsi1sk", "#ttl": "ttl", "#version": "version", "#outbox": "outbox", "#data": "data" };
const LIVE = "(attribute_not_exists(#ttl) OR #ttl > :now)";
const PREFIX_END = "\u{10FFFF}";

/**
 * The single table on DynamoDB. TTL deletion is lazy there (up to days), so every
 * read filters expired items and every conditional write treats them as absent,
 * which is what SqliteStore does.
 */
export class DynamoStore implements Store {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly clock: Clock;

  constructor(client: DynamoDBDocumentClient, table: string, clock: Clock) {
    this.client = client;
    this.table = table;
    this.clock = clock;
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  private live(raw: Raw | undefined): raw is Raw {
    return raw !== undefined && (typeof raw.ttl !== "number" || raw.ttl > this.nowSeconds());
  }

  async get(pk: string, sk: string): Promise<Item | undefined> {
    const { Item: raw } = await this.client.send(new GetCommand({ TableName: this.table, Key: { pk, sk }, ConsistentRead: true }));
    return this.live(raw) ? toItem(raw) : undefined;
  }

  async version(pk: string, sk: string): Promise<number | undefined> {
    const { Item: raw } = await this.client.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk, sk },
        ConsistentRead: true,
        ProjectionExpression: "#version, #ttl",
        ExpressionAttributeNames: { "#version": "version", "#ttl": "ttl" },
      }),
    );
    return this.live(raw) && typeof raw.version === "number" ? raw.version : undefined;
  }

  async put(item: Item, options: PutOptions = {}): Promise<Item> {
    // Same normalisation SqliteStore gets from its JSON column: undefined dropped, Dates as strings.
    const data = JSON.parse(JSON.stringify(item.data)) as Record<string, unknown>;
    const outbox = item.outbox ? Envelope.parse(item.outbox) : undefined;
    const set = ["#data = :data"];
    const remove: string[] = [];
    const values: Raw = { ":data": data, ":now": this.nowSeconds() };
    const given: Raw = { gsi1pk: item.gsi1pk, gsi1sk: item.gsi1sk, ttl: item.ttl, outbox };
    for (const name of OPTIONAL) {
      if (given[name] === undefined) remove.push(`#${name}`);
      else {
        set.push(`#${name} = :${name}`);
        values[`:${name}`] = given[name];
      }
    }
    const update = (version: string) => `SET #version = ${version}, ${set.join(", ")}${remove.length ? ` REMOVE ${remove.join(", ")}` : ""}`;

    // Without options the condition only fails for an expired item, which the second write handles.
    const conditions = options.ifNotExists || options.ifVersion !== undefined ? [] : [`(attribute_not_exists(#pk) OR ${LIVE})`];
    const firstValues: Raw = { ...values, ":zero": 0, ":one": 1 };
    if (options.ifNotExists) conditions.push("attribute_not_exists(#pk)");
    if (options.ifVersion !== undefined) {
      conditions.push(`#version = :expected AND ${LIVE}`);
      firstValues[":expected"] = options.ifVersion;
    }
    const written = await this.update(item, update("if_not_exists(#version, :zero) + :one"), conditions.join(" AND "), firstValues);
    if (written) return written;
    // An expired item counts as absent: replace it and start its version again at 1.
    // An absent item has no version, so ifVersion cannot be met by it.
    if (options.ifVersion === undefined) {
      const replaced = await this.update(item, update(":one"), "attribute_exists(#pk) AND #ttl <= :now", { ...values, ":one": 1 });
      if (replaced) return replaced;
    }
    throw new ConditionFailedError(item.pk, item.sk);
  }

  /** One conditional UpdateItem; undefined when the condition did not hold. */
  private async update(item: Item, expression: string, condition: string, values: Raw): Promise<Item | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: item.pk, sk: item.sk },
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: usedNames(expression, condition),
          ExpressionAttributeValues: usedValues(values, expression, condition),
          ReturnValues: "ALL_NEW",
        }),
      );
      if (!Attributes) throw new Error(`DynamoDB returned no attributes for ${item.pk} / ${item.sk}`);
      return toItem(Attributes);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async delete(pk: string, sk: string, options: { ifVersion?: number } = {}): Promise<void> {
    const conditional = options.ifVersion !== undefined;
    const condition = `#version = :expected AND ${LIVE}`;
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk, sk },
          ...(conditional && {
            ConditionExpression: condition,
            ExpressionAttributeNames: usedNames(condition),
            ExpressionAttributeValues: { ":expected": options.ifVersion, ":now": this.nowSeconds() },
          }),
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new ConditionFailedError(pk, sk);
      throw error;
    }
  }

  async query(pk: string, options: QueryOptions = {}): Promise<Page<Item>> {
    const limit = Math.min(Math.max(Math.floor(options.limit ?? 100), 1), MAX_PAGE);
    const onIndex = options.index === "gsi1";
    const range = sortRange(options);
    if (!range) return { items: [] };
    const input: QueryCommandInput = {
      TableName: this.table,
      ...(onIndex && { IndexName: "gsi1" }),
      KeyConditionExpression: `#p = :p${range.condition ? ` AND ${range.condition}` : ""}`,
      ExpressionAttributeNames: { "#p": onIndex ? "gsi1pk" : "pk", ...(range.condition && { "#s": onIndex ? "gsi1sk" : "sk" }) },
      ExpressionAttributeValues: { ":p": pk, ...range.values },
      ScanIndexForward: !options.reverse,
    };
    const skOf = (raw: Raw) => String(onIndex ? raw.gsi1sk : raw.sk);
    let startKey: Key | undefined = options.cursor ? decodeCursor(options.cursor, pk, onIndex) : undefined;
    const kept: Raw[] = [];
    // Expired items are filtered out after DynamoDB's Limit applies, so keep reading
    // until the page is full plus one more live item (which proves there is a next page).
    for (;;) {
      const response = await this.client.send(
        new QueryCommand({ ...input, Limit: Math.max(limit - kept.length + 1, MIN_FETCH), ExclusiveStartKey: startKey }),
      );
      for (const raw of response.Items ?? []) {
        if (!this.live(raw) || !range.keep(skOf(raw))) continue;
        if (kept.length === limit) return { items: kept.map(toItem), cursor: encodeCursor(keyOf(kept.at(-1) as Raw, onIndex)) };
        kept.push(raw);
      }
      if (!response.LastEvaluatedKey) return { items: kept.map(toItem) };
      startKey = response.LastEvaluatedKey as Key;
    }
  }

  async ping(): Promise<void> {
    await this.client.send(new GetCommand({ TableName: this.table, Key: { pk: "ping", sk: "ping" } }));
  }
}

/** By name: lib-dynamodb may resolve its own copy of client-dynamodb, so instanceof is unreliable. */
function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === "ConditionalCheckFailedException";
}

/** The name placeholders the expressions use; DynamoDB rejects unused ones. */
function usedNames(...expressions: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(NAMES).filter(([placeholder]) => uses(expressions, placeholder)));
}

/** The value placeholders the expressions use; DynamoDB rejects unused ones. */
function usedValues(values: Raw, ...expressions: string[]): Raw {
  return Object.fromEntries(Object.entries(values).filter(([placeholder]) => uses(expressions, placeholder)));
}

function uses(expressions: string[], placeholder: string): boolean {
  return new RegExp(`${placeholder}\\b`).test(expressions.join(" "));
}

interface SortRange {
  condition?: string;
  values: Raw;
  /** What the key condition cannot say: a prefix combined with from/to. */
  keep(sk: string): boolean;
}

/** DynamoDB allows one sort-key condition; undefined when the range is empty. */
function sortRange({ prefix, from, to }: QueryOptions): SortRange | undefined {
  if (prefix !== undefined && from === undefined && to === undefined) {
    return { condition: "begins_with(#s, :prefix)", values: { ":prefix": prefix }, keep: () => true };
  }
  const lower = prefix === undefined ? from : from === undefined ? prefix : maxKey(prefix, from);
  const upper = prefix === undefined ? to : to === undefined ? prefix + PREFIX_END : minKey(prefix + PREFIX_END, to);
  const keep = (sk: string) => prefix === undefined || sk.startsWith(prefix);
  if (lower !== undefined && upper !== undefined) {
    // BETWEEN with lower > upper is a ValidationException, not an empty result.
    if (compareKeys(lower, upper) > 0) return undefined;
    return { condition: "#s BETWEEN :lower AND :upper", values: { ":lower": lower, ":upper": upper }, keep };
  }
  if (lower !== undefined) return { condition: "#s >= :lower", values: { ":lower": lower }, keep };
  if (upper !== undefined) return { condition: "#s <= :upper", values: { ":upper": upper }, keep };
  return { values: {}, keep };
}

/** DynamoDB (and SQLite) order strings by UTF-8 bytes, which JavaScript's `<` does not. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function maxKey(a: string, b: string): string {
  return compareKeys(a, b) >= 0 ? a : b;
}

function minKey(a: string, b: string): string {
  return compareKeys(a, b) <= 0 ? a : b;
}

function keyOf(raw: Raw, onIndex: boolean): Key {
  const key: Key = { pk: String(raw.pk), sk: String(raw.sk) };
  if (onIndex) {
    key.gsi1pk = String(raw.gsi1pk);
    key.gsi1sk = String(raw.gsi1sk);
  }
  return key;
}

function toItem(raw: Raw): Item {
  const item: Item = { pk: String(raw.pk), sk: String(raw.sk), version: Number(raw.version), data: (raw.data ?? {}) as Record<string, unknown> };
  if (typeof raw.gsi1pk === "string") item.gsi1pk = raw.gsi1pk;
  if (typeof raw.gsi1sk === "string") item.gsi1sk = raw.gsi1sk;
  if (typeof raw.ttl === "number") item.ttl = raw.ttl;
  if (raw.outbox !== undefined) item.outbox = Envelope.parse(raw.outbox);
  return item;
}

function encodeCursor(key: Key): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

/** Only a key this query could have handed out: DynamoDB's own error for a foreign one is vague. */
function decodeCursor(raw: string, pk: string, onIndex: boolean): Key {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
  } catch {
    throw new InvalidCursorError();
  }
  const names = onIndex ? ["pk", "sk", "gsi1pk", "gsi1sk"] : ["pk", "sk"];
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new InvalidCursorError();
  const entries = Object.entries(parsed);
  const valid =
    entries.length === names.length &&
    entries.every(([name, value]) => names.includes(name) && typeof value === "string") &&
    (onIndex ? (parsed as Key).gsi1pk : (parsed as Key).pk) === pk;
  if (!valid) throw new InvalidCursorError();
  return parsed as Key;
}
