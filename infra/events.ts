import { Duration, type Stack } from "aws-cdk-lib";
import { EventBus, Rule, RuleTargetInput } from "aws-cdk-lib/aws-events";
import { SqsQueue } from "aws-cdk-lib/aws-events-targets";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { CfnPipe } from "aws-cdk-lib/aws-pipes";
import { Queue as SqsQueueConstruct, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Queue, use, type Function as SstFunction, type StackContext } from "sst/constructs";
import { EVENT_SOURCE } from "../packages/core/src/adapters/aws/bus.ts";
import { routesByQueue } from "../packages/core/src/event/catalog.ts";
import { queueNames, queues as queueTable, type QueueName } from "../packages/core/src/event/queues.ts";
import { workers } from "../packages/functions/src/workers/table.ts";
import { functionProps, pascal, sourceHandler } from "./function.ts";
import type { Resources } from "./resources.ts";
import { Storage } from "./storage.ts";

/** How long a dead letter is kept: the SQS maximum. */
export const DEAD_LETTER_RETENTION = Duration.days(14);

/**
 * The pipe's filter: INSERT records whose new image carries an outbox envelope.
 * `exists` only matches leaf values, so it tests the envelope's `type` string
 * (which the detail-type is taken from). Updates never emit, as in the local store.
 */
export const OUTBOX_FILTER = {
  eventName: ["INSERT"],
  dynamodb: { NewImage: { outbox: { M: { type: { S: [{ exists: true }] } } } } },
};

/**
 * The event detail is the item's `outbox` attribute as the stream carries it:
 * DynamoDB JSON, `{"M": {"id": {"S": ...}, "type": {"S": ...}, "data": {"M": ...}}}`.
 * A template cannot turn a map of unknown shape into plain JSON, so the rules pass
 * that detail on to SQS as it is and the workers unmarshall it:
 * `parseQueueBody` (packages/core/src/event/queue-body.ts), used by the worker
 * middleware and the deliver worker. EventBridgeBus.publish sends plain envelopes;
 * the single `M` key tells the two apart.
 */
export const OUTBOX_INPUT_TEMPLATE = "<$.dynamodb.NewImage.outbox>";
export const OUTBOX_DETAIL_TYPE_PATH = "$.dynamodb.NewImage.outbox.M.type.S";

/**
 * The bus; for every queue of the queue table an SQS queue, its dead-letter queue,
 * the bus rule for the event types the catalog routes to it, and its worker; and
 * the pipe that carries outbox records from the table's stream to the bus.
 */
