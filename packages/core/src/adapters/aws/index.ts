import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { KMSClient } from "@aws-sdk/client-kms";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Ports } from "../../port.ts";
import { systemClock } from "../clock.ts";
import { NodeHttp } from "../http.ts";
import { EventBridgeBus } from "./bus.ts";
import { AwsEnv } from "./env.ts";
import { KmsKeyring } from "./keyring.ts";
import { SecretsManagerPlatformSecrets } from "./platform-secrets.ts";
import { SqsQueue } from "./queue.ts";
import { DynamoStore } from "./store.ts";

export { AwsEnv } from "./env.ts";
export { DynamoStore } from "./store.ts";
export { SqsQueue, type QueueUrls, type SqsQueueOptions } from "./queue.ts";
export { EventBridgeBus, EVENT_SOURCE, type EventBridgeBusOptions } from "./bus.ts";
export { KmsKeyring } from "./keyring.ts";
export { SecretsManagerPlatformSecrets, MissingPlatformSecretError } from "./platform-secrets.ts";

interface Clients {
  region: string;
  dynamo: DynamoDBDocumentClient;
  sqs: SQSClient;
  events: EventBridgeClient;
  kms: KMSClient;
  secrets: SecretsManagerClient;
}

/** One set per warm Lambda: clients keep their connections and credentials between invocations. */
let clients: Clients | undefined;

function clientsFor(region: string): Clients {
  if (clients?.region === region) return clients;
  clients = {
    region,
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region }), {
      marshallOptions: { removeUndefinedValues: true },
    }),
    sqs: new SQSClient({ region }),
    events: new EventBridgeClient({ region }),
    kms: new KMSClient({ region }),
    secrets: new SecretsManagerClient({ region }),
  };
  return clients;
}

/** Every port on AWS, from the environment the SST stacks set. */
export function createAwsPorts(env: Record<string, string | undefined>): Ports {
  const config = AwsEnv.parse(env);
  const aws = clientsFor(config.AWS_REGION);
  const clock = systemClock;
  return {
    // Outgoing URLs are always checked on AWS: there is no development escape hatch.
    config: { runtime: "aws", allowPrivateUrls: false },
    store: new DynamoStore(aws.dynamo, config.SAMBUNG_TABLE, clock),
    queue: new SqsQueue(aws.sqs, config.SAMBUNG_QUEUES),
    bus: new EventBridgeBus(aws.events, config.SAMBUNG_BUS),
    keyring: new KmsKeyring(aws.kms, config.SAMBUNG_KMS_KEY_ID),
    secrets: new SecretsManagerPlatformSecrets(aws.secrets, config.SAMBUNG_PLATFORM_SECRET_ARN, clock),
    clock,
    http: new NodeHttp(),
  };
}
