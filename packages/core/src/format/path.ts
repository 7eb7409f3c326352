/**
 * Dot paths into provider answers and webhooks (payments, messaging, OTA channels), as records write them:
 * `token.redirect_url`, `va_numbers[0].va_number`, `[0].status` (a list answer),
 * `data[*].id` (every element: a list), `actions[name=generate-qr-code].url`
 * (the first element whose field equals the value). A config value that is a list
 * of paths means "the first one present".
 */

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

type Step = { kind: "key"; key: string } | { kind: "index"; index: number } | { kind: "all" } | { kind: "match"; field: string; value: string };

const cache = new Map<string, Step[]>();

function parse(path: string): Step[] {
  const known = cache.get(path);
  if (known) return known;
  const steps: Step[] = [];
  const pattern = /\[([^\]]*)\]|([^.[\]]+)/g;
  for (const match of path.matchAll(pattern)) {
    const bracket = match[1];
    const bare = match[2];
    if (bare !== undefined) {
      steps.push({ kind: "key", key: bare });
    } else if (bracket === "*") {
      steps.push({ kind: "all" });
    } else if (bracket !== undefined && /^\d+$/.test(bracket)) {
      steps.push({ kind: "index", index: Number(bracket) });
    } else if (bracket !== undefined && bracket.includes("=")) {
      const at = bracket.indexOf("=");
      steps.push({ kind: "match", field: bracket.slice(0, at).trim(), value: bracket.slice(at + 1).trim() });
    } else if (bracket !== undefined) {
      steps.push({ kind: "key", key: bracket.replace(/^["']|["']$/g, "") });
    }
  }
  if (cache.size > 2000) cache.clear();
  cache.set(path, steps);
  return steps;
}

/** The value at one path; undefined when any step is missing. */
export function valueAtPath(source: unknown, path: string): unknown {
  let current: unknown[] = [source];
  let many = false;
  for (const step of parse(path)) {
    const next: unknown[] = [];
    for (const item of current) {
      if (step.kind === "all") {
        many = true;
        if (Array.isArray(item)) next.push(...item);
      } else if (step.kind === "index") {
        if (Array.isArray(item)) next.push(item[step.index]);
      } else if (step.kind === "match") {
        if (Array.isArray(item)) next.push(item.find((element) => isRecord(element) && String(element[step.field]) === step.value));
      } else if (isRecord(item)) {
        next.push(Object.hasOwn(item, step.key) ? item[step.key] : undefined);
      } else if (Array.isArray(item) && /^\d+$/.test(step.key)) {
        next.push(item[Number(step.key)]);
      }
    }
    current = next;
  }
  return many ? current.filter((item) => item !== undefined) : current[0];
}

/** A path or a list of paths from a record; the path that matched is returned too, for messages. */
export function firstPresent(source: unknown, paths: unknown): { value: unknown; path?: string } {
  const list = Array.isArray(paths) ? paths : [paths];
  for (const path of list) {
    if (typeof path !== "string" || path === "") continue;
    const value = valueAtPath(source, path);
    if (value !== undefined && value !== null && value !== "") return { value, path };
  }
  return { value: undefined };
}

/** The paths a record gives, joined for an error message ("token.redirect_url or redirect_url"). */
export function describePaths(paths: unknown): string {
  const list = (Array.isArray(paths) ? paths : [paths]).filter((path): path is string => typeof path === "string" && path !== "");
  return list.length === 0 ? "(no path)" : list.join(" or ");
}

/** A scalar as a string (numbers and booleans too); undefined for objects, lists, null and "". */
export function scalar(value: unknown): string | undefined {
  if (typeof value === "string") return value === "" ? undefined : value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "boolean") return String(value);
  return undefined;
}

/**
 * Renders `{{path}}` placeholders against a body (webhook event ids such as
 * `{{transaction_id}}:{{transaction_status}}`). Only lookups: no code runs. A
 * placeholder with no value makes the whole result undefined.
 */
export function renderFromBody(template: string, body: unknown): string | undefined {
  let missing = false;
  const out = template.replace(/\{\{\s*([^{}]+?)\s*\}\}/g, (_match, path: string) => {
    const value = scalar(valueAtPath(body, path));
    if (value === undefined) missing = true;
    return value ?? "";
  });
  return missing ? undefined : out;
}
