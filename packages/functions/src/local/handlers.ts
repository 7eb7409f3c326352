import { handlerFile, type HandlerRef } from "../grants.ts";

const cache = new Map<HandlerRef, unknown>();

/** Imports the export a route, worker or job names, as Lambda would from its bundle. */
export async function loadHandler<T>(ref: HandlerRef): Promise<T> {
  const cached = cache.get(ref);
  if (cached) return cached as T;
  const { file, exportName } = handlerFile(ref);
  const module = (await import(new URL(`../${file}.ts`, import.meta.url).href)) as Record<string, unknown>;
  const fn = module[exportName];
  if (typeof fn !== "function") throw new Error(`handler ${ref} does not export a function named ${exportName}`);
  cache.set(ref, fn);
  return fn as T;
}