export function Events({ stack, app }: StackContext) {
  const storage = use(Storage);
  const prefix = `${app.stage}-${app.name}`;

  const bus = new EventBus(stack, "Bus", { eventBusName: `${prefix}-bus` });

  const queues = {} as Resources["queues"];
  for (const name of queueNames) {
    const spec = queueTable[name];
    const dlq = new SqsQueueConstruct(stack, `${pascal(name)}Dlq`, {
      queueName: `${prefix}-${name}-dlq`,
      retentionPeriod: DEAD_LETTER_RETENTION,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    const queue = new SqsQueueConstruct(stack, `${pascal(name)}Queue`, {
      queueName: `${prefix}-${name}`,
      visibilityTimeout: Duration.seconds(spec.visibilityTimeoutSeconds),
      deadLetterQueue: { queue: dlq, maxReceiveCount: spec.maxReceiveCount },
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    queues[name] = { queue, dlq };
  }

  const resources: Resources = { ...storage, bus, queues };

  // One rule per queue, matching the detail-types the catalog routes to it. The
  // target gets the detail only, so a message body is what the bus was given.
  for (const [name, types] of routesByQueue()) {
    new Rule(stack, `${pascal(name)}Rule`, {
      eventBus: bus,
      description: `${name} queue: ${types.join(", ")}`,
      eventPattern: { source: [EVENT_SOURCE], detailType: types },
      targets: [new SqsQueue(queues[name].queue, { message: RuleTargetInput.fromEventPath("$.detail") })],
    });
  }

  const consumers = {} as Record<QueueName, SstFunction>;
  for (const name of queueNames) {
    const spec = queueTable[name];
    const worker = workers[name];
    const consumer = new Queue(stack, `${pascal(name)}Consumer`, {
      cdk: { queue: queues[name].queue },
      consumer: {
        function: functionProps(
          stack,
          {
            id: `Worker${pascal(name)}`,
            handler: sourceHandler(worker.handler),
            grants: worker.grants,
            // Lambda refuses a function that may outlive its queue's visibility timeout.
            timeout: spec.visibilityTimeoutSeconds,
            description: `worker ${name}`,
          },
          resources,
        ),
        cdk: {
          eventSource: {
            batchSize: spec.batchSize,
            maxConcurrency: spec.concurrency,
            reportBatchItemFailures: true,
          },
        },
      },
    });
    consumers[name] = consumer.consumerFunction as SstFunction;
  }

  const pipeDlq = outboxPipe(stack, app.stage, prefix, resources);

  stack.addOutputs({ BusName: bus.eventBusName });
  return { resources, bus, queues, consumers, pipeDlq };
}

/** The EventBridge Pipe: table stream → filter (outbox INSERTs) → bus. */
function outboxPipe(stack: Stack, stage: string, prefix: string, resources: Resources): SqsQueueConstruct {
  const { table, tableKey, bus } = resources;
  if (!table.tableStreamArn) throw new Error("the table needs its stream for the outbox pipe");

  // What the pipe could not deliver after its retries: the stream positions of the
  // batch. The items themselves stay in the table with their outbox attribute.
  const dlq = new SqsQueueConstruct(stack, "OutboxPipeDlq", {
    queueName: `${prefix}-outbox-pipe-dlq`,
    retentionPeriod: DEAD_LETTER_RETENTION,
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
  });

  const role = new Role(stack, "OutboxPipeRole", {
    assumedBy: new ServicePrincipal("pipes.amazonaws.com"),
    path: `/sambung/${stage}/`,
    description: `Sambung ${stage}: outbox pipe (table stream to bus)`,
  });
  role.addToPolicy(
    new PolicyStatement({
      sid: "ReadStream",
      actions: ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"],
      resources: [table.tableStreamArn],
    }),
  );
  role.addToPolicy(new PolicyStatement({ sid: "TableKey", actions: ["kms:Decrypt"], resources: [tableKey.keyArn] }));
  role.addToPolicy(new PolicyStatement({ sid: "PutEvents", actions: ["events:PutEvents"], resources: [bus.eventBusArn] }));
  role.addToPolicy(new PolicyStatement({ sid: "DeadLetters", actions: ["sqs:SendMessage"], resources: [dlq.queueArn] }));

  const pipe = new CfnPipe(stack, "OutboxPipe", {
    name: `${prefix}-outbox`,
    description: "Outbox: INSERTed items with an outbox envelope, from the table stream to the bus",
    roleArn: role.roleArn,
    source: table.tableStreamArn,
    sourceParameters: {
      dynamoDbStreamParameters: {
        // From the oldest record still in the stream, so nothing written before the pipe existed is skipped.
        startingPosition: "TRIM_HORIZON",
        batchSize: 10,
        maximumRetryAttempts: 10,
        onPartialBatchItemFailure: "AUTOMATIC_BISECT",
        deadLetterConfig: { arn: dlq.queueArn },
      },
      filterCriteria: { filters: [{ pattern: JSON.stringify(OUTBOX_FILTER) }] },
    },
    target: bus.eventBusArn,
    targetParameters: {
      inputTemplate: OUTBOX_INPUT_TEMPLATE,
      eventBridgeEventBusParameters: { source: EVENT_SOURCE, detailType: OUTBOX_DETAIL_TYPE_PATH },
    },
  });
  // The role's policy must exist before the pipe starts reading.
  pipe.node.addDependency(role);
  return dlq;
}
