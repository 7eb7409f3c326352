/** Single-table keys of the tenant module, in one place. */
export const tenantPk = (tenantId: string) => `TENANT#${tenantId}`;
export const TENANT_SK = "TENANT";
export const locationSk = (locationId: string) => `LOC#${locationId}`;
export const userSk = (userId: string) => `USER#${userId}`;
export const emailPk = (email: string) => `EMAIL#${email.toLowerCase()}`;
export const apiKeySk = (keyId: string) => `APIKEY#${keyId}`;
export const apiKeyHashPk = (hash: string) => `APIKEYHASH#${hash}`;
export const LOOKUP_SK = "LOOKUP";
/** Every tenant, for the superadmin's list. */
export const TENANTS_PK = "TENANTS";
export const SETUP_PK = "PLATFORM#SETUP";
