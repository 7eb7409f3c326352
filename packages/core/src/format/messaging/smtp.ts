import { ProviderError } from "../../resilience/errors.ts";
import { str } from "../http-auth.ts";
import { smtpTarget, smtpTransport } from "../smtp-transport.ts";
import { configProblem, type MessagingEngine } from "./engine.ts";

/**
 * smtp_generic: one message over SMTP with nodemailer, to `config.host` /
 * `port` / `secure` / `requireTLS` (or the smtp:// base URL), AUTH with the
 * username / password secrets, From `config.from`. SMTP is clear about
 * acceptance: the server's reply to the end of DATA is the moment it takes the
 * message. Every refusal before that (a 4xx / 5xx reply, a refused connection, a
 * failed login) means nothing was accepted; only a connection lost during or
 * after DATA leaves the outcome unknown.
 */

interface SmtpError {
  code?: string;
  command?: string;
  responseCode?: number;
  message?: string;
}

function classify(error: SmtpError, where: string): ProviderError {
  const code = error.code ?? "";
  const command = (error.command ?? "").toUpperCase();
  const reply = error.responseCode;
  const said = (error.message ?? "").replace(/\s+/g, " ").slice(0, 200);
  if (code === "EAUTH") return new ProviderError({ code: "auth", retryable: false, delivery: "no", message: `the SMTP server at ${where} refused the login${reply ? ` (${reply})` : ""}` });
  if (reply !== undefined && command !== "") {
    // The server answered a command with a refusal: the message was not accepted.
    const temporary = reply >= 400 && reply < 500;
    return new ProviderError({
      code: temporary ? "unavailable" : "rejected",
      retryable: temporary,
      delivery: "no",
      message: `the SMTP server refused ${command || "the message"} with ${reply}: ${said}`,
    });
  }
  if (command === "CONN" || code === "EDNS" || /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH/.test(said)) {
    return new ProviderError({ code: "unreachable", retryable: true, delivery: "no", message: `could not connect to the SMTP server at ${where}: ${said}` });
  }
  if (code === "ETLS" || command === "STARTTLS") return new ProviderError({ code: "error", retryable: false, delivery: "no", message: `TLS with ${where} failed: ${said}` });
  // Lost while the message was on the wire: the server may have taken it.
  return new ProviderError({ code: code === "ETIMEDOUT" ? "timeout" : "connection_reset", retryable: true, delivery: "maybe", message: `the SMTP exchange with ${where} broke off: ${said}` });
}

export const smtpEngine: MessagingEngine = {
  takesIdempotencyKey: () => false,
  async send(context, message) {
    const { provider, secrets, attempt } = context;
    const config = provider.config;
    const { host, port, secure } = smtpTarget(config, context.baseUrl);
    if (!host) throw configProblem(provider, "set the SMTP host (config.host)");
    const from = str(config.from);
    if (!from) throw configProblem(provider, "set the sender address (config.from), e.g. \"Hotel Sambung <stay@hotel.example>\"");
    const where = `${host}:${port}`;
    const transport = await smtpTransport({
      host,
      port,
      secure,
      config,
      auth: secrets.username || secrets.password ? { user: secrets.username ?? str(config.username) ?? "", pass: secrets.password ?? "" } : undefined,
      timeoutMs: attempt.timeoutMs,
    });
    const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? "sambung.local";
    const rendered = message.rendered;
    attempt.note({ request: { smtp: where, from, to: message.to, subject: rendered.subject } });
    try {
      const info = await transport.sendMail({
        from,
        to: message.to,
        replyTo: str(config.replyTo),
        subject: rendered.subject ?? "",
        text: rendered.text,
        html: rendered.html,
        messageId: `<${message.id}@${domain}>`,
        attachments: message.attachments
          .filter((attachment) => attachment.content)
          .map((attachment) => ({ filename: attachment.filename, contentType: attachment.contentType, content: Buffer.from(attachment.content ?? "", "base64") })),
      });
      attempt.note({ response: { accepted: info.accepted.length, rejected: info.rejected.length, response: info.response } });
      if (info.accepted.length === 0) throw new ProviderError({ code: "rejected", retryable: false, delivery: "no", message: `the SMTP server at ${where} refused every recipient` });
      return { providerMessageId: info.messageId.replace(/^<|>$/g, ""), rawStatus: info.response };
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      throw classify(error as SmtpError, where);
    } finally {
      transport.close();
    }
  },
};
