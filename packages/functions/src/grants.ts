/**
 * What a function may touch. The SST stacks turn each grant into the narrowest
 * IAM statement; nothing gets a wildcard action.
 */
export type Grant =
  /** Read the single table. */
  | "table:read"
  /** Write the single table (implies read). */
  | "table:write"
  /** Open and seal provider secrets with the KMS key. */
  | "keyring"
  /** Send to, inspect and redrive the queues and their dead-letter queues. */
  | "queues"
  /** Put events on the bus directly. */
  | "bus"
  /** Read the platform secret (session signing key). */
  | "platform-secret";

/** A handler export: a module under packages/functions/src and the export's name, "http/health.handler". */
export type HandlerRef = `${string}.${string}`;

export function handlerFile(ref: HandlerRef): { file: string; exportName: string } {
  const dot = ref.lastIndexOf(".");
  return { file: ref.slice(0, dot), exportName: ref.slice(dot + 1) };
}
