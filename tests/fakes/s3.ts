import { randomUUID } from "node:crypto";
import { startFauxqs, type FauxqsServer } from "fauxqs";
import { verifySigV4, type SigV4Key } from "./aws-sigv4.ts";
import { startHttpFake, type FakeResponse, type HttpFake } from "./server.ts";

/**
 * An S3-compatible endpoint: fauxqs's S3 emulator (a real S3 protocol peer, which
 * accepts any credentials) behind a front that checks SigV4 the way S3 does and
 * answers S3's documented XML errors: InvalidAccessKeyId (403), SignatureDoesNotMatch
 * (403), AuthorizationHeaderMalformed with the bucket's <Region> (400) for a request
 * signed for another region, AccessDenied (403) without credentials
 * (docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html). Path-style only.
 */

export interface S3Fake extends HttpFake {
  emulator: FauxqsServer;
  /** Keys currently stored in the bucket. */
  keys(): Promise<string[]>;
}

const xmlError = (status: number, code: string, message: string, extra: Record<string, string> = {}): FakeResponse => ({
  status,
  headers: { "content-type": "application/xml", "x-amz-request-id": randomUUID().replace(/-/g, "").slice(0, 16).toUpperCase() },
  text:
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>` +
    Object.entries(extra)
      .map(([name, value]) => `<${name}>${value}</${name}>`)
      .join("") +
    `<RequestId>${randomUUID()}</RequestId></Error>`,
});

const HOP_BY_HOP = new Set(["host", "connection", "content-length", "expect", "transfer-encoding", "keep-alive"]);

export async function startS3Fake(options: SigV4Key & { region: string; bucket: string }): Promise<S3Fake> {
  const emulator = await startFauxqs({ port: 0, logger: false, defaultRegion: options.region });
  emulator.createBucket(options.bucket);
  const fake = await startHttpFake(async (request) => {
    const verdict = verifySigV4(request, options, { region: options.region, service: "s3" });
    if (!verdict.ok) {
      switch (verdict.reason) {
        case "missing":
          return xmlError(403, "AccessDenied", "Access Denied");
        case "unknown-key":
          return xmlError(403, "InvalidAccessKeyId", verdict.message, { AWSAccessKeyId: String(/Credential=([^/]+)/.exec(request.headers.authorization ?? "")?.[1] ?? "") });
        case "wrong-region":
          return xmlError(400, "AuthorizationHeaderMalformed", `The authorization header is malformed; the region '${verdict.region ?? ""}' is wrong; expecting '${options.region}'`, {
            Region: options.region,
          });
        default:
          return xmlError(403, "SignatureDoesNotMatch", verdict.message);
      }
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = Array.isArray(value) ? value.join(",") : value;
    }
    const forwarded = await fetch(`${emulator.address}${request.url}`, {
      method: request.method,
      headers,
      body: request.method === "GET" || request.method === "HEAD" ? undefined : new Uint8Array(request.raw),
    });
    const answerHeaders: Record<string, string> = {};
    forwarded.headers.forEach((value, name) => {
      if (!HOP_BY_HOP.has(name) && name !== "content-encoding") answerHeaders[name] = value;
    });
    return { status: forwarded.status, headers: answerHeaders, text: await forwarded.text() };
  });
  return {
    ...fake,
    emulator,
    keys: async () => {
      const listed = await fetch(`${emulator.address}/${options.bucket}?list-type=2`);
      return [...(await listed.text()).matchAll(/<Key>([^<]+)<\/Key>/g)].map((match) => match[1] ?? "");
    },
    close: async () => {
      await fake.close();
      await emulator.stop();
    },
  };
}
