import type { Stack } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import type { IEventBus } from "aws-cdk-lib/aws-events";
import type { IKey } from "aws-cdk-lib/aws-kms";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import type { AwsEnv } from "../packages/core/src/adapters/aws/env.ts";
import type { QueueName } from "../packages/core/src/event/queues.ts";

/** What the functions are given: the storage stack's and the events stack's resources. */
export interface Resources {
  table: ITable;
  /** Encrypts the table (and its stream and backups). */
  tableKey: IKey;
  /** Seals provider secrets (KmsKeyring); only "keyring" roles may use it. */
  secretsKey: IKey;
  platformSecret: ISecret;
  bus: IEventBus;
  queues: Record<QueueName, { queue: IQueue; dlq: IQueue }>;
}

/** Lambda sets AWS_REGION itself (and reserves the name). */
type FunctionEnvName = Exclude<keyof AwsEnv, "AWS_REGION">;

/**
 * The environment every function gets: exactly the names AwsEnv
 * (packages/core/src/adapters/aws/env.ts) reads; the type makes a missing one a
 * compile error and tests/infra checks the synthesized functions against AwsEnv.
 */
export function functionEnvironment(resources: Resources, scope: Stack): Record<FunctionEnvName, string> {
  const queues = Object.fromEntries(
    Object.entries(resources.queues).map(([name, { queue, dlq }]) => [name, { url: queue.queueUrl, dlqUrl: dlq.queueUrl }]),
  );
  return {
    SAMBUNG_TABLE: resources.table.tableName,
    SAMBUNG_QUEUES: scope.toJsonString(queues),
    SAMBUNG_BUS: resources.bus.eventBusName,
    SAMBUNG_KMS_KEY_ID: resources.secretsKey.keyArn,
    SAMBUNG_PLATFORM_SECRET_ARN: resources.platformSecret.secretArn,
  };
}
