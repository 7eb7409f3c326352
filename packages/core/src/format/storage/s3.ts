import type { S3Client } from "@aws-sdk/client-s3";
import type { Provider } from "../../provider/record.ts";
import { awsTargetOf, clientOptions, type AwsTarget } from "../aws.ts";
import { str } from "../http-auth.ts";

/**
 * s3_compatible: one S3 API for S3, R2, Wasabi, B2, MinIO and Spaces. The record
 * says where (`config.endpoint` or the base URL), `config.region`,
 * `config.bucket` and `config.forcePathStyle` (MinIO and most self-hosted
 * servers want path-style URLs). The connection check and the storage module
 * build their client here.
 */

export interface S3Target extends AwsTarget {
  bucket: string;
  forcePathStyle: boolean;
}

/** Where and how to reach the record's bucket; what is missing, in words, otherwise. */
export function s3TargetOf(provider: Provider, secrets: Record<string, string>, baseUrl: string): S3Target | { problem: string } {
  const bucket = str(provider.config.bucket);
  if (!bucket) return { problem: "set the bucket name (config.bucket)" };
  const target = awsTargetOf(provider, secrets, baseUrl);
  if ("problem" in target) return target;
  return { ...target, bucket, forcePathStyle: provider.config.forcePathStyle === true };
}

/**
 * An S3 client for the target. Checksums only where the operation requires
 * them, which S3-compatible services (R2, B2, Wasabi, MinIO) accept.
 * Loaded on demand: only storage records need the S3 client.
 */
export async function s3Client(target: S3Target): Promise<S3Client> {
  const { S3Client } = await import("@aws-sdk/client-s3");
  return new S3Client({
    ...clientOptions(target),
    forcePathStyle: target.forcePathStyle,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}
