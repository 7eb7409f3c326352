import { useSyncExternalStore } from "react";

/** A small history router: the SPA's paths are few and flat. */
const listeners = new Set<() => void>();
let navigations = 0;

function emit(): void {
  for (const listener of listeners) listener();
}

window.addEventListener("popstate", () => {
  navigations += 1;
  emit();
});

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === window.location.pathname + window.location.search + window.location.hash) return;
  if (options.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  navigations += 1;
  emit();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useLocation(): { pathname: string; search: URLSearchParams; hash: string } {
  const href = useSyncExternalStore(subscribe, () => window.location.href);
  const url = new URL(href);
  return { pathname: url.pathname, search: url.searchParams, hash: url.hash };
}

/** How many client-side navigations happened (0 on first load): pages move focus only after one. */
export function navigationCount(): number {
  return navigations;
}

/** Sets one query parameter (replacing history), for filters and tabs that should survive a reload. */
export function setSearchParam(name: string, value: string | undefined): void {
  const url = new URL(window.location.href);
  if (value === undefined || value === "") url.searchParams.delete(name);
  else url.searchParams.set(name, value);
  navigate(url.pathname + url.search + url.hash, { replace: true });
}
