import { InvalidInputError } from "@sambung/core/error";
import * as Storage from "@sambung/core/storage/index";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { z } from "zod";
import { http } from "../middleware/http.ts";

/**
 * Files. POST /api/v1/files takes either
 * - multipart/form-data with a `featureKey` field and one `file` part (its
 *   filename and content type are the file's), which keeps the bytes exactly; or
 * - the raw bytes as the body, their media type as content-type, and
 *   `?featureKey=...&filename=...` (a text/* body must then be UTF-8: API Gateway
 *   and the local runtime pass text types as text, everything else base64).
 * GET /api/v1/files/{id}?expiresIn=seconds gives the metadata and a presigned
 * download URL; DELETE removes the object and its metadata.
 */

const Id = z.object({ id: z.string().regex(/^file_[0-9a-f]{32}$/, "a file id looks like file_ followed by 32 hex digits") });

const UploadQuery = z.object({
  featureKey: z.string().optional(),
  filename: z.string().max(1000).optional(),
});

const GetQuery = z.object({
  expiresIn: z.coerce.number().int().min(1).max(Storage.MAX_DOWNLOAD_SECONDS, "a download link lives at most 7 days (604800 seconds)").optional(),
});

/** The body's bytes, whichever way the gateway carried them. */
function bodyBytes(event: APIGatewayProxyEventV2): Buffer {
  if (!event.body) return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8");
}

async function fromMultipart(bytes: Buffer, contentType: string): Promise<Storage.Upload> {
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(bytes), { headers: { "content-type": contentType } }).formData();
  } catch {
    throw new InvalidInputError("the multipart/form-data body could not be read: send a featureKey field and one file part");
  }
  const files = form.getAll("file");
  const file = files[0];
  if (files.length !== 1 || typeof file === "string" || file === undefined) throw new InvalidInputError("send exactly one file, in a part named \"file\"");
  const featureKey = form.get("featureKey");
  if (typeof featureKey !== "string" || featureKey === "") throw new InvalidInputError("send the featureKey field (e.g. storage.guest_documents) with the file");
  return { featureKey, filename: file.name, contentType: file.type || "application/octet-stream", bytes: new Uint8Array(await file.arrayBuffer()) };
}

export const upload = http({ auth: { scope: "files" }, query: UploadQuery }, async ({ ports, principal, event, headers, query }) => {
  const contentType = headers["content-type"] ?? "";
  const bytes = bodyBytes(event);
  if (bytes.length > Storage.MAX_UPLOAD_BYTES + 64 * 1024) {
    throw new Storage.TooLargeError(`the upload is ${bytes.length} bytes; files may be at most ${Storage.MAX_UPLOAD_BYTES} bytes`);
  }
  let file: Storage.Upload;
  if (/^multipart\/form-data/i.test(contentType)) file = await fromMultipart(bytes, contentType);
  else {
    if (!query.featureKey) throw new InvalidInputError("send ?featureKey=... with a raw upload (or upload as multipart/form-data with a featureKey field)");
    if (!contentType) throw new InvalidInputError("send the file's media type as content-type, e.g. image/jpeg");
    file = { featureKey: query.featureKey, filename: query.filename ?? "file", contentType, bytes };
  }
  return { status: 201, body: await Storage.upload(ports, principal, file) };
});

export const get = http({ auth: { scope: "files" }, params: Id, query: GetQuery }, async ({ ports, principal, params, query }) => ({
  body: await Storage.get(ports, principal.tenantId, params.id, { expiresIn: query.expiresIn }),
}));

export const remove = http({ auth: { scope: "files" }, params: Id }, async ({ ports, principal, params }) => {
  await Storage.remove(ports, principal.tenantId, params.id);
  return { status: 204 };
});
