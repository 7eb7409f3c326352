import type { ProviderView } from "@sambung/core/provider/record";
import type { CallRecord } from "@sambung/core/telemetry/index";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startS3Server, type S3Server } from "../support/s3-server.ts";
import { call, startTestRuntime, type TestRuntime } from "../support/runtime.ts";

/**
 * Issue #9, storage: POST /api/v1/files to the S3-compatible provider a feature
 * maps, GET for metadata and a presigned URL, DELETE. The provider is a real
 * S3-compatible server from npm (s3rver), which checks every signature, header
 * and presigned alike.
 */

let hub: TestRuntime;
let s3: S3Server;
let storage: ProviderView;
let key: string;

const FEATURE = "storage.guest_documents";
const KEYS = { accessKeyId: "AKIASAMBUNGTEST00001", secretAccessKey: "s3rver-secret-key-0001" };
const LIMIT = 64 * 1024;
/** The 8-byte PNG signature, then anything: enough for a type check that looks at the first bytes. */
const png = (size: number) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(size - 8, 7)]);

interface FileBody {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  provider: string;
  usedFallback?: boolean;
  download?: { url: string; expiresAt: string };
}

interface Problem {
  error: { code: string; message: string };
}

async function apiKey(scopes: string[], token?: string): Promise<string> {
  const created = await hub.api<{ key: string }>("POST", "/api/admin/api-keys", { name: `files ${scopes.join(",")}`, scopes }, token ? { authorization: `Bearer ${token}` } : {});
  expect(created.status).toBe(201);
  return created.body.key;
}

