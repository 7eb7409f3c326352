import { createLocalPorts } from "@sambung/core/adapters/local/index";
import * as Rotation from "@sambung/core/secret/rotation";
import { readConfig } from "./config.ts";

/**
 * `npm run rotate-keys`: re-seals every stored secret under a new master key in
 * the local data directory. Safe to stop and run again: it resumes.
 */
const config = readConfig();
const ports = createLocalPorts(config.dataDir);
const job = await Rotation.rotate(ports);
console.log(`key rotation ${job.id}: ${job.status}, ${job.rewrapped} secret record(s) re-sealed under ${job.keyId}`);
ports.database.close();
