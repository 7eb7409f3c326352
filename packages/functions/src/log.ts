import { Logger } from "@aws-lambda-powertools/logger";
import { redactingReplacer } from "@sambung/core/secret/redact";

/** The one logger: Powertools JSON on AWS and locally, with secrets redacted by key and by value. */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "sambung",
  logLevel: (process.env.LOG_LEVEL ?? "INFO").toUpperCase() as "INFO",
  jsonReplacerFn: redactingReplacer,
});
