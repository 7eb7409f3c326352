import * as Captcha from "@sambung/core/captcha/index";
import { http } from "../middleware/http.ts";

/** POST /api/v1/captcha/verify {featureKey, token, remoteIp?} → {success, score?, action?, hostname?, errors, provider}. */
export const verify = http({ auth: { scope: "captcha" }, body: Captcha.VerifyCaptcha }, async ({ ports, principal, body }) => ({
  body: await Captcha.verify(ports, principal, body),
}));
