import { z } from "zod";

/** What every event carries, whichever queue or subscriber it reaches. */
export const Envelope = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  tenantId: z.string().min(1),
  locationId: z.string().min(1).optional(),
  occurredAt: z.iso.datetime(),
  data: z.record(z.string(), z.unknown()),
});
export type Envelope = z.infer<typeof Envelope>;
