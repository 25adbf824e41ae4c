/**
 * The one set of environment parsers the edge, the worker and the dev stack share: durations, boolean flags,
 * the Redis key prefix and whole numbers. Each is a zod schema over `string | undefined` in which an unset or
 * blank variable means "use the default" (`WORKER_LEASE= npm run worker`, a blank `.dev.vars` line), so the
 * three processes cannot disagree about what a value means — they used to (`REDIS_PREFIX=my_app` passed the
 * worker and failed the edge).
 *
 * Messages never echo more of a value than a short excerpt: some variables beside these hold secrets.
 */
import { z } from "zod";
import { formatDuration, parseDuration } from "../duration";

// Re-exported: the messages below and their callers (the supervisor's log lines) write durations this way.
export { formatDuration };

const excerpt = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);

/**
 * What every parser here shares: a zod schema over `string | undefined` that hands `read` the trimmed value, or
 * `undefined` when the variable is unset or blank (each parser says what blank means), and a `reject` that turns
 * a message into the variable's one issue.
 */
function envVariable<T>(read: (value: string | undefined, reject: (message: string) => never) => T) {
  return z
    .string()
    .optional()
    .transform((text, ctx) => {
      const value = text === undefined || text.trim() === "" ? undefined : text.trim();
      return read(value, (message) => {
        ctx.addIssue({ code: "custom", message });
        return z.NEVER;
      });
    });
}

export interface DurationRule {
  /** Used when the variable is unset or blank, e.g. "30s". */
  fallback: string;
  /** Smallest sane value in ms; below it the process refuses to start. */
  minMs: number;
  /** Largest sane value in ms. Default: 7 days. */
  maxMs?: number;
}

/**
 * A duration in ms: a number of milliseconds (`1500`) or a number with a unit (`250ms`, `30s`, `5m`, `2h`, `1d`).
 * Below `minMs` the message names the minimum and what the value most likely meant: `WORKER_LEASE=30` is
 * 30 ms (a bare number is milliseconds), which makes an idle worker send ~1,600 commands a second.
 * @example
 * envDuration({ fallback: "30s", minMs: 1_000 }).parse("30") // throws: must be at least 1s; "30" is 30 ms …, did you mean "30s"?
 * envDuration({ fallback: "30s", minMs: 1_000 }).parse("") // 30000
 */
export function envDuration(rule: DurationRule) {
  const { fallback, minMs, maxMs = 7 * 86_400_000 } = rule;
  return envVariable((given, reject) => {
    const value = given ?? fallback;
    const ms = parseDuration(value);
    if (ms === undefined) return reject(`expected a duration such as 30s, 5m or 1500 (ms), got ${excerpt(value)}`);
    if (ms < minMs) {
      const bare = /^\d+(\.\d+)?$/.test(value);
      const guess = bare && Number(value) * 1_000 >= minMs ? `, did you mean "${value}s"?` : "";
      const read = bare ? `${ms} ms (a bare number is milliseconds)` : formatDuration(ms);
      return reject(`must be at least ${formatDuration(minMs)}; ${excerpt(value)} is ${read}${guess}`);
    }
    if (ms > maxMs) return reject(`must be at most ${formatDuration(maxMs)}, got ${excerpt(value)}`);
    return ms;
  });
}

/**
 * `true`/`1` or `false`/`0`, any case; unset or blank is `fallback`.
 * @example
 * envFlag(false).parse("TRUE") // true
 * envFlag(false).parse(undefined) // false
 */
export function envFlag(fallback: boolean) {
  return envVariable((value, reject) => {
    if (value === undefined) return fallback;
    const lower = value.toLowerCase();
    if (lower === "true" || lower === "1") return true;
    if (lower === "false" || lower === "0") return false;
    return reject(`expected true or false, got ${excerpt(value)}`);
  });
}

export interface WholeNumberRule {
  /** Used when unset or blank; `undefined` leaves the value undefined (the caller picks later). */
  fallback: number | undefined;
  min: number;
  max: number;
}

/**
 * A whole number in `[min, max]`, digits only (no `1e3`, no `0x10`, no sign).
 * @example
 * envWholeNumber({ fallback: 10, min: 1, max: 1000 }).parse("25") // 25
 */
export function envWholeNumber<const F extends number | undefined>(rule: WholeNumberRule & { fallback: F }) {
  const { fallback, min, max } = rule;
  return envVariable((value, reject): number | F => {
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      return reject(`expected a whole number from ${min} to ${max}, got ${excerpt(value)}`);
    }
    return Number(value);
  });
}

/**
 * The rule for `REDIS_PREFIX`, the same in every process: 1 to 64 of letters, digits, `_` and `-`, starting
 * with a letter or digit. No `:` (the separator keys are built with) and no braces (a `{` in the prefix would
 * become the cluster hash tag instead of the queue name, and a queue's keys would stop sharing a slot).
 */
export const PREFIX_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * @example
 * envPrefix("offload").parse("my_app") // "my_app"
 * envPrefix("offload").parse("a:b") // throws: use 1 to 64 letters, digits, _ or -, …
 */
export function envPrefix(fallback: string) {
  return envVariable((value, reject) => {
    if (value === undefined) return fallback;
    if (!PREFIX_PATTERN.test(value)) {
      return reject(`use 1 to 64 letters, digits, _ or - (starting with a letter or digit), got ${excerpt(value)}`);
    }
    return value;
  });
}