async function send<T>(method: string, path: string, body?: BodyInit, headers: Record<string, string> = {}, as = key): Promise<{ status: number; body: T }> {
  const response = await fetch(`${hub.url}${path}`, { method, body, headers: { authorization: `Bearer ${as}`, ...headers } });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

function multipart(file: Blob, filename: string, featureKey = FEATURE): FormData {
  const form = new FormData();
  form.set("featureKey", featureKey);
  form.set("file", file, filename);
  return form;
}

beforeAll(async () => {
  [hub, s3] = await Promise.all([startTestRuntime({ allowPrivateUrls: true }), startS3Server({ ...KEYS, bucket: "hotel-files" })]);
  const created = await hub.api<ProviderView>("POST", "/api/admin/providers", {
    type: "storage",
    name: "MinIO at the hotel",
    presetId: "minio",
    apiFormat: "s3_compatible",
    baseUrl: s3.url,
    sandboxBaseUrl: s3.url,
    secrets: KEYS,
    config: { bucket: "hotel-files", region: "us-east-1", forcePathStyle: true, maxUploadBytes: LIMIT, allowedContentTypes: ["image/png", "application/pdf", "text/plain"] },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  storage = created.body;
  expect((await hub.api("PUT", "/api/admin/features", { mappings: [{ featureKey: FEATURE, primaryProviderId: storage.id }] })).status).toBe(200);
  key = await apiKey(["files"]);
});

afterAll(async () => {
  await hub?.close();
  await s3?.close();
});

describe("files over real HTTP against a real S3-compatible server", () => {
  let uploaded: FileBody;
  let download: string;
  const bytes = png(20_000);

  it("uploads multipart/form-data, then a presigned URL downloads the same bytes", async () => {
    const { status, body } = await send<FileBody>("POST", "/api/v1/files", multipart(new Blob([bytes], { type: "image/png" }), "passport scan.png"));
    expect(status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({ filename: "passport scan.png", contentType: "image/png", size: bytes.length, provider: storage.slug, usedFallback: false });
    expect(body.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    uploaded = body;

    const meta = await send<FileBody>("GET", `/api/v1/files/${uploaded.id}?expiresIn=600`);
    expect(meta.status).toBe(200);
    expect(meta.body).toMatchObject({ id: uploaded.id, size: bytes.length, contentType: "image/png" });
    expect(meta.body).not.toHaveProperty("key");
    expect(Date.parse(meta.body.download?.expiresAt ?? "") - hub.clock.now()).toBe(600_000);
    download = meta.body.download?.url ?? "";
    expect(download).toContain("X-Amz-Signature=");
    expect(download).toContain("X-Amz-Expires=600");

    const fetched = await fetch(download);
    expect(fetched.status).toBe(200);
    expect(Buffer.from(await fetched.arrayBuffer()).equals(bytes)).toBe(true);
    expect(fetched.headers.get("content-type")).toBe("image/png");
    expect(fetched.headers.get("content-disposition")).toContain('filename="passport scan.png"');
  });

  it("refuses a presigned URL whose signature was tampered with, and one that has expired", async () => {
    const tampered = download.replace(/X-Amz-Signature=([0-9a-f])/, (_match, first: string) => `X-Amz-Signature=${first === "0" ? "1" : "0"}`);
    const refused = await fetch(tampered);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("SignatureDoesNotMatch");

    // Signed by the hub's clock: a link issued "two hours ago" for one minute is already dead.
    const now = hub.clock.now();
    hub.clock.set(now - 2 * 3600_000);
    const old = await send<FileBody>("GET", `/api/v1/files/${uploaded.id}?expiresIn=60`);
    hub.clock.set(now);
    expect(old.status).toBe(200);
    const expired = await fetch(old.body.download?.url ?? "");
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain("Request has expired");
  });

  it("uploads a raw body with content-type and ?filename, and logs both uploads in the provider's call log", async () => {
    const text = "Tamu kamar 12: late check-out 14.00\n";
    const { status, body } = await send<FileBody>("POST", `/api/v1/files?featureKey=${FEATURE}&filename=${encodeURIComponent("catatan/../tamu.txt")}`, text, { "content-type": "text/plain; charset=utf-8" });
    expect(status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({ filename: "tamu.txt", contentType: "text/plain", size: Buffer.byteLength(text) });
    const meta = await send<FileBody>("GET", `/api/v1/files/${body.id}`);
    const fetched = await fetch(meta.body.download?.url ?? "");
    expect(await fetched.text()).toBe(text);
    expect(Date.parse(meta.body.download?.expiresAt ?? "") - hub.clock.now()).toBe(900_000);

    await new Promise((resolve) => setTimeout(resolve, 150));
    const calls = await hub.api<{ items: CallRecord[] }>("GET", `/api/admin/providers/${storage.id}/calls`);
    const uploads = calls.body.items.filter((entry) => entry.action === "storage.upload");
    expect(uploads).toHaveLength(2);
    expect(uploads.every((entry) => entry.outcome === "success" && entry.httpStatus === 200 && entry.featureKey === FEATURE)).toBe(true);
  });

  it("answers oversize, wrong-type and mislabelled files with a 4xx that says what to change", async () => {
    const big = await send<Problem>("POST", "/api/v1/files", multipart(new Blob([png(LIMIT + 1)], { type: "image/png" }), "big.png"));
    expect(big.status).toBe(413);
    expect(big.body.error).toMatchObject({ code: "too_large", message: `the file is ${LIMIT + 1} bytes; MinIO at the hotel accepts at most ${LIMIT} bytes (config.maxUploadBytes)` });

    const gif = await send<Problem>("POST", "/api/v1/files", multipart(new Blob([Buffer.from("GIF89a......")], { type: "image/gif" }), "smile.gif"));
    expect(gif.status).toBe(415);
    expect(gif.body.error.message).toBe("image/gif files are not accepted here; allowed: image/png, application/pdf, text/plain (config.allowedContentTypes)");

    const fake = await send<Problem>("POST", "/api/v1/files", multipart(new Blob(["<html>not a picture</html>"], { type: "image/png" }), "x.png"));
    expect(fake.status).toBe(400);
    expect(fake.body.error.message).toBe("the file's content is not image/png: send the type that matches its bytes");

    const noFeature = await send<Problem>("POST", "/api/v1/files?filename=a.txt", "hello", { "content-type": "text/plain" });
    expect(noFeature.status).toBe(400);
    expect(noFeature.body.error.message).toContain("featureKey");

    const twoFiles = multipart(new Blob([png(100)], { type: "image/png" }), "a.png");
    twoFiles.append("file", new Blob([png(100)], { type: "image/png" }), "b.png");
    const two = await send<Problem>("POST", "/api/v1/files", twoFiles);
    expect(two.status).toBe(400);
    expect(two.body.error.message).toBe('send exactly one file, in a part named "file"');

    const empty = await send<Problem>("POST", `/api/v1/files?featureKey=${FEATURE}&filename=a.txt`, "", { "content-type": "text/plain" });
    expect(empty.status).toBe(400);

    const week = await send<Problem>("GET", `/api/v1/files/${uploaded.id}?expiresIn=${7 * 86_400 + 1}`);
    expect(week.status).toBe(400);
    expect(week.body.error.message).toContain("7 days");
  });

  it("keeps each tenant's files to itself, and needs the files scope", async () => {
    const tenant = await hub.api("POST", "/api/admin/tenants", { name: "Losmen Lain", owner: { email: "lain@example.com", password: "another long password" } });
    expect(tenant.status).toBe(201);
    const login = await call<{ token: string }>(hub.url, "POST", "/api/auth/login", { email: "lain@example.com", password: "another long password" });
    const otherKey = await apiKey(["files"], login.body.token);

    const peek = await send<Problem>("GET", `/api/v1/files/${uploaded.id}`, undefined, {}, otherKey);
    expect(peek.status).toBe(404);
    const wipe = await send<Problem>("DELETE", `/api/v1/files/${uploaded.id}`, undefined, {}, otherKey);
    expect(wipe.status).toBe(404);
    // The other tenant maps nothing: its upload has nowhere to go.
    const theirs = await send<Problem>("POST", "/api/v1/files", multipart(new Blob([png(100)], { type: "image/png" }), "a.png"), {}, otherKey);
    expect(theirs.status).toBe(400);
    expect(theirs.body.error.message).toContain(`no provider mapped for feature ${FEATURE}`);

    const captchaOnly = await apiKey(["captcha"]);
    expect((await send<Problem>("GET", `/api/v1/files/${uploaded.id}`, undefined, {}, captchaOnly)).status).toBe(403);
    expect((await fetch(download)).status).toBe(200);
  });

  it("deletes the object and its metadata: the earlier link no longer downloads", async () => {
    const removed = await send("DELETE", `/api/v1/files/${uploaded.id}`);
    expect(removed.status).toBe(204);
    const gone = await fetch(download);
    expect(gone.status).toBe(404);
    expect(await gone.text()).toContain("NoSuchKey");
    expect((await send<Problem>("GET", `/api/v1/files/${uploaded.id}`)).status).toBe(404);
    expect((await send<Problem>("DELETE", `/api/v1/files/${uploaded.id}`)).status).toBe(404);
  });
});
