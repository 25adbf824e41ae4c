/**
 * The CLI's exit codes and the one error type that carries them. Scripts branch on these, so they are part of
 * the CLI's interface (documented in the README and `offload --help`); a new failure kind gets a new code here,
 * never a reused one.
 */

export const EXIT = {
  /** Done. */
  ok: 0,
  /** Nothing to act on: unknown or expired job, nothing replayed, nothing purged. */
  nothingDone: 1,
  /** The command line is wrong: unknown command or flag, bad value, invalid JSON, payload fails its schema. */
  usage: 2,
  /** Redis could not be reached (refused, DNS, TLS, auth, timeout) or the connection dropped mid-command. */
  unreachable: 3,
  /** Anything else: an error reply from Redis, a bug. The message is printed; no stack unless OFFLOAD_DEBUG=1. */
  failed: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface CliIssue {
  path: string;
  message: string;
}

/**
 * A failure the user can act on: `message` is one line; `issues` (zod paths) follow it, one per line.
 * @example
 * throw new CliError(EXIT.usage, "unknown queue \"webhok\" (known: webhook, noop, digest)");
 */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    /** Stable, for `--json` consumers: usage, validation_failed, not_found, redis_unreachable, failed. */
    readonly code: string = exitCode === EXIT.usage ? "usage" : exitCode === EXIT.unreachable ? "redis_unreachable" : "failed",
    readonly issues: readonly CliIssue[] = [],
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(EXIT.usage, message, "usage");
