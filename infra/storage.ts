import { Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { AccountRootPrincipal, PolicyDocument, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { StackContext } from "sst/constructs";
import { KEYRING_ACTIONS, keyringRolePath } from "./grants.ts";

/** Stages whose data outlives `sst remove`: the table, both keys and the platform secret are retained. */
export function isProduction(stage: string): boolean {
  return stage === "prod" || stage === "production";
}

/** Key management for the account's IAM administrators (and CloudFormation acting for them); no cryptographic use. */
const KEY_ADMIN_ACTIONS = [
  "kms:DescribeKey",
  "kms:GetKeyPolicy",
  "kms:PutKeyPolicy",
  "kms:ListKeyPolicies",
  "kms:GetKeyRotationStatus",
  "kms:EnableKeyRotation",
  "kms:DisableKeyRotation",
  "kms:ListKeyRotations",
  "kms:RotateKeyOnDemand",
  "kms:EnableKey",
  "kms:DisableKey",
  "kms:UpdateKeyDescription",
  "kms:ListResourceTags",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:CreateAlias",
  "kms:UpdateAlias",
  "kms:DeleteAlias",
  "kms:ListAliases",
  "kms:ListGrants",
  "kms:RevokeGrant",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
];

/** Use of the table key, delegated to IAM: function roles get it only through DynamoDB (see infra/grants.ts). */
const TABLE_KEY_USE_ACTIONS = [
  "kms:Encrypt",
  "kms:Decrypt",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
  "kms:GenerateDataKey",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:CreateGrant",
];

/**
 * The single table, the key that encrypts it, the key that seals provider secrets
 * and the platform secret.
 */
export function Storage({ stack, app }: StackContext) {
  const removalPolicy = isProduction(app.stage) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
  const root = new AccountRootPrincipal();

  /** A rotating customer-managed key the account administers; `use` says who may use it. */
  const key = (id: string, description: string, use: PolicyStatement) =>
    new Key(stack, id, {
      description,
      enableKeyRotation: true,
      removalPolicy,
      pendingWindow: Duration.days(30),
      policy: new PolicyDocument({
        statements: [new PolicyStatement({ sid: "KeyAdministration", principals: [root], actions: KEY_ADMIN_ACTIONS, resources: ["*"] }), use],
      }),
    });

  const tableKey = key(
    "TableKey",
    `Sambung ${app.stage}: encrypts the single table, its stream and backups`,
    new PolicyStatement({ sid: "UseThroughIam", principals: [root], actions: TABLE_KEY_USE_ACTIONS, resources: ["*"] }),
  );

  const table = new Table(stack, "Table", {
    partitionKey: { name: "pk", type: AttributeType.STRING },
    sortKey: { name: "sk", type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: TableEncryption.CUSTOMER_MANAGED,
    encryptionKey: tableKey,
    timeToLiveAttribute: "ttl",
    stream: StreamViewType.NEW_IMAGE,
    deletionProtection: isProduction(app.stage),
    removalPolicy,
  });
  table.addGlobalSecondaryIndex({
    indexName: "gsi1",
    partitionKey: { name: "gsi1pk", type: AttributeType.STRING },
    sortKey: { name: "gsi1sk", type: AttributeType.STRING },
  });

  // Cryptographic use only by the roles on the keyring path, and only where their
  // own IAM policy allows it too (infra/grants.ts gives that to "keyring" grants).
  // The condition names a path rather than roles: the roles live in later stacks,
  // and a key policy cannot name a principal that does not exist yet.
  const secretsKey = key(
    "SecretsKey",
    `Sambung ${app.stage}: seals provider secrets (envelope encryption)`,
    new PolicyStatement({
      sid: "KeyringRolesOnly",
      principals: [root],
      actions: KEYRING_ACTIONS,
      resources: ["*"],
      conditions: {
        ArnLike: { "aws:PrincipalArn": `arn:${Stack.of(stack).partition}:iam::${Stack.of(stack).account}:role${keyringRolePath(app.stage)}*` },
      },
    }),
  );
  secretsKey.addAlias(`alias/sambung/${app.stage}/secrets`);

  const platformSecret = new Secret(stack, "PlatformSecret", {
    description: `Sambung ${app.stage}: platform secrets (JSON object of named values)`,
    removalPolicy,
    generateSecretString: {
      secretStringTemplate: JSON.stringify({}),
      generateStringKey: "session-signing-key",
      passwordLength: 64,
      excludePunctuation: true,
    },
  });

  // PlatformSecretArn: where the first owner's fields go (docs/deploy.md, "First owner").
  stack.addOutputs({ TableName: table.tableName, SecretsKeyArn: secretsKey.keyArn, PlatformSecretArn: platformSecret.secretArn });
  return { table, tableKey, secretsKey, platformSecret };
}
