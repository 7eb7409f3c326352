import { tenantPk } from "../tenant/keys.ts";

export const providerPk = tenantPk;
export const providerSk = (providerId: string) => `PROVIDER#${providerId}`;
/** Slugs are unique across the platform: the inbound webhook URL carries no tenant. */
export const slugPk = (slug: string) => `PSLUG#${slug}`;
export const featureSk = (scope: string, featureKey: string) => `FEATURE#${scope}#${featureKey}`;
export const TENANT_SCOPE = "tenant";
