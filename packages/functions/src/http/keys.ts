import * as Rotation from "@sambung/core/secret/rotation";
import { http } from "../middleware/http.ts";

export const rotate = http({ auth: { role: "superadmin" } }, async ({ ports }) => ({ body: await Rotation.rotate(ports) }));

export const status = http({ auth: { role: "superadmin" } }, async ({ ports }) => ({ body: (await Rotation.status(ports)) ?? { status: "never" } }));
