import type { Clock } from "../port.ts";

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand, so schedules are checked without sleeping. */
export class ManualClock implements Clock {
  private current;

  constructor(current = Date.parse("2026-01-01T00:00:00Z")) {
    this.current = current;
  }

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }

  set(ms: number): void {
    this.current = ms;
  }
}
