import type middy from "@middy/core";
import type { Context } from "aws-lambda";
import { logger } from "../log.ts";

/**
 * Puts the invocation's Lambda context on every log line, as Powertools'
 * injectLambdaContext does, without its per-call re-decision of debug sampling
 * (no sample rate is configured here): that re-decision re-read the environment
 * and reset the log level on every request, about 3% of a request's CPU locally.
 */
export function logContext<TEvent, TResult>(): middy.MiddlewareObj<TEvent, TResult, Error, Context> {
  return {
    before: (request) => {
      logger.addContext(request.context);
      logger.logEventIfEnabled(request.event);
    },
  };
}
