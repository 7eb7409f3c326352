import type { Transporter } from "nodemailer";
import { str } from "./http-auth.ts";

/**
 * The SMTP server a smtp_generic record names: `config.host` / `port` / `secure`,
 * or the base URL (`smtp://host:587`, `smtps://host:465`) when those are absent.
 */
export function smtpTarget(config: Record<string, unknown>, baseUrl: string): { host?: string; port: number; secure: boolean } {
  let url: URL | undefined;
  try {
    url = new URL(baseUrl);
  } catch {
    url = undefined;
  }
  const secure = typeof config.secure === "boolean" ? config.secure : url?.protocol === "smtps:";
  const host = str(config.host) ?? (url && !url.hostname.includes("{") ? url.hostname : undefined);
  return { host, port: Number(config.port ?? (url?.port || (secure ? 465 : 587))), secure };
}

/** A nodemailer transport for one exchange; nodemailer loads on first use, so handlers that never speak SMTP never pay for it. */
export async function smtpTransport(options: {
  host: string;
  port: number;
  secure: boolean;
  config: Record<string, unknown>;
  auth?: { user: string; pass: string };
  timeoutMs: number;
}): Promise<Transporter> {
  const { default: nodemailer } = await import("nodemailer");
  return nodemailer.createTransport({
    host: options.host,
    port: options.port,
    secure: options.secure,
    requireTLS: options.config.requireTLS === true,
    auth: options.auth,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    logger: false,
    debug: false,
  });
}
