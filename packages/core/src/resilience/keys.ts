/**
 * Store keys of the resilience module. Provider ids are unique across tenants,
 * so the shared state of one provider lives under its id alone.
 */
export const resiliencePk = (providerId: string) => `RES#${providerId}`;
export const BREAKER_SK = "BREAKER";
export const RATE_SK = "RATE";
/** One record per breaker transition that raises an event: its insert is the outbox entry. */
export const transitionSk = (incident: number, kind: "opened" | "closed") => `TRANSITION#${String(incident).padStart(8, "0")}#${kind}`;
