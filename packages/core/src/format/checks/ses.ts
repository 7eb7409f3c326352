import type { ConnectionCheck } from "../check.ts";
import { awsFailure, awsTarget, clientOptions } from "./aws.ts";
import { failed, ok } from "./outcome.ts";

/**
 * ses_api: SES v2 GetAccount (GET /v2/email/account, SigV4) at the record's
 * endpoint and `config.region`: proves the keys and says whether the account may
 * send and whether it is still in the SES sandbox.
 */
export const sesApi: ConnectionCheck = async ({ provider, secrets, baseUrl }) => {
  const target = awsTarget(provider, secrets, baseUrl);
  if ("ok" in target) return target;
  // Loaded on demand: only SES records need the SES client.
  const { SESv2Client, GetAccountCommand } = await import("@aws-sdk/client-sesv2");
  const client = new SESv2Client(clientOptions(target));
  try {
    const account = await client.send(new GetAccountCommand({}));
    if (account.SendingEnabled === false) return failed(`the keys work, but sending is paused for this SES account in ${target.region}`);
    const parts = [
      "sending enabled",
      account.ProductionAccessEnabled ? "production access" : "still in the SES sandbox (only verified addresses receive mail)",
    ];
    const quota = account.SendQuota?.Max24HourSend;
    if (quota !== undefined) parts.push(`${quota} messages per 24 hours`);
    return ok(`SES account reachable in ${target.region}: ${parts.join(", ")}`);
  } catch (error) {
    const words = awsFailure(error, target, secrets, { action: "read the SES account (ses:GetAccount)" });
    if (words) return words;
    throw error;
  } finally {
    client.destroy();
  }
};
