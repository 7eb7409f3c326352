import { createContext, useContext } from "react";
import type { Me } from "./types.ts";

/** Who is signed in and their tenant (GET /api/auth/me), once the shell has it. */
export const MeContext = createContext<Me | undefined>(undefined);

export function useMe(): Me | undefined {
  return useContext(MeContext);
}

export function useCan(): { admin: boolean; owner: boolean; superadmin: boolean } {
  const me = useMe();
  const principal = me?.principal;
  if (!principal || principal.kind !== "user") return { admin: false, owner: false, superadmin: false };
  return { admin: principal.role !== "viewer", owner: principal.role === "owner", superadmin: principal.superadmin };
}
