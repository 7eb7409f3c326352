import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { ProviderType, Slug } from "../provider/types.ts";
import { Preset } from "./schema.ts";

export { AuthMethod, Preset, SignatureMethod } from "./schema.ts";

/**
 * Presets pre-fill a provider record in the admin app. They are read from
 * `presets/<type>/<preset-id>.json`; the runtime never reads them.
 */

/** A preset file that cannot be read, parsed or validated. The message names the file. */
export class PresetFileError extends Error {
  readonly file: string;

  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super(`preset file ${file}: ${reason}`, options);
    this.file = file;
    this.name = "PresetFileError";
  }
}

/**
 * Where the preset files live: `SAMBUNG_PRESETS_DIR`, else `<LAMBDA_TASK_ROOT>/presets`
 * on Lambda, else the repository's `presets/` next to `packages/`.
 */
export function directory(): string {
  const fromEnv = process.env.SAMBUNG_PRESETS_DIR;
  if (fromEnv) return path.resolve(fromEnv);
  const lambdaRoot = process.env.LAMBDA_TASK_ROOT;
  if (lambdaRoot) return path.join(lambdaRoot, "presets");
  return path.resolve(fileURLToPath(new URL("../../../../presets/", import.meta.url)));
}

/** Loaded presets per directory, once per process. */
const cache = new Map<string, Promise<readonly Preset[]>>();

/** Forgets the loaded presets, so the next call reads the files again (tests, hot reload). */
export function clearCache(): void {
  cache.clear();
}

/** All presets, or those of one integration type, sorted by type then name. */
export async function list(type?: ProviderType): Promise<Preset[]> {
  const wanted = type === undefined ? undefined : ProviderType.parse(type);
  const presets = await load();
  return presets.filter((preset) => wanted === undefined || preset.type === wanted).map((preset) => structuredClone(preset));
}

/** One preset by id, or undefined when there is none. */
export async function get(id: string): Promise<Preset | undefined> {
  if (!Slug.safeParse(id).success) return undefined;
  const preset = (await load()).find((candidate) => candidate.id === id);
  return preset === undefined ? undefined : structuredClone(preset);
}

function load(): Promise<readonly Preset[]> {
  const dir = directory();
  let pending = cache.get(dir);
  if (pending === undefined) {
    pending = readAll(dir);
    cache.set(dir, pending);
    // A failed load is not cached: fixing the file and calling again must work.
    pending.catch(() => cache.delete(dir));
  }
  return pending;
}

async function readAll(dir: string): Promise<readonly Preset[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    // No presets folder means no presets: owners can still add custom providers.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return Object.freeze([]);
    throw new Error(`cannot read the presets directory ${dir}: ${(error as Error).message}`, { cause: error });
  }

  const files: { folder: string; name: string }[] = [];
  for (const entry of entries) {
    if (entry.isFile() && entry.name.endsWith(".json")) {
      throw new PresetFileError(entry.name, "presets belong in a folder named after their type: presets/<type>/<preset-id>.json");
    }
    if (!entry.isDirectory()) continue;
    const inner = await readdir(path.join(dir, entry.name), { withFileTypes: true });
    for (const file of inner) {
      if (file.isFile() && file.name.endsWith(".json")) files.push({ folder: entry.name, name: file.name });
    }
  }

  const presets = await Promise.all(files.map((file) => readOne(dir, file.folder, file.name)));

  const seen = new Map<string, string>();
  for (const [index, preset] of presets.entries()) {
    const file = files[index];
    const label = file === undefined ? preset.id : `${file.folder}/${file.name}`;
    const other = seen.get(preset.id);
    if (other !== undefined) throw new PresetFileError(label, `id "${preset.id}" is already used by ${other}`);
    seen.set(preset.id, label);
  }

  return Object.freeze(presets.sort(byTypeThenName));
}

async function readOne(dir: string, folder: string, name: string): Promise<Preset> {
  const label = `${folder}/${name}`;
  const fullPath = path.join(dir, folder, name);

  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(fullPath, "utf8"));
  } catch (error) {
    throw new PresetFileError(label, `is not valid JSON (${(error as Error).message})`, { cause: error });
  }

  const parsed = Preset.safeParse(raw);
  if (!parsed.success) {
    throw new PresetFileError(label, `does not match the Preset schema:\n${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }

  const preset = parsed.data;
  const expectedId = name.slice(0, -".json".length);
  if (preset.id !== expectedId) throw new PresetFileError(label, `id "${preset.id}" must equal the file name "${expectedId}"`);
  if (preset.type !== folder) throw new PresetFileError(label, `type "${preset.type}" must equal its folder "${folder}"`);
  return preset;
}

function byTypeThenName(a: Preset, b: Preset): number {
  return compare(a.type, b.type) || compare(a.name, b.name) || compare(a.id, b.id);
}

function compare(a: string, b: string): number {
  return a.localeCompare(b, "en", { sensitivity: "base" });
}
