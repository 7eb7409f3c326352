import { session } from "./session.ts";

/** The API's base URL: VITE_API_URL on AWS (set by the web stack), else this origin. */
export const API_BASE = ((import.meta.env.VITE_API_URL as string | undefined) ?? "").replace(/\/+$/, "");

/** An API problem: `message` is the API's own `error.message`, written for the person fixing it. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: Record<string, unknown>;
  readonly issues?: { path: string; message: string }[];

  constructor(status: number, code: string, message: string, extra: { details?: Record<string, unknown>; issues?: { path: string; message: string }[] } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = extra.details;
    this.issues = extra.issues;
  }
}

interface Problem {
  error?: { code?: string; message?: string; details?: Record<string, unknown>; issues?: { path: string; message: string }[] };
}

export async function request<T>(method: string, path: string, body?: unknown, options: { auth?: boolean; signal?: AbortSignal } = {}): Promise<T> {
  const auth = options.auth ?? true;
  const token = auth ? session.get()?.token : undefined;
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: options.signal,
    });
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ApiError(0, "network", "the hub could not be reached: check your connection and that Sambung is running");
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const problem = (parsed as Problem | undefined)?.error;
    if (response.status === 401 && token) session.end("expired");
    throw new ApiError(response.status, problem?.code ?? `http_${response.status}`, problem?.message ?? `the hub answered ${response.status} ${response.statusText}`, {
      details: problem?.details,
      issues: problem?.issues,
    });
  }
  return parsed as T;
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>("GET", path, undefined, { signal }),
  post: <T>(path: string, body: unknown = {}) => request<T>("POST", path, body),
  put: <T>(path: string, body: unknown) => request<T>("PUT", path, body),
  patch: <T>(path: string, body: unknown) => request<T>("PATCH", path, body),
  delete: <T>(path: string) => request<T>("DELETE", path),
};

/** Query string from the defined values only. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** An absolute URL for a path the hub returns (webhook URLs are relative when the hub has no public URL). */
export function absoluteUrl(url: string): string {
  if (/^https?:\/\//.test(url)) return url;
  return `${API_BASE || window.location.origin}${url}`;
}
