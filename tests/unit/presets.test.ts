import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { formats, formatServes } from "@sambung/core/format/catalog";
import * as Presets from "@sambung/core/preset/index";
import { Preset } from "@sambung/core/preset/schema";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";

const PRESETS_DIR = fileURLToPath(new URL("../../presets/", import.meta.url));

/** Every preset the admin UI must offer, by type. */
const EXPECTED: Record<string, string[]> = {
  payment: [
    "midtrans-snap",
    "midtrans-core-qris",
    "midtrans-core-bank-transfer",
    "xendit-invoice",
    "xendit-qris",
    "xendit-virtual-account",
    "doku-checkout",
    "ipaymu-redirect",
    "faspay-debit-va",
    "stripe-payment-intents",
    "paypal-orders",
    "omise-charges",
  ],
  sms: ["twilio-sms", "vonage-sms", "zenziva-sms"],
  whatsapp: ["meta-cloud-api", "twilio-whatsapp", "wati", "360dialog", "fonnte"],
  mail: ["smtp-generic", "mailgun", "resend", "postmark", "sendgrid", "amazon-ses", "brevo-smtp", "mailtrap-smtp"],
  storage: ["aws-s3", "cloudflare-r2", "wasabi", "backblaze-b2", "minio", "digitalocean-spaces"],
  captcha: ["cloudflare-turnstile", "hcaptcha", "recaptcha-v3"],
  ai: ["openai", "deepseek", "mistral", "anthropic", "google-gemini"],
  ota: ["booking-com", "expedia", "agoda", "traveloka", "tiket-com"],
  rate_shopper: ["xotelo"],
};

/** Each listed preset must use this format (the brief names the format per vendor). */
const EXPECTED_FORMAT: Record<string, string> = {
  "midtrans-snap": "redirect_flow",
  "midtrans-core-qris": "qris_dynamic",
  "midtrans-core-bank-transfer": "va_static",
  "xendit-invoice": "redirect_flow",
  "xendit-qris": "qris_dynamic",
  "xendit-virtual-account": "va_static",
  "doku-checkout": "redirect_flow",
  "ipaymu-redirect": "redirect_flow",
  "stripe-payment-intents": "embed_flow",
  "paypal-orders": "redirect_flow",
  "omise-charges": "direct_charge",
  "twilio-sms": "rest_simple",
  "vonage-sms": "rest_simple",
  "zenziva-sms": "rest_simple",
  "meta-cloud-api": "meta_cloud_api",
  "twilio-whatsapp": "twilio_whatsapp",
  wati: "wati",
  "360dialog": "360dialog",
  fonnte: "rest_simple",
  "smtp-generic": "smtp_generic",
  mailgun: "mailgun_api",
  resend: "resend_api",
  postmark: "postmark_api",
  sendgrid: "sendgrid_api",
  "amazon-ses": "ses_api",
  "mailtrap-smtp": "smtp_generic",
  "aws-s3": "s3_compatible",
  "cloudflare-r2": "s3_compatible",
  wasabi: "s3_compatible",
  "backblaze-b2": "s3_compatible",
  minio: "s3_compatible",
  "digitalocean-spaces": "s3_compatible",
  "cloudflare-turnstile": "turnstile",
  hcaptcha: "hcaptcha",
  "recaptcha-v3": "recaptcha_v3",
  openai: "openai_compatible",
  deepseek: "openai_compatible",
  mistral: "openai_compatible",
  anthropic: "anthropic",
  "google-gemini": "gemini",
  "booking-com": "opentravel_xml",
  expedia: "eqc_xml",
  agoda: "opentravel_xml",
  traveloka: "json_rest_channel",
  "tiket-com": "json_rest_channel",
  xotelo: "json_rate_shopper",
};

const PAYMENT_STATUSES = new Set(["pending", "paid", "failed", "expired", "cancelled", "refunded", "partially_refunded"]);
const DELIVERY_STATUSES = new Set(["queued", "sent", "delivered", "read", "failed"]);

