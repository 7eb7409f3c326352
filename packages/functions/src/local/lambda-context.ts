import type { Context } from "aws-lambda";
import { randomUUID } from "node:crypto";

/** The parts of a Lambda context handlers and Powertools read. */
export function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const fail = () => {
    throw new Error("callback-style completion is not supported");
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `sambung-local-${functionName}`,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:sambung-local-${functionName}`,
    memoryLimitInMB: "1024",
    awsRequestId: randomUUID(),
    logGroupName: `/local/sambung/${functionName}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: fail,
    fail,
    succeed: fail,
  };
}
