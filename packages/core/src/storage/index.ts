import { createHash, randomUUID } from "node:crypto";
import { z } from "zod";
import { InvalidInputError, NotFoundError } from "../error.ts";
import { awsErrorWords, awsStatus, isUnreachable } from "../format/aws.ts";
import { blockedHost } from "../format/checks/address-guard.ts";
import { s3Client, s3TargetOf, type S3Target } from "../format/storage/s3.ts";
import type { Ports } from "../port.ts";
import * as Provider from "../provider/index.ts";
import { FeatureKey, resolve } from "../provider/features.ts";
import type { Provider as ProviderRecord } from "../provider/record.ts";
import * as Resilience from "../resilience/index.ts";
import { actorOf, type Principal } from "../tenant/model.ts";
import { checkUpload, mediaType } from "./limits.ts";

export { DEFAULT_CONTENT_TYPES, MAX_UPLOAD_BYTES, TooLargeError, UnsupportedTypeError } from "./limits.ts";

/**
 * Files: uploads to the S3-compatible storage a feature maps (S3, R2, Wasabi,
 * B2, MinIO, Spaces), metadata kept per tenant, downloads through presigned
 * URLs straight from the provider, deletes. Upload and delete go through the
 * resilience pipeline as idempotent calls (the object key is ours and fixed, so
 * a retried PUT writes the same bytes to the same key); a presigned URL is
 * computed here without calling the provider.
 */

export const StoredFile = z.object({
  id: z.string(),
  tenantId: z.string(),
  locationId: z.string().optional(),
  featureKey: z.string(),
  providerId: z.string(),
  providerSlug: z.string(),
  bucket: z.string(),
  key: z.string(),
  filename: z.string(),
  contentType: z.string(),
  size: z.number().int(),
  sha256: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
});
export type StoredFile = z.infer<typeof StoredFile>;

/** What callers see: not where the object lives. */
export type FileView = Omit<StoredFile, "bucket" | "key" | "tenantId"> & { provider: string };

export interface Upload {
  featureKey: string;
  filename: string;
  contentType: string;
  bytes: Uint8Array;
}

export const DEFAULT_DOWNLOAD_SECONDS = 900;
/** SigV4 presigned URLs live at most 7 days. */
export const MAX_DOWNLOAD_SECONDS = 7 * 86_400;

const filePk = (tenantId: string) => `FILE#${tenantId}`;

function view(file: StoredFile): FileView {
  const { bucket: _bucket, key: _key, tenantId: _tenant, ...rest } = file;
  return { ...rest, provider: file.providerSlug };
}