/** Shapes of live (or any real) credentials: none may appear anywhere in a preset. */
const LIVE_SECRET = [
  /sk_live_/,
  /rk_live_/,
  /pk_live_/,
  /SB-Mid-(server|client)-/,
  /Mid-(server|client)-[A-Za-z0-9_-]{8,}/,
  /xnd_(production|development)_/,
  /skey_(live|test)_[A-Za-z0-9]{8,}/,
  /pkey_(live|test)_[A-Za-z0-9]{8,}/,
  /whsec_[A-Za-z0-9+/=]{10,}/,
  /AKIA[0-9A-Z]{16}/,
  /SG\.[\w-]{16,}\.[\w-]{16,}/,
  /xkeysib-/,
  /xsmtpsib-/,
  /sk-ant-/,
  /sk-[A-Za-z0-9_-]{20,}/,
  /AIza[0-9A-Za-z_-]{30,}/,
  /EAA[A-Za-z0-9]{30,}/,
  /\bre_[A-Za-z0-9]{16,}/,
  /\bkey-[0-9a-f]{32}\b/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
];

interface PresetFile {
  /** Path relative to presets/, e.g. payment/midtrans-snap.json. */
  rel: string;
  folder: string;
  name: string;
  raw: unknown;
}

function presetFiles(): PresetFile[] {
  const out: PresetFile[] = [];
  for (const folder of readdirSync(PRESETS_DIR).sort()) {
    const dir = path.join(PRESETS_DIR, folder);
    if (!statSync(dir).isDirectory()) continue;
    for (const name of readdirSync(dir).sort()) {
      if (!name.endsWith(".json")) continue;
      const text = readFileSync(path.join(dir, name), "utf8");
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (error) {
        raw = { __invalidJson: (error as Error).message };
      }
      out.push({ rel: `${folder}/${name}`, folder, name, raw });
    }
  }
  return out;
}

/** Every string in a JSON value, with the path it sits at. */
function strings(value: unknown, at = "$"): { at: string; value: string }[] {
  if (typeof value === "string") return [{ at, value }];
  if (Array.isArray(value)) return value.flatMap((item, index) => strings(item, `${at}[${index}]`));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => strings(item, `${at}.${key}`));
  }
  return [];
}

const files = presetFiles();

