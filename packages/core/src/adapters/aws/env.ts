import { z } from "zod";

/**
 * The environment the SST stacks give every function, and all the AWS adapters
 * read. The stacks set exactly these names (tests/infra checks it).
 */
export const AwsEnv = z.object({
  SAMBUNG_TABLE: z.string().min(1),
  /** JSON: queue name → { url, dlqUrl } for every queue in the queue table. */
  SAMBUNG_QUEUES: z.string().transform((raw, ctx) => {
    const parsed = z
      .record(z.string(), z.object({ url: z.string().url(), dlqUrl: z.string().url() }))
      .safeParse(JSON.parse(raw));
    if (!parsed.success) {
      ctx.addIssue({ code: "custom", message: "SAMBUNG_QUEUES must map each queue to { url, dlqUrl }" });
      return z.NEVER;
    }
    return parsed.data;
  }),
  SAMBUNG_BUS: z.string().min(1),
  SAMBUNG_KMS_KEY_ID: z.string().min(1),
  SAMBUNG_PLATFORM_SECRET_ARN: z.string().min(1),
  AWS_REGION: z.string().min(1).default("ap-southeast-1"),
});
export type AwsEnv = z.infer<typeof AwsEnv>;
