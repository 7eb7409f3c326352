import { randomUUID } from "node:crypto";
import type { ConnectionCheck } from "../check.ts";
import { str } from "../http-auth.ts";
import { s3Client, s3TargetOf } from "../storage/s3.ts";
import { awsFailure, hostOf, setupProblem } from "./aws.ts";
import { ok } from "./outcome.ts";

/**
 * s3_compatible: upload a 1 KB object and delete it again, through the S3 API at
 * the record's endpoint (base URL or `config.endpoint`), `config.region`,
 * `config.bucket` and `config.forcePathStyle`. Checksums are only sent where the
 * operation requires them, which S3-compatible services (R2, B2, Wasabi, MinIO) accept.
 */
export const s3Compatible: ConnectionCheck = async ({ provider, secrets, baseUrl }) => {
  const target = s3TargetOf(provider, secrets, baseUrl);
  if ("problem" in target) return setupProblem(target.problem);
  const bucket = target.bucket;
  const { PutObjectCommand, DeleteObjectCommand } = await import("@aws-sdk/client-s3");
  const client = await s3Client(target);
  const prefix = str(provider.config.checkPrefix) ?? "sambung-connection-check/";
  const key = `${prefix}${randomUUID()}.txt`;
  const body = Buffer.alloc(1024, "Sambung connection check. This object is deleted right after upload.\n");
  try {
    try {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: "text/plain" }));
    } catch (error) {
      const words = awsFailure(error, target, secrets, { bucket, action: `write to bucket "${bucket}"` });
      if (words) return words;
      throw error;
    }
    try {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (error) {
      const words = awsFailure(error, target, secrets, { bucket, action: `delete from bucket "${bucket}"` });
      return ok(`uploaded a 1 KB test object to bucket "${bucket}", but deleting it failed (${words?.message ?? "unknown error"}); remove ${key} by hand`);
    }
    return ok(`uploaded and deleted a 1 KB test object in bucket "${bucket}" at ${hostOf(target.endpoint)}`);
  } finally {
    client.destroy();
  }
};