/** A file name safe for a Content-Disposition header and a log line. */
export function safeFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  const cleaned = base.replace(/[\u0000-\u001f\u007f"]/g, "").trim().slice(0, 200);
  return cleaned === "" || cleaned === "." || cleaned === ".." ? "file" : cleaned;
}

function extensionOf(filename: string): string {
  const match = /\.([a-z0-9]{1,10})$/i.exec(filename);
  return match?.[1] ? `.${match[1].toLowerCase()}` : "";
}

/** RFC 6266: a plain quoted name, plus the UTF-8 form (RFC 8187) only when the name needs it. */
function disposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, "_").replace(/\\/g, "_");
  return ascii === filename ? `attachment; filename="${ascii}"` : `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

function targetOf(provider: ProviderRecord, secrets: Record<string, string>, timeoutMs?: number): S3Target {
  if (provider.apiFormat !== "s3_compatible") {
    throw new Resilience.ProviderError({ code: "error", retryable: false, delivery: "no", message: `${provider.name} is not an S3-compatible storage provider` });
  }
  const target = s3TargetOf(provider, secrets, Provider.baseUrlOf(provider));
  if ("problem" in target) throw new Resilience.ProviderError({ code: "error", retryable: false, delivery: "no", message: `${provider.name}: ${target.problem}` });
  return timeoutMs ? { ...target, timeoutMs } : target;
}

/** An AWS SDK failure as the pipeline's error, in the same words the connection check uses. */
function storageError(thrown: unknown, provider: ProviderRecord, target: S3Target, secrets: Record<string, string>, action: string): Resilience.ProviderError {
  if (thrown instanceof Resilience.ProviderError) return thrown;
  const words = awsErrorWords(thrown, target, secrets, { bucket: target.bucket, action });
  const status = awsStatus(thrown);
  if (status !== undefined) return Resilience.ProviderError.fromResponse({ status, headers: {} }, `${provider.name}: ${words ?? `answered HTTP ${status}`}`);
  if (isUnreachable(thrown)) return new Resilience.ProviderError({ code: "unreachable", retryable: true, delivery: "no", message: `${provider.name} could not be reached; check the endpoint`, cause: thrown });
  const name = (thrown as { name?: string } | undefined)?.name;
  if (name === "TimeoutError" || name === "AbortError") return new Resilience.ProviderError({ code: "timeout", retryable: true, delivery: "maybe", message: `no answer from ${provider.name} within ${target.timeoutMs} ms`, cause: thrown });
  return Resilience.classify(thrown);
}

async function guard(ports: Ports, provider: ProviderRecord, target: S3Target): Promise<void> {
  const blocked = await blockedHost(ports, provider, target.endpoint);
  if (blocked) throw new Resilience.ProviderError({ code: "error", retryable: false, delivery: "no", message: blocked });
}

async function load(ports: Ports, tenantId: string, id: string): Promise<StoredFile> {
  const item = await ports.store.get(filePk(tenantId), id);
  if (!item) throw new NotFoundError(`file ${id}`);
  return StoredFile.parse(item.data);
}

export async function upload(ports: Ports, principal: Principal, input: Upload): Promise<FileView & { usedFallback: boolean }> {
  const featureKey = FeatureKey.parse(input.featureKey);
  const contentType = mediaType(input.contentType);
  if (!contentType) throw new InvalidInputError("send the file's media type (content-type), e.g. image/jpeg");
  const filename = safeFilename(input.filename);
  const locationId = principal.kind === "apiKey" ? principal.locationId : undefined;
  const { primary, fallback } = await resolve(ports, principal.tenantId, featureKey, locationId);
  if (primary.apiFormat !== "s3_compatible") throw new InvalidInputError(`feature ${featureKey} is mapped to ${primary.name}, which is not a storage provider`);
  const file = { contentType, size: input.bytes.byteLength, bytes: input.bytes };
  checkUpload(primary, file);
  const usableFallback = fallback?.apiFormat === "s3_compatible" ? fallback : undefined;

  const id = `file_${randomUUID().replaceAll("-", "")}`;
  const sha256 = createHash("sha256").update(input.bytes).digest("hex");
  const result = await Resilience.callProviders(
    ports,
    { primary, fallback: usableFallback },
    {
      featureKey,
      action: "storage.upload",
      idempotent: true,
      run: async (provider, attempt) => {
        // A fallback with stricter limits refuses before anything is sent.
        if (provider !== primary) checkUpload(provider, file);
        const secrets = await Provider.secretsOf(ports, provider);
        const target = targetOf(provider, secrets, attempt.timeoutMs);
        await guard(ports, provider, target);
        const prefix = typeof provider.config.keyPrefix === "string" ? provider.config.keyPrefix : "sambung/";
        const key = `${prefix}${id}${extensionOf(filename)}`;
        attempt.note({ request: { method: "PUT", bucket: target.bucket, key, contentType, bytes: file.size } });
        const { PutObjectCommand } = await import("@aws-sdk/client-s3");
        const client = await s3Client(target);
        try {
          const answer = await client.send(
            new PutObjectCommand({
              Bucket: target.bucket,
              Key: key,
              Body: input.bytes,
              ContentType: contentType,
              ContentLength: file.size,
              ContentDisposition: disposition(filename),
              Metadata: { "sambung-file-id": id },
            }),
            { abortSignal: attempt.signal },
          );
          attempt.note({ status: answer.$metadata.httpStatusCode, response: { etag: answer.ETag } });
          return { bucket: target.bucket, key };
        } catch (error) {
          throw storageError(error, provider, target, secrets, `write to bucket "${target.bucket}"`);
        } finally {
          client.destroy();
        }
      },
    },
  );
  const stored = StoredFile.parse({
    id,
    tenantId: principal.tenantId,
    locationId,
    featureKey,
    providerId: result.providerId,
    providerSlug: result.providerSlug,
    bucket: result.value.bucket,
    key: result.value.key,
    filename,
    contentType,
    size: file.size,
    sha256,
    createdBy: actorOf(principal),
    createdAt: new Date(ports.clock.now()).toISOString(),
  });
  await ports.store.put({ pk: filePk(principal.tenantId), sk: id, data: stored });
  return { ...view(stored), usedFallback: result.usedFallback };
}

export interface Download {
  url: string;
  expiresAt: string;
}

/** The file's metadata and a presigned download URL valid for `expiresIn` seconds (default `config.downloadExpirySeconds`, else 15 min; at most 7 days). */
export async function get(ports: Ports, tenantId: string, id: string, options: { expiresIn?: number } = {}): Promise<FileView & { download: Download }> {
  const file = await load(ports, tenantId, id);
  const provider = await Provider.get(ports, tenantId, file.providerId).catch((error: unknown) => {
    if (error instanceof NotFoundError) throw new InvalidInputError(`file ${id} was stored with a provider that has since been deleted; its bytes are no longer reachable through Sambung`);
    throw error;
  });
  const configured = Number(provider.config.downloadExpirySeconds);
  const expiresIn = options.expiresIn ?? (Number.isInteger(configured) && configured > 0 ? configured : DEFAULT_DOWNLOAD_SECONDS);
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_DOWNLOAD_SECONDS) {
    throw new InvalidInputError(`expiresIn: a download link lives 1 to ${MAX_DOWNLOAD_SECONDS} seconds (7 days)`);
  }
  const secrets = await Provider.secretsOf(ports, provider);
  const target = targetOf(provider, secrets);
  const { GetObjectCommand } = await import("@aws-sdk/client-s3");
  const { getSignedUrl } = await import("@aws-sdk/s3-request-presigner");
  const client = await s3Client(target);
  const now = ports.clock.now();
  try {
    // Signed by the hub's clock, so the expiry is the hub's idea of time too.
    const url = await getSignedUrl(
      client,
      new GetObjectCommand({ Bucket: file.bucket, Key: file.key, ResponseContentDisposition: disposition(file.filename), ResponseContentType: file.contentType }),
      { expiresIn, signingDate: new Date(now) },
    );
    return { ...view(file), download: { url, expiresAt: new Date(now + expiresIn * 1000).toISOString() } };
  } finally {
    client.destroy();
  }
}

/** Deletes the object at its provider, then the metadata. */
export async function remove(ports: Ports, tenantId: string, id: string): Promise<void> {
  const file = await load(ports, tenantId, id);
  const provider = await Provider.get(ports, tenantId, file.providerId).catch((error: unknown) => {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  });
  if (provider) {
    await Resilience.callProvider(ports, provider, {
      featureKey: file.featureKey,
      action: "storage.delete",
      // S3 answers 204 for a key that is already gone: deleting twice is deleting once.
      idempotent: true,
      run: async (current, attempt) => {
        const secrets = await Provider.secretsOf(ports, current);
        const target = targetOf(current, secrets, attempt.timeoutMs);
        await guard(ports, current, target);
        attempt.note({ request: { method: "DELETE", bucket: file.bucket, key: file.key } });
        const { DeleteObjectCommand } = await import("@aws-sdk/client-s3");
        const client = await s3Client(target);
        try {
          const answer = await client.send(new DeleteObjectCommand({ Bucket: file.bucket, Key: file.key }), { abortSignal: attempt.signal });
          attempt.note({ status: answer.$metadata.httpStatusCode });
        } catch (error) {
          throw storageError(error, current, target, secrets, `delete from bucket "${file.bucket}"`);
        } finally {
          client.destroy();
        }
      },
    });
  }
  await ports.store.delete(filePk(tenantId), id);
}
