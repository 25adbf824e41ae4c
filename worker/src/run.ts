/**
 * Runs one claimed job to a RunOutcome. Never throws: whatever the handler does (throws, hangs past its
 * timeout, returns garbage) becomes one of the outcomes in outcome.ts.
 */
import type { Logger } from "pino";
import type { JobEnvelope } from "../../shared/src/envelope";
import type { JobDefinition } from "../../shared/src/job-definition";
import { issuesFrom } from "../../shared/src/errors";
import type { JobContext } from "./handler";
import { RetryAfterError, UnrecoverableError } from "./job-errors";
import type { HardStop } from "./hard-stop";
import type { RunOutcome } from "./outcome";

export type AnyHandler = (data: any, ctx: JobContext) => unknown;

/** Why a run's signal was aborted: the difference between a failed attempt and a job handed back. */
export class JobTimeoutError extends Error {
  override readonly name = "JobTimeoutError";
}
export class ShutdownAbort extends Error {
  override readonly name = "ShutdownAbort";
}

export interface RunJobInput {
  envelope: JobEnvelope;
  definition: JobDefinition;
  handler: AnyHandler;
  /** Aborted when the process must stop now; the job is then handed back, not failed. */
  shutdown: HardStop;
  progress(percent: number): Promise<void>;
  /** Built on first use: most handlers never log, and a child logger per job is measurable at 10k jobs/s. */
  log: () => Logger;
}

export async function runJob(input: RunJobInput): Promise<RunOutcome> {
  const { envelope, definition, handler } = input;
  // The payload is validated again here: the record may have been written by an older edge or by hand.
  let parsed: ReturnType<typeof definition.schema.safeParse>;
  try {
    parsed = definition.schema.safeParse(envelope.data);
  } catch (error) {
    // A payload nested deep enough overflows a recursive schema's stack: that is bad input, not a worker crash.
    return { kind: "unrecoverable", reason: "invalid_payload", error: new Error(`payload could not be validated: ${(error as Error).message}`) };
  }
  if (!parsed.success) {
    const detail = issuesFrom(parsed.error.issues)
      .map((issue) => `${issue.path || "(root)"}: ${issue.message}`)
      .join("; ");
    return { kind: "unrecoverable", reason: "invalid_payload", error: new Error(`payload failed its schema: ${detail}`) };
  }

  // The AbortSignal is made only if the handler asks for it: most quick handlers never do, and an
  // AbortController per job is measurable at 10k jobs/s. Aborting still ends the run either way.
  let controller: AbortController | undefined;
  let abortReason: Error | undefined;
  let rejectAborted!: (reason: Error) => void;
  const aborted = new Promise<never>((_, reject) => (rejectAborted = reject));
  aborted.catch(() => {});
  const abort = (reason: Error) => {
    if (abortReason) return;
    abortReason = reason;
    controller?.abort(reason);
    rejectAborted(reason);
  };
  const timeoutMs = envelope.options.timeoutMs ?? definition.timeoutMs;
  const timer = setTimeout(() => abort(new JobTimeoutError(`job timed out after ${timeoutMs} ms`)), timeoutMs);
  const unsubscribe = input.shutdown.onAbort(() => abort(new ShutdownAbort("worker shutting down")));

  let log: Logger | undefined;
  const ctx: JobContext = {
    jobId: envelope.id,
    attempt: envelope.attempt,
    maxAttempts: envelope.maxAttempts,
    get signal() {
      if (!controller) {
        controller = new AbortController();
        if (abortReason) controller.abort(abortReason);
      }
      return controller.signal;
    },
    progress: input.progress,
    get log() {
      return (log ??= input.log());
    },
  };

  // A handler that ignores its signal cannot hold the slot past its timeout: the abort wins the race and the
  // attempt counts as failed, while the orphaned promise is left to settle on its own.
  try {
    const result = await Promise.race([Promise.resolve().then(() => handler(parsed.data, ctx)), aborted]);
    return { kind: "completed", result };
  } catch (thrown) {
    const reason = abortReason ?? thrown;
    if (reason instanceof ShutdownAbort) return { kind: "handBack" };
    const error = reason instanceof Error ? reason : new Error(String(reason));
    if (error instanceof UnrecoverableError) return { kind: "unrecoverable", error, reason: "unrecoverable" };
    if (error instanceof RetryAfterError) return { kind: "failed", error, retryAfterMs: error.retryAfterMs };
    return { kind: "failed", error };
  } finally {
    clearTimeout(timer);
    unsubscribe();
  }
}
