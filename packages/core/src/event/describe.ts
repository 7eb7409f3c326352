import { z } from "zod";
import { catalog, type EventSpec } from "./catalog.ts";

export interface CatalogEntry {
  type: string;
  description: string;
  /** The owner's systems may send it through POST /api/v1/events. */
  publishable: boolean;
  /** Outgoing webhook subscriptions can receive it. */
  subscribable: boolean;
  /** JSON Schema (2020-12) of the event's `data`. */
  schema: Record<string, unknown>;
}

let described: CatalogEntry[] | undefined;

/** The event catalog as published to owners: every type with the JSON Schema of its data. */
export function describeCatalog(): CatalogEntry[] {
  described ??= (Object.entries(catalog) as [string, EventSpec][]).map(([type, spec]) => ({
    type,
    description: spec.description,
    publishable: spec.publishable ?? false,
    subscribable: spec.queues.includes("deliver"),
    schema: z.toJSONSchema(spec.schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>,
  }));
  return described;
}

/** Types outgoing webhook subscriptions can receive (those the catalog routes to the `deliver` queue). */
export function subscribableTypes(): string[] {
  return describeCatalog()
    .filter((entry) => entry.subscribable)
    .map((entry) => entry.type);
}
