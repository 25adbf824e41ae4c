/**
 * Flow-control limits of a job type: a rate limit (`max` starts per `per` ms, as a sliding window) and a
 * concurrency (jobs claimed and not yet settled, across every worker). A definition sets them; an admin may
 * override either at runtime (`PUT /v1/admin/queues/{name}/limits`, stored in the queue's meta hash), and the
 * claim script applies whichever wins (shared/scripts/includes/flow_gate.lua). Pure functions: the edge, the
 * worker and the definitions share them.
 */
import { formatDuration, parseDuration } from "../duration";

export interface RateLimit {
  /** Jobs that may start in any window of `perMs`. */
  max: number;
  perMs: number;
}

export interface FlowLimits {
  rate: RateLimit | null;
  concurrency: number | null;
}

/** Bounds of what a definition or an override may say (a window over a day would keep a day of start times). */
export const RATE_MAX_LIMIT = 1_000_000;
export const RATE_PER_MIN_MS = 1;
export const RATE_PER_MAX_MS = 86_400_000;
export const CONCURRENCY_LIMIT = 100_000;

/** "100/1s": the window as formatDuration writes it (the largest unit that divides it). */
export function formatRate(rate: RateLimit): string {
  return `${rate.max}/${formatDuration(rate.perMs)}`;
}

/**
 * "<max>/<duration>" (`100/1s`, `5/250ms`, `1000/1m`; a bare unit means one of it: `10/s`). A message saying
 * what is wrong, or the limit.
 * @example
 * parseRate("200/1s") // { max: 200, perMs: 1000 }
 */
export function parseRate(text: string): RateLimit | string {
  const match = /^\s*(\d+)\s*\/\s*(\S+)\s*$/.exec(text);
  if (!match) return 'must be "<max>/<duration>", e.g. "100/1s"';
  const max = Number(match[1]);
  const perText = /^(ms|s|m|h|d)$/.test(match[2]!) ? `1${match[2]}` : match[2]!;
  const perMs = parseDuration(perText);
  return checkRate(max, perMs, `"${match[2]}"`);
}

/** Validates a rate limit from a definition or a request: a message, or the limit. */
export function checkRate(max: number, perMs: number | undefined, perText = "per"): RateLimit | string {
  if (!Number.isInteger(max) || max < 1 || max > RATE_MAX_LIMIT) return `max must be a whole number from 1 to ${RATE_MAX_LIMIT}`;
  if (perMs === undefined) return `${perText} is not a duration (ms, or a number with ms, s, m, h, d)`;
  if (perMs < RATE_PER_MIN_MS || perMs > RATE_PER_MAX_MS) return "the window must be from 1ms to 1d";
  return { max, perMs };
}

export function checkConcurrency(value: number): string | undefined {
  if (!Number.isInteger(value) || value < 1 || value > CONCURRENCY_LIMIT) return `must be a whole number from 1 to ${CONCURRENCY_LIMIT}`;
  return undefined;
}

/** How the override is stored in meta (FLOW_META.rate): "<max>/<per ms>", which flow_gate.lua parses. */
export function storedRate(rate: RateLimit): string {
  return `${rate.max}/${rate.perMs}`;
}

export function parseStoredRate(text: string | null | undefined): RateLimit | null {
  const match = /^(\d+)\/(\d+)$/.exec(text ?? "");
  return match ? { max: Number(match[1]), perMs: Number(match[2]) } : null;
}
