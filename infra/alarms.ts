import { Duration } from "aws-cdk-lib";
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import type { Construct } from "constructs";
import { use, type StackContext } from "sst/constructs";
import { Api } from "./api.ts";
import { DEAD_LETTER_RETENTION, Events } from "./events.ts";
import { pascal } from "./function.ts";
import { Jobs } from "./jobs.ts";

/** A dead letter older than this is halfway to being dropped by SQS. */
export const DEAD_LETTER_AGE_ALARM_SECONDS = DEAD_LETTER_RETENTION.toSeconds() / 2;

/**
 * The on-call topic and what pages it: anything in a dead-letter queue, a dead
 * letter nearing expiry, a worker, job or streaming route function that throws,
 * and API 5xx responses.
 * SAMBUNG_ONCALL_EMAIL (optional, at deploy) subscribes an address to the topic.
 */
export function Alarms({ stack, app }: StackContext) {
  const { queues, consumers, pipeDlq } = use(Events);
  const { api, streamFunctions } = use(Api);
  const { jobs } = use(Jobs);

  const topic = new Topic(stack, "OnCall", { topicName: `${app.stage}-${app.name}-oncall`, enforceSSL: true });
  const email = process.env.SAMBUNG_ONCALL_EMAIL;
  if (email) topic.addSubscription(new EmailSubscription(email));
  const action = new SnsAction(topic);

  const alarm = (scope: Construct, id: string, description: string, metric: IMetric, threshold: number, periods = 1) => {
    const created = new Alarm(scope, id, {
      alarmName: `${app.stage}-${app.name}-${id}`,
      alarmDescription: description,
      metric,
      threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: periods,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    created.addAlarmAction(action);
    created.addOkAction(action);
    return created;
  };

  const deadLetterQueues = [
    ...Object.entries(queues).map(([name, { dlq }]) => ({ id: pascal(name), label: `the ${name} queue`, dlq })),
    { id: "OutboxPipe", label: "the outbox pipe", dlq: pipeDlq },
  ];
  for (const { id, label, dlq } of deadLetterQueues) {
    alarm(
      stack,
      `${id}DeadLetters`,
      `Messages in the dead-letter queue of ${label}: see the dead-letter dashboard, fix, redrive`,
      dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: "Maximum" }),
      0,
    );
    alarm(
      stack,
      `${id}DeadLetterAge`,
      `The oldest dead letter of ${label} is over ${DEAD_LETTER_AGE_ALARM_SECONDS / 86_400} days old; SQS drops it at ${DEAD_LETTER_RETENTION.toDays()}`,
      dlq.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: "Maximum" }),
      DEAD_LETTER_AGE_ALARM_SECONDS,
    );
  }

  for (const [name, fn] of Object.entries(consumers)) {
    alarm(stack, `Worker${pascal(name)}Errors`, `The ${name} worker threw (not a reported batch item failure)`, fn.metricErrors({ period: Duration.minutes(5), statistic: "Sum" }), 0);
  }
  for (const [name, fn] of Object.entries(jobs)) {
    alarm(stack, `Cron${pascal(name)}Errors`, `The ${name} job threw`, fn.metricErrors({ period: Duration.minutes(15), statistic: "Sum" }), 0);
  }

  // Streaming routes bypass API Gateway, so its 5xx alarm never sees them; their handlers answer
  // errors themselves, so an error here is a crash or a timeout.
  for (const [key, fn] of Object.entries(streamFunctions)) {
    alarm(stack, `Stream${pascal(key)}Errors`, `The streaming function of ${key} crashed or timed out`, fn.metricErrors({ period: Duration.minutes(5), statistic: "Sum" }), 0);
  }

  alarm(
    stack,
    "Api5xx",
    "The API answered 5xx (over 5 in 5 minutes, twice in a row)",
    api.cdk.httpApi.metricServerError({ period: Duration.minutes(5), statistic: "Sum" }),
    5,
    2,
  );

  stack.addOutputs({ OnCallTopicArn: topic.topicArn });
  return { topic };
}
