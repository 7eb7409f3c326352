import { ProviderError } from "../../resilience/errors.ts";
import { awsErrorWords, awsStatus, awsTargetOf, clientOptions, isUnreachable } from "../aws.ts";
import { str } from "../http-auth.ts";
import { configProblem, type MessagingEngine } from "./engine.ts";

/**
 * ses_api: SES v2 SendEmail (POST /v2/email/outbound-emails, SigV4) through
 * @aws-sdk/client-sesv2, at the record's endpoint (`config.endpoint`, else the
 * base URL) and `config.region`, From `config.from`, simple content with a text
 * part, the HTML part when the template has one, and attachments. One attempt:
 * retries belong to the resilience pipeline. SendEmail takes no idempotency
 * token, so a resend is never automatic.
 */

function classify(thrown: unknown, target: Parameters<typeof awsErrorWords>[1], secrets: Record<string, string>): ProviderError {
  const status = awsStatus(thrown);
  const words = awsErrorWords(thrown, target, secrets, { action: "send e-mail (ses:SendEmail)" });
  if (status === undefined) {
    if (isUnreachable(thrown)) return new ProviderError({ code: "unreachable", retryable: true, delivery: "no", message: `SES at ${target.endpoint} could not be reached` });
    return new ProviderError({ code: "timeout", retryable: true, delivery: "maybe", message: words ?? `no answer from SES at ${target.endpoint}` });
  }
  // SES answers throttling with 429 and an outage with 503 before it takes the message.
  const notTaken = status === 429 || status === 503;
  const code = status === 429 ? "throttled" : status === 401 || status === 403 ? "auth" : status >= 500 ? "unavailable" : "rejected";
  return new ProviderError({ code, status, retryable: notTaken || status >= 500, delivery: notTaken ? "no" : "yes", message: `SES refused the message: ${words ?? `HTTP ${status}`}` });
}

export const sesEngine: MessagingEngine = {
  takesIdempotencyKey: () => false,
  async send(context, message) {
    const { provider, secrets, attempt } = context;
    const found = awsTargetOf(provider, secrets, context.baseUrl);
    if ("problem" in found) throw configProblem(provider, found.problem);
    const from = str(provider.config.from);
    if (!from) throw configProblem(provider, "set the verified sender address (config.from)");
    const { SESv2Client, SendEmailCommand } = await import("@aws-sdk/client-sesv2");
    const client = new SESv2Client(clientOptions({ ...found, timeoutMs: attempt.timeoutMs }));
    const rendered = message.rendered;
    const attachments = message.attachments
      .filter((attachment) => attachment.content)
      .map((attachment) => ({ FileName: attachment.filename, ContentType: attachment.contentType, RawContent: new Uint8Array(Buffer.from(attachment.content ?? "", "base64")) }));
    attempt.note({ request: { method: "POST", url: `${found.endpoint}/v2/email/outbound-emails`, from, to: message.to, subject: rendered.subject } });
    try {
      const answer = await client.send(
        new SendEmailCommand({
          FromEmailAddress: from,
          Destination: { ToAddresses: [message.to] },
          ReplyToAddresses: str(provider.config.replyTo) ? [String(provider.config.replyTo)] : undefined,
          ConfigurationSetName: str(provider.config.configurationSet),
          Content: {
            Simple: {
              Subject: { Data: rendered.subject ?? "", Charset: "UTF-8" },
              Body: {
                Text: { Data: rendered.text, Charset: "UTF-8" },
                ...(rendered.html ? { Html: { Data: rendered.html, Charset: "UTF-8" } } : {}),
              },
              ...(attachments.length > 0 ? { Attachments: attachments } : {}),
            },
          },
        }),
        { abortSignal: attempt.signal },
      );
      attempt.note({ status: answer.$metadata.httpStatusCode, response: { MessageId: answer.MessageId } });
      return { providerMessageId: answer.MessageId };
    } catch (error) {
      const classified = classify(error, found, secrets);
      attempt.note({ status: classified.status });
      throw classified;
    } finally {
      client.destroy();
    }
  },
};
