import type { Provider } from "../provider/record.ts";
import { clean } from "./checks/outcome.ts";
import { str } from "./http-auth.ts";

/**
 * What the AWS-SDK based formats (S3-compatible storage, SES) share, for their
 * engines and their connection checks alike: where to send (region, endpoint),
 * the keys, the SDK client settings, and an owner's words for an AWS-style error.
 */

const DEFAULT_TIMEOUT_MS = 15_000;

export interface AwsTarget {
  region: string;
  endpoint: string;
  timeoutMs: number;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/** Region, endpoint and keys from the record; what is missing, in words, otherwise. */
export function awsTargetOf(provider: Provider, secrets: Record<string, string>, baseUrl: string): AwsTarget | { problem: string } {
  const config = provider.config;
  const endpoint = str(config.endpoint) ?? baseUrl;
  if (endpoint.includes("{")) return { problem: `fill in the placeholders of the endpoint (${endpoint.replace(/^https?:\/\//, "")})` };
  const region = str(config.region) ?? "us-east-1";
  const configured = Number(config.timeoutMs);
  const timeoutMs = Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_TIMEOUT_MS;
  const accessKeyId = secrets.accessKeyId ?? "";
  const secretAccessKey = secrets.secretAccessKey ?? "";
  if (!accessKeyId || !secretAccessKey) return { problem: "bad key: the access key id and secret access key are both needed" };
  return { region, endpoint, timeoutMs, credentials: { accessKeyId, secretAccessKey } };
}

/** SDK client options: one attempt (the resilience pipeline retries), our timeouts, no default credential chain. */
export function clientOptions(target: AwsTarget) {
  return {
    region: target.region,
    endpoint: target.endpoint,
    credentials: target.credentials,
    maxAttempts: 1,
    requestHandler: { requestTimeout: target.timeoutMs, connectionTimeout: target.timeoutMs },
  };
}

export interface AwsError {
  name?: string;
  code?: string;
  message?: string;
  Region?: string;
  Endpoint?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string> };
}

const NOT_REACHED = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH/;

/** A transport failure (connection refused, DNS): the request never reached the provider. */
export function isUnreachable(thrown: unknown): boolean {
  const error = (thrown ?? {}) as AwsError;
  return NOT_REACHED.test(error.code ?? "") || NOT_REACHED.test(error.message ?? "");
}

/** The HTTP status of the provider's answer, when it answered. */
export function awsStatus(thrown: unknown): number | undefined {
  return ((thrown ?? {}) as AwsError).$metadata?.httpStatusCode;
}

function regionFrom(error: AwsError): string | undefined {
  return error.Region ?? error.$response?.headers?.["x-amz-bucket-region"] ?? /expecting '([a-z0-9-]+)'/.exec(error.message ?? "")?.[1];
}

/**
 * Words for an AWS-style error; undefined for transport errors the caller leaves
 * to the generic explanation (connection refused, DNS).
 */
export function awsErrorWords(thrown: unknown, target: AwsTarget, secrets: Record<string, string>, what: { bucket?: string; action: string }): string | undefined {
  const error = (thrown ?? {}) as AwsError;
  const name = error.name ?? "";
  const status = error.$metadata?.httpStatusCode;
  const at = status ? ` (${status})` : "";
  const said = error.message ? clean(error.message, secrets) : "";
  if (isUnreachable(error)) return undefined;
  if (name === "TimeoutError" || /timed out/i.test(error.message ?? "")) return `timeout: no answer from ${hostOf(target.endpoint)} within ${target.timeoutMs} ms`;
  switch (name) {
    case "InvalidAccessKeyId":
    case "UnrecognizedClientException":
    case "InvalidClientTokenId":
      return `bad key: the provider does not know this access key id${at}`;
    case "SignatureDoesNotMatch":
    case "InvalidSignatureException":
      if (/region/i.test(error.message ?? "")) {
        return `wrong region: the endpoint does not accept requests signed for ${target.region}; set config.region to the endpoint's region${said ? ` (${said})` : ""}`;
      }
      return `bad key: the secret access key does not match the access key id${at}`;
    case "AuthorizationHeaderMalformed": {
      const region = regionFrom(error);
      return region ? `wrong region: the bucket is in ${region}, not ${target.region}; set config.region to ${region}` : `wrong region: the provider rejected the signing region ${target.region}${said ? ` (${said})` : ""}`;
    }
    case "PermanentRedirect":
    case "301": {
      const region = regionFrom(error);
      return region ? `wrong region: the bucket is in ${region}; use that region's endpoint` : "wrong region or endpoint: the provider says the bucket must be addressed at another endpoint";
    }
    case "NoSuchBucket":
      return `bucket "${what.bucket ?? ""}" does not exist at ${hostOf(target.endpoint)}`;
    case "AccessDenied":
    case "AccessDeniedException":
      return `access denied${at}: the key was accepted but may not ${what.action}`;
    case "AccountSuspendedException":
      return "the account is suspended by the provider";
    default:
      break;
  }
  if (status === 401 || status === 403) return `bad key: the provider refused the credentials (${status})${said ? `: ${said}` : ""}`;
  if (status && status >= 500) return `the provider is having trouble (${status}); try again later`;
  return `the provider refused the request${at}${name && !/^\d+$/.test(name) ? `: ${clean(name, secrets)}` : ""}${said ? ` (${said})` : ""}`;
}

export function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint;
  }
}
