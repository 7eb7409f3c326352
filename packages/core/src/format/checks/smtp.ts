import type { CheckResult, ConnectionCheck } from "../check.ts";
import { str } from "../http-auth.ts";
import { smtpTarget, smtpTransport } from "../smtp-transport.ts";
import { failed, ok } from "./outcome.ts";

/**
 * smtp_generic: connect, STARTTLS or TLS as configured, EHLO and AUTH, then QUIT
 * (nodemailer's `verify()`), against the record's SMTP server (smtp-transport.ts).
 */

const DEFAULT_TIMEOUT_MS = 15_000;

interface SmtpError {
  code?: string;
  responseCode?: number;
  message?: string;
}

function explainSmtp(error: SmtpError, where: string, timeoutMs: number): CheckResult {
  const code = error.code ?? "";
  const message = error.message ?? "";
  if (code === "EAUTH") {
    return failed(`bad key: the SMTP server refused the username or password${error.responseCode ? ` (${error.responseCode})` : ""}`);
  }
  if (code === "EDNS" || /ENOTFOUND|EAI_AGAIN/.test(message)) return failed(`unreachable host: ${where.split(":")[0]} does not resolve; check the host name`);
  if (/ECONNREFUSED/.test(message) || code === "ECONNREFUSED") return failed(`unreachable host: ${where} refused the connection; check the host and port`);
  if (/EHOSTUNREACH|ENETUNREACH/.test(message)) return failed(`unreachable host: no route to ${where}`);
  if (code === "ETIMEDOUT" || code === "ETIMEOUT") return failed(`timeout: ${where} did not answer within ${timeoutMs} ms`);
  if (/wrong version number|ssl3_get_record|packet length too long/i.test(message)) {
    return failed(`TLS mismatch: ${where} does not speak TLS right away; set secure to false (STARTTLS) or use the implicit-TLS port (465)`);
  }
  if (code === "ETLS" || /STARTTLS/i.test(message)) return failed(`TLS failed: ${where} did not complete STARTTLS; check the port and the secure / requireTLS settings`);
  if (/certificate|self[- ]signed|CERT_/i.test(message)) return failed(`the SMTP server's TLS certificate is not valid for ${where.split(":")[0]}`);
  if (error.responseCode) return failed(`the SMTP server answered ${error.responseCode}; check the server settings`);
  return failed(`the SMTP check failed (${code || "unknown error"}); check the host, port and TLS settings`);
}

export const smtpGeneric: ConnectionCheck = async ({ provider, secrets, baseUrl }) => {
  const config = provider.config;
  const { host, port, secure } = smtpTarget(config, baseUrl);
  if (!host) return failed("set the SMTP host (config.host) before testing; the record was saved");
  const configured = Number(config.timeoutMs);
  const timeoutMs = Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_TIMEOUT_MS;
  const user = secrets.username ?? str(config.username) ?? "";
  const where = `${host}:${port}`;
  const transport = await smtpTransport({ host, port, secure, config, auth: { user, pass: secrets.password ?? "" }, timeoutMs });
  try {
    await transport.verify();
    return ok(`SMTP server ${where} accepted the login`);
  } catch (error) {
    return explainSmtp(error as SmtpError, where, timeoutMs);
  } finally {
    transport.close();
  }
};
