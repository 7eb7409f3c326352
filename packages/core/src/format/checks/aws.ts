import type { Provider } from "../../provider/record.ts";
import { awsErrorWords, awsTargetOf, type AwsTarget } from "../aws.ts";
import type { CheckResult } from "../check.ts";
import { failed } from "./outcome.ts";

/** The AWS-SDK based checks' wording over the shared pieces in format/aws.ts. */

export { clientOptions, hostOf, type AwsTarget } from "../aws.ts";

/** A record that cannot make a request yet: a missing key is a bad key, anything else waits for the owner. */
export function setupProblem(problem: string): CheckResult {
  return failed(problem.startsWith("bad key") ? problem : `${problem} before testing; the record was saved`);
}

/** Region, endpoint and keys from the record; a message instead when something is missing. */
export function awsTarget(provider: Provider, secrets: Record<string, string>, baseUrl: string): AwsTarget | CheckResult {
  const target = awsTargetOf(provider, secrets, baseUrl);
  return "problem" in target ? setupProblem(target.problem) : target;
}

/**
 * Words for an AWS-style error; undefined for transport errors the caller leaves
 * to the generic explanation (connection refused, DNS).
 */
export function awsFailure(thrown: unknown, target: AwsTarget, secrets: Record<string, string>, what: { bucket?: string; action: string }): CheckResult | undefined {
  const words = awsErrorWords(thrown, target, secrets, what);
  return words === undefined ? undefined : failed(words);
}
