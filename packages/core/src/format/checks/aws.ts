import type { Provider } from "../../provider/record.ts";
import type { CheckResult } from "../check.ts";
import { str } from "../http-auth.ts";
import { clean, failed } from "./outcome.ts";

/** What the AWS-SDK based checks (S3-compatible storage, SES) share: client settings and error words. */

const DEFAULT_TIMEOUT_MS = 15_000;

export interface AwsTarget {
  region: string;
  endpoint: string;
  timeoutMs: number;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/** Region, endpoint and keys from the record; a message instead when something is missing. */
export function awsTarget(provider: Provider, secrets: Record<string, string>, baseUrl: string): AwsTarget | CheckResult {
  const config = provider.config;
  const endpoint = str(config.endpoint) ?? baseUrl;
  if (endpoint.includes("{")) return failed(`fill in the placeholders of the endpoint (${endpoint.replace(/^https?:\/\//, "")}) before testing; the record was saved`);
  const region = str(config.region) ?? "us-east-1";
  const configured = Number(config.timeoutMs);
  const timeoutMs = Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_TIMEOUT_MS;
  const accessKeyId = secrets.accessKeyId ?? "";
  const secretAccessKey = secrets.secretAccessKey ?? "";
  if (!accessKeyId || !secretAccessKey) return failed("bad key: the access key id and secret access key are both needed");
  return { region, endpoint, timeoutMs, credentials: { accessKeyId, secretAccessKey } };
}

/** Client options every AWS-SDK check uses: one attempt, our timeouts, no default credential chain. */
export function clientOptions(target: AwsTarget) {
  return {
    region: target.region,
    endpoint: target.endpoint,
    credentials: target.credentials,
    maxAttempts: 1,
    requestHandler: { requestTimeout: target.timeoutMs, connectionTimeout: target.timeoutMs },
  };
}

interface AwsError {
  name?: string;
  code?: string;
  message?: string;
  Region?: string;
  Endpoint?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string> };
}

function regionFrom(error: AwsError): string | undefined {
  return error.Region ?? error.$response?.headers?.["x-amz-bucket-region"] ?? /expecting '([a-z0-9-]+)'/.exec(error.message ?? "")?.[1];
}

/**
 * Words for an AWS-style error; undefined for transport errors the caller leaves
 * to the generic explanation (connection refused, DNS).
 */
export function awsFailure(thrown: unknown, target: AwsTarget, secrets: Record<string, string>, what: { bucket?: string; action: string }): CheckResult | undefined {
  const error = (thrown ?? {}) as AwsError;
  const name = error.name ?? "";
  const status = error.$metadata?.httpStatusCode;
  const at = status ? ` (${status})` : "";
  const said = error.message ? clean(error.message, secrets) : "";
  const code = error.code ?? "";
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH/.test(code) || /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH/.test(error.message ?? "")) return undefined;
  if (name === "TimeoutError" || /timed out/i.test(error.message ?? "")) {
    return failed(`timeout: no answer from ${hostOf(target.endpoint)} within ${target.timeoutMs} ms`);
  }
  switch (name) {
    case "InvalidAccessKeyId":
    case "UnrecognizedClientException":
    case "InvalidClientTokenId":
      return failed(`bad key: the provider does not know this access key id${at}`);
    case "SignatureDoesNotMatch":
    case "InvalidSignatureException":
      if (/region/i.test(error.message ?? "")) {
        return failed(`wrong region: the endpoint does not accept requests signed for ${target.region}; set config.region to the endpoint's region${said ? ` (${said})` : ""}`);
      }
      return failed(`bad key: the secret access key does not match the access key id${at}`);
    case "AuthorizationHeaderMalformed": {
      const region = regionFrom(error);
      return failed(region ? `wrong region: the bucket is in ${region}, not ${target.region}; set config.region to ${region}` : `wrong region: the provider rejected the signing region ${target.region}${said ? ` (${said})` : ""}`);
    }
    case "PermanentRedirect":
    case "301": {
      const region = regionFrom(error);
      return failed(region ? `wrong region: the bucket is in ${region}; use that region's endpoint` : "wrong region or endpoint: the provider says the bucket must be addressed at another endpoint");
    }
    case "NoSuchBucket":
      return failed(`bucket "${what.bucket ?? ""}" does not exist at ${hostOf(target.endpoint)}`);
    case "AccessDenied":
    case "AccessDeniedException":
      return failed(`access denied${at}: the key was accepted but may not ${what.action}`);
    case "AccountSuspendedException":
      return failed("the account is suspended by the provider");
    default:
      break;
  }
  if (status === 401 || status === 403) return failed(`bad key: the provider refused the credentials (${status})${said ? `: ${said}` : ""}`);
  if (status && status >= 500) return failed(`the provider is having trouble (${status}); try again later`);
  return failed(`the provider refused the request${at}${name && !/^\d+$/.test(name) ? `: ${clean(name, secrets)}` : ""}${said ? ` (${said})` : ""}`);
}

export function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint;
  }
}
