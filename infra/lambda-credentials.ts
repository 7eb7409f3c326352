import { fromEnv } from "@aws-sdk/credential-provider-env";

/**
 * Stands in for @aws-sdk/credential-provider-node in the function bundles (see
 * infra/bundling.ts). Lambda hands a function its role's credentials in the
 * environment, which is the first place the default chain looks; the rest of the
 * chain (SSO, INI files, IMDS, web identity, and the STS / SSO clients it carries,
 * ~130 KB minified) can never answer there.
 */
export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}): ReturnType<typeof fromEnv> => fromEnv(init);
