import { Provider } from "@sambung/core/provider/record";

const AT = "2026-01-01T00:00:00.000Z";

/**
 * A provider record as the registry stores it, for engine tests that call a format directly:
 * `fields` over plain defaults, checked by the record's schema (so a preset's type and format may come in unchecked).
 */
export function providerRecord(fields: { type: string; apiFormat: unknown } & Partial<Omit<Provider, "type" | "apiFormat">>): Provider {
  return Provider.parse({
    id: "prv_test",
    tenantId: "ten_test",
    name: "Test provider",
    slug: "test-provider",
    baseUrl: "https://vendor.example",
    testMode: false,
    headers: {},
    config: {},
    capabilities: [],
    active: true,
    isDefault: false,
    displayOrder: 0,
    lastTest: { status: "never" },
    createdBy: "test",
    createdAt: AT,
    updatedBy: "test",
    updatedAt: AT,
    ...fields,
  });
}
