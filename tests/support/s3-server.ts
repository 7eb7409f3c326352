import type { Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tempDir } from "./runtime.ts";

/**
 * A real S3-compatible server from npm (@20minutes/s3rver, pure JavaScript,
 * objects on disk): it checks SigV4 signatures, header-signed and presigned
 * (query-string) alike, refuses expired presigned URLs and answers S3's XML
 * errors. Path-style addressing on 127.0.0.1, as MinIO-style records use.
 */

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;
interface AccountModule {
  DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void; revokeAccessKey(accessKeyId: string): void };
}

const require = createRequire(import.meta.url);

export interface S3Server {
  /** The endpoint for a provider record (path-style). */
  url: string;
  bucket: string;
  close(): Promise<void>;
}

export async function startS3Server(options: { accessKeyId: string; secretAccessKey: string; bucket: string }): Promise<S3Server> {
  const S3rver = require("@20minutes/s3rver") as S3rverClass;
  const accounts = require("@20minutes/s3rver/lib/models/account") as AccountModule;
  accounts.DUMMY_ACCOUNT.createKeyPair(options.accessKeyId, options.secretAccessKey);
  const directory = tempDir("sambung-s3-");
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: directory.path, configureBuckets: [{ name: options.bucket }] });
  const address = await server.run();
  return {
    url: `http://127.0.0.1:${address.port}`,
    bucket: options.bucket,
    close: async () => {
      server.httpServer?.closeAllConnections();
      await server.close();
      accounts.DUMMY_ACCOUNT.revokeAccessKey(options.accessKeyId);
      directory.remove();
    },
  };
}
