import type { z } from "zod";
import type { SignatureMethod } from "../../preset/schema.ts";

export type SignatureMethodName = z.infer<typeof SignatureMethod>;

/** One inbound webhook request, as the hub stored it, plus the provider's sealed secrets and verifier params. */
export interface VerifierInput {
  /** The request body exactly as received (never re-serialised). */
  rawBody: string;
  /** Request headers, names lower-cased. */
  headers: Record<string, string>;
  method: string;
  /** The full URL as the provider called it, including the query string. */
  url: string;
  query: Record<string, string>;
  /** Decrypted secret fields of the provider record (see format/catalog.ts). */
  secrets: Record<string, string>;
  /** The provider record's `signature.params`. */
  params: Record<string, unknown>;
  nowMs: number;
}

export type VerifyResult = { ok: true; eventId?: string } | { ok: false; reason: string };

/**
 * A verifier never throws for bad input and never puts a secret or an expected
 * signature in `reason`; every comparison of secret-derived values is constant-time.
 */
export type Verifier = (input: VerifierInput) => VerifyResult;
