import { Logger } from "@aws-lambda-powertools/logger";
import { mask, redactingReplacer, registerSecretValue } from "@sambung/core/secret/redact";
import { describe, expect, it, vi } from "vitest";

describe("log redaction", () => {
  it("redacts secret-looking keys and values, and registered secrets anywhere", () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      registerSecretValue("canary-7f3a9c1e");
      const logger = new Logger({ serviceName: "test", logLevel: "INFO", jsonReplacerFn: redactingReplacer });
      logger.info("calling provider", {
        password: "hunter2hunter2",
        headers: { authorization: "Bearer abcdefghijklmnop" },
        note: "key is sk_live_1234567890abcdef and canary-7f3a9c1e",
        count: 3,
      });
    } finally {
      spy.mockRestore();
    }
    const out = lines.join("");
    expect(out).toContain("calling provider");
    expect(out).toContain('"count":3');
    for (const secret of ["hunter2hunter2", "abcdefghijklmnop", "sk_live_1234567890abcdef", "canary-7f3a9c1e"]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain("[redacted]");
  });

  it("masks for display with the last four characters", () => {
    expect(mask("sk_test_abcd1234")).toBe("••••1234");
    expect(mask("abc")).toBe("••••");
  });
});
