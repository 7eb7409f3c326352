import { DomainError, InvalidInputError } from "../error.ts";
import type { Provider } from "../provider/record.ts";

/**
 * What a storage provider accepts, from its record: `config.maxUploadBytes`
 * (default and ceiling 4 MiB: uploads travel through API Gateway and Lambda as
 * base64 inside a 6 MB invocation payload) and `config.allowedContentTypes`
 * (exact types or `image/*`; default: common images, PDF, plain text and CSV).
 * Declared types with a well-known signature must match the file's first bytes,
 * so a page cannot be stored as "image/png" and served as one.
 */

export const MAX_UPLOAD_BYTES = 4 * 1024 * 1024;

export const DEFAULT_CONTENT_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif", "image/heic", "application/pdf", "text/plain", "text/csv"];

export class TooLargeError extends DomainError {
  constructor(message: string) {
    super(413, "too_large", message);
  }
}

export class UnsupportedTypeError extends DomainError {
  constructor(message: string) {
    super(415, "unsupported_type", message);
  }
}

export function maxBytesOf(provider: Provider): number {
  const configured = Number(provider.config.maxUploadBytes);
  return Number.isInteger(configured) && configured > 0 ? Math.min(configured, MAX_UPLOAD_BYTES) : MAX_UPLOAD_BYTES;
}

export function allowedTypesOf(provider: Provider): string[] {
  const configured = provider.config.allowedContentTypes;
  const list = Array.isArray(configured) ? configured.filter((type): type is string => typeof type === "string" && type.includes("/")) : [];
  return (list.length > 0 ? list : DEFAULT_CONTENT_TYPES).map((type) => type.trim().toLowerCase());
}

/** "Image/PNG; charset=x" → "image/png"; undefined when it is not a media type. */
export function mediaType(value: string | undefined): string | undefined {
  const type = (value ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type) ? type : undefined;
}

const SIGNATURES: Record<string, (bytes: Uint8Array) => boolean> = {
  "image/png": (b) => b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47,
  "image/jpeg": (b) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  "image/gif": (b) => b.length >= 6 && String.fromCharCode(...b.subarray(0, 4)) === "GIF8",
  "image/webp": (b) => b.length >= 12 && String.fromCharCode(...b.subarray(0, 4)) === "RIFF" && String.fromCharCode(...b.subarray(8, 12)) === "WEBP",
  "application/pdf": (b) => b.length >= 5 && String.fromCharCode(...b.subarray(0, 5)) === "%PDF-",
};

/** Throws the 4xx that says what to change; passes files the provider's record accepts. */
export function checkUpload(provider: Provider, file: { contentType: string; size: number; bytes: Uint8Array }): void {
  if (file.size === 0) throw new InvalidInputError("the file is empty: send its bytes");
  const max = maxBytesOf(provider);
  if (file.size > max) throw new TooLargeError(`the file is ${file.size} bytes; ${provider.name} accepts at most ${max} bytes (config.maxUploadBytes)`);
  const allowed = allowedTypesOf(provider);
  const fits = allowed.some((type) => type === file.contentType || (type.endsWith("/*") && file.contentType.startsWith(type.slice(0, -1))));
  if (!fits) throw new UnsupportedTypeError(`${file.contentType} files are not accepted here; allowed: ${allowed.join(", ")} (config.allowedContentTypes)`);
  const signature = SIGNATURES[file.contentType];
  if (signature && !signature(file.bytes)) throw new InvalidInputError(`the file's content is not ${file.contentType}: send the type that matches its bytes`);
}