describe("preset files", () => {
  it("are found", () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it("hold nothing but README.md and <type>/<id>.json files", () => {
    const stray: string[] = [];
    for (const entry of readdirSync(PRESETS_DIR)) {
      const full = path.join(PRESETS_DIR, entry);
      if (statSync(full).isDirectory()) {
        for (const inner of readdirSync(full)) if (!inner.endsWith(".json")) stray.push(`${entry}/${inner}`);
      } else if (entry !== "README.md") {
        stray.push(entry);
      }
    }
    expect(stray).toEqual([]);
  });

  it("use every id once", () => {
    const ids = files.map((file) => (file.raw as { id?: unknown }).id);
    const duplicates = ids.filter((id, index) => ids.indexOf(id) !== index);
    expect(duplicates).toEqual([]);
  });

  it.each(Object.entries(EXPECTED))("include every expected %s preset", (type, ids) => {
    const present = new Set(files.filter((file) => file.folder === type).map((file) => file.name.replace(/\.json$/, "")));
    expect(ids.filter((id) => !present.has(id))).toEqual([]);
  });

  it.each(Object.entries(EXPECTED_FORMAT))("give %s the %s format", (id, format) => {
    const file = files.find((candidate) => candidate.name === `${id}.json`);
    expect(file, `presets/*/${id}.json is missing`).toBeDefined();
    expect((file?.raw as { apiFormat?: unknown }).apiFormat).toBe(format);
  });
});

describe.each(files)("presets/$rel", ({ rel, folder, name, raw }) => {
  const parsed = Preset.safeParse(raw);
  const preset = parsed.success ? parsed.data : undefined;

  it("matches the Preset schema", () => {
    expect(parsed.success, parsed.success ? "" : `${rel}:\n${z.prettifyError(parsed.error)}`).toBe(true);
  });

  it("is named after its id and filed under its type", () => {
    expect(preset?.id).toBe(name.replace(/\.json$/, ""));
    expect(preset?.type).toBe(folder);
  });

  it("uses a format that serves its type", () => {
    expect(preset).toBeDefined();
    if (!preset) return;
    expect(formatServes(preset.apiFormat, preset.type), `${preset.apiFormat} does not serve ${preset.type}`).toBe(true);
  });

  it("uses https base URLs (smtp:// or smtps:// only for SMTP)", () => {
    expect(preset).toBeDefined();
    if (!preset) return;
    const allowed = preset.apiFormat === "smtp_generic" ? /^smtps?:\/\/[^\s/]+/ : /^https:\/\/[^\s/]+/;
    const urls = [preset.baseUrl.production, preset.baseUrl.sandbox].filter((url) => url !== undefined);
    for (const url of urls) expect(url, `${rel}: ${url}`).toMatch(allowed);
    expect(preset.docsUrl).toMatch(/^https:\/\//);
  });

  it("sends nothing over plain http", () => {
    const plain = strings(raw).filter(({ value }) => /\bhttp:\/\//.test(value));
    expect(plain).toEqual([]);
  });

  it("contains no live secret", () => {
    const hits = strings(raw).filter(({ value }) => LIVE_SECRET.some((pattern) => pattern.test(value)));
    expect(hits).toEqual([]);
  });

  it("refers only to secret fields its format declares", () => {
    expect(preset).toBeDefined();
    if (!preset) return;
    const declared = new Set(formats[preset.apiFormat].secrets.map((secret) => secret.name));
    const used = strings(raw).flatMap(({ value }) => [...value.matchAll(/\{\{\s*secrets\.([A-Za-z0-9_]+)\s*\}\}/g)].map((match) => match[1]));
    expect(used.filter((field) => field === undefined || !declared.has(field))).toEqual([]);
  });

  it("maps vendor statuses onto Sambung's statuses", () => {
    expect(preset).toBeDefined();
    if (!preset) return;
    const statusMap = (preset.config.statusMap ?? {}) as Record<string, unknown>;
    for (const [vendor, ours] of Object.entries(statusMap)) {
      expect(PAYMENT_STATUSES.has(String(ours)), `${rel}: statusMap.${vendor} = ${String(ours)}`).toBe(true);
    }
    const deliveryMap = (preset.config.deliveryStatusMap ?? {}) as Record<string, unknown>;
    for (const [vendor, ours] of Object.entries(deliveryMap)) {
      expect(DELIVERY_STATUSES.has(String(ours)), `${rel}: deliveryStatusMap.${vendor} = ${String(ours)}`).toBe(true);
    }
    if (preset.type === "payment") expect(Object.keys(statusMap).length, `${rel}: a payment preset needs a statusMap`).toBeGreaterThan(0);
  });

  it("verifies what an OTA channel pushes, keyed with secret fields its format declares", () => {
    expect(preset).toBeDefined();
    if (!preset || preset.type !== "ota") return;
    expect(preset.signature.method, `${rel}: an OTA channel's pushed bookings need a verification`).not.toBe("none");
    const declared = new Set(formats[preset.apiFormat].secrets.map((secret) => secret.name));
    for (const name of ["secretField", "usernameField", "passwordField"]) {
      const field = preset.signature.params[name];
      if (field !== undefined) expect(declared.has(String(field)), `${rel}: signature.params.${name} = ${String(field)}`).toBe(true);
    }
  });
});

describe("preset module", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    Presets.clearCache();
  });

  function useRepoPresets(): void {
    vi.stubEnv("SAMBUNG_PRESETS_DIR", "");
    vi.stubEnv("LAMBDA_TASK_ROOT", "");
    Presets.clearCache();
  }

  function tempPresets(files: Record<string, unknown>): string {
    const dir = mkdtempSync(path.join(tmpdir(), "sambung-presets-"));
    for (const [rel, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), typeof content === "string" ? content : JSON.stringify(content));
    }
    return dir;
  }

  const sample = (id: string, type: string, name: string) => ({
    id,
    type,
    name,
    vendor: "Example",
    apiFormat: type === "payment" ? "redirect_flow" : "rest_simple",
    description: "An example preset for tests.",
    docsUrl: "https://example.com/docs",
    baseUrl: { production: "https://api.example.com" },
    auth: { method: "bearer" },
    signature: { method: "none" },
  });

  it("reads the repository's presets/ by default", async () => {
    useRepoPresets();
    expect(Presets.directory()).toBe(path.resolve(PRESETS_DIR));
    const all = await Presets.list();
    expect(all.map((preset) => preset.id).sort()).toEqual(files.map((file) => file.name.replace(/\.json$/, "")).sort());
  });

  it("lists sorted by type, then name", async () => {
    useRepoPresets();
    const all = await Presets.list();
    const keys = all.map((preset) => [preset.type, preset.name] as const);
    const sorted = [...keys].sort(
      ([typeA, nameA], [typeB, nameB]) =>
        typeA.localeCompare(typeB, "en", { sensitivity: "base" }) || nameA.localeCompare(nameB, "en", { sensitivity: "base" }),
    );
    expect(keys).toEqual(sorted);
  });

  it("filters by type and finds one by id", async () => {
    useRepoPresets();
    const payments = await Presets.list("payment");
    expect(payments.length).toBe(EXPECTED.payment?.length);
    expect(payments.every((preset) => preset.type === "payment")).toBe(true);
    const snap = await Presets.get("midtrans-snap");
    expect(snap?.apiFormat).toBe("redirect_flow");
    expect(snap?.signature.method).toBe("midtrans_signature_key");
    expect(await Presets.get("no-such-preset")).toBeUndefined();
    expect(await Presets.get("../../etc/passwd")).toBeUndefined();
  });

  it("hands out copies, so callers cannot change the cache", async () => {
    useRepoPresets();
    const first = await Presets.get("openai");
    if (first) first.name = "changed";
    expect((await Presets.get("openai"))?.name).toBe("OpenAI");
  });

  it("honours SAMBUNG_PRESETS_DIR and caches per process", async () => {
    const dir = tempPresets({ "sms/beta.json": sample("beta", "sms", "Beta"), "payment/alpha.json": sample("alpha", "payment", "Alpha") });
    try {
      vi.stubEnv("SAMBUNG_PRESETS_DIR", dir);
      Presets.clearCache();
      expect(Presets.directory()).toBe(path.resolve(dir));
      expect((await Presets.list()).map((preset) => preset.id)).toEqual(["alpha", "beta"]);

      writeFileSync(path.join(dir, "sms", "gamma.json"), JSON.stringify(sample("gamma", "sms", "Gamma")));
      expect((await Presets.list()).map((preset) => preset.id)).toEqual(["alpha", "beta"]);
      Presets.clearCache();
      expect((await Presets.list()).map((preset) => preset.id)).toEqual(["alpha", "beta", "gamma"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("falls back to <LAMBDA_TASK_ROOT>/presets", () => {
    vi.stubEnv("SAMBUNG_PRESETS_DIR", "");
    vi.stubEnv("LAMBDA_TASK_ROOT", "/var/task");
    expect(Presets.directory()).toBe(path.join("/var/task", "presets"));
  });

  it("names the file when one is malformed", async () => {
    const cases: Record<string, unknown>[] = [
      { "payment/broken.json": "{ not json" },
      { "payment/broken.json": { ...sample("broken", "payment", "Broken"), baseUrl: { production: "not a url" } } },
      { "payment/broken.json": sample("other-id", "payment", "Broken") },
      { "sms/broken.json": sample("broken", "payment", "Broken") },
      { "payment/broken.json": sample("broken", "payment", "Broken"), "sms/broken.json": sample("broken", "sms", "Broken again") },
    ];
    for (const files of cases) {
      const dir = tempPresets(files);
      try {
        vi.stubEnv("SAMBUNG_PRESETS_DIR", dir);
        Presets.clearCache();
        await expect(Presets.list()).rejects.toThrow(/broken\.json/);
        await expect(Presets.get("broken")).rejects.toBeInstanceOf(Presets.PresetFileError);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
