/** The signed-in session: a bearer token kept for this browser tab only (sessionStorage). */
export interface Session {
  token: string;
  /** ms since the epoch, from the sign-in answer's expiresIn. */
  expiresAt: number;
  email: string;
}

export type SignedOutReason = "expired" | "signed-out" | undefined;

const KEY = "sambung.session";
const listeners = new Set<() => void>();
let current: Session | undefined = read();
let reason: SignedOutReason;

function read(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return undefined;
    const parsed = JSON.parse(raw) as Session;
    return parsed.expiresAt > Date.now() ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function emit(): void {
  for (const listener of listeners) listener();
}

export const session = {
  get: (): Session | undefined => current,
  reason: (): SignedOutReason => reason,
  start(token: string, expiresInSeconds: number, email: string): void {
    current = { token, expiresAt: Date.now() + expiresInSeconds * 1000, email };
    reason = undefined;
    sessionStorage.setItem(KEY, JSON.stringify(current));
    emit();
  },
  /** Ends the session; "expired" makes the sign-in page say so. */
  end(why: Exclude<SignedOutReason, undefined>): void {
    if (!current) return;
    current = undefined;
    reason = why;
    sessionStorage.removeItem(KEY);
    emit();
  },
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
