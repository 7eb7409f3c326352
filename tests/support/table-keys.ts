import type { GlobalSecondaryIndex, KeySchemaElement } from "@aws-sdk/client-dynamodb";

/**
 * The single table's key schema and its one index, as DynamoDB states them: what
 * infra/storage.ts must synthesise and what the store contract test creates.
 */
export const TABLE_KEYS: { KeySchema: KeySchemaElement[]; GlobalSecondaryIndexes: GlobalSecondaryIndex[] } = {
  KeySchema: [
    { AttributeName: "pk", KeyType: "HASH" },
    { AttributeName: "sk", KeyType: "RANGE" },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: "gsi1",
      KeySchema: [
        { AttributeName: "gsi1pk", KeyType: "HASH" },
        { AttributeName: "gsi1sk", KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: "ALL" },
    },
  ],
};
