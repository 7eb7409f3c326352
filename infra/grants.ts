import { Stack } from "aws-cdk-lib";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { Grant } from "../packages/functions/src/grants.ts";
import type { Resources } from "./resources.ts";

/**
 * The one place a grant becomes IAM: each grant of the vocabulary in
 * packages/functions/src/grants.ts maps to statements with named actions on the
 * named resources of this app. No statement has a wildcard action or a `*` resource.
 */
export const TABLE_READ_ACTIONS = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"];
export const TABLE_WRITE_ACTIONS = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"];
/** KMS calls DynamoDB makes for the caller on the table's key; only through DynamoDB (kms:ViaService). */
const TABLE_KEY_READ_ACTIONS = ["kms:Decrypt", "kms:DescribeKey"];
const TABLE_KEY_WRITE_ACTIONS = ["kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"];
/** What KmsKeyring calls: GenerateDataKey to seal, Decrypt to open. */
export const KEYRING_ACTIONS = ["kms:GenerateDataKey", "kms:Decrypt"];
/** What SqsQueue calls (batch calls are authorised by the single-message action). */
export const QUEUE_ACTIONS = [
  "sqs:SendMessage",
  "sqs:ReceiveMessage",
  "sqs:DeleteMessage",
  "sqs:ChangeMessageVisibility",
  "sqs:GetQueueAttributes",
];
export const BUS_ACTIONS = ["events:PutEvents"];
export const PLATFORM_SECRET_ACTIONS = ["secretsmanager:GetSecretValue"];

/** The IAM path of the roles of functions with the "keyring" grant; the secrets key's policy admits only these. */
export function keyringRolePath(stage: string): string {
  return `/sambung/${stage}/keyring/`;
}

/** The IAM path of every other function role. */
export function functionRolePath(stage: string): string {
  return `/sambung/${stage}/`;
}

export function statementsFor(grants: readonly Grant[], resources: Resources): PolicyStatement[] {
  const { table, tableKey, secretsKey, platformSecret, bus, queues } = resources;
  const tableArns = [table.tableArn, `${table.tableArn}/index/*`];
  const viaDynamo = { StringEquals: { "kms:ViaService": `dynamodb.${Stack.of(table).region}.amazonaws.com` } };
  const unique = new Set(grants);
  const statements: PolicyStatement[] = [];

  if (unique.has("table:read") || unique.has("table:write")) {
    const write = unique.has("table:write");
    statements.push(
      new PolicyStatement({
        sid: write ? "TableReadWrite" : "TableRead",
        actions: write ? [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS] : TABLE_READ_ACTIONS,
        resources: tableArns,
      }),
      new PolicyStatement({
        sid: "TableKeyViaDynamoDB",
        actions: write ? [...TABLE_KEY_READ_ACTIONS, ...TABLE_KEY_WRITE_ACTIONS] : TABLE_KEY_READ_ACTIONS,
        resources: [tableKey.keyArn],
        conditions: viaDynamo,
      }),
    );
  }
  if (unique.has("keyring")) {
    statements.push(new PolicyStatement({ sid: "Keyring", actions: KEYRING_ACTIONS, resources: [secretsKey.keyArn] }));
  }
  if (unique.has("queues")) {
    const arns = Object.values(queues).flatMap(({ queue, dlq }) => [queue.queueArn, dlq.queueArn]);
    statements.push(new PolicyStatement({ sid: "Queues", actions: QUEUE_ACTIONS, resources: arns }));
  }
  if (unique.has("bus")) {
    statements.push(new PolicyStatement({ sid: "Bus", actions: BUS_ACTIONS, resources: [bus.eventBusArn] }));
  }
  if (unique.has("platform-secret")) {
    statements.push(new PolicyStatement({ sid: "PlatformSecret", actions: PLATFORM_SECRET_ACTIONS, resources: [platformSecret.secretArn] }));
  }
  return statements;
}
