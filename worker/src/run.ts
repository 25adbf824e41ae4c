/**
 * Runs one claimed job to a RunOutcome. Never throws: whatever the handler does (throws, hangs past its
 * timeout, returns garbage) becomes one of the outcomes in outcome.ts.
 *
 * Cost per run matters here (10k+ jobs/s on one thread): a handler that returns synchronously gets no timer, no
 * shutdown subscription, no race and no promise at all; only an async one pays for what can interrupt it.
 */
import type { Logger } from "pino";
import type { JobEnvelope } from "../../shared/src/envelope";
import type { JobDefinition } from "../../shared/src/job-definition";
import { issuesFrom } from "../../shared/src/errors";
import type { JobContext } from "./handler";
import { RateLimitedError, RetryAfterError, UnrecoverableError } from "./job-errors";
import type { Deadlines } from "./deadlines";
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
  /**
   * Where progress writes and the job's logger come from. An object shared by every run of the queue rather
   * than two closures per job: most handlers never log or report progress, and each closure is paid per job.
   */
  host: RunHost;
  /** The queue's one timer for run timeouts (deadlines.ts); without it, a timer per run. */
  deadlines?: Deadlines;
}

export interface RunHost {
  progress(envelope: JobEnvelope, percent: number): Promise<void>;
  /** Called on the handler's first use of ctx.log. */
  logger(envelope: JobEnvelope): Logger;
}

/**
 * Runs the handler; the outcome is returned as is when the handler returned synchronously (the fast path: no
 * promise, timer or subscription for a run nothing could interrupt anyway), else as a promise.
 */
export function runJob(input: RunJobInput): RunOutcome | Promise<RunOutcome> {
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

  const run = new RunContext(envelope, input.host);
  let result: unknown;
  try {
    result = handler(parsed.data, run);
  } catch (thrown) {
    return failureOutcome(thrown);
  }
  if (!isThenable(result)) return { kind: "completed", result };

  // A handler that ignores its signal cannot hold the slot past its timeout: the abort wins the race and the
  // attempt counts as failed, while the orphaned promise is left to settle on its own.
  const timeoutMs = envelope.options.timeoutMs ?? definition.timeoutMs;
  const onTimeout = () => run.abort(new JobTimeoutError(`job timed out after ${timeoutMs} ms`));
  const cancelTimeout = input.deadlines ? input.deadlines.schedule(timeoutMs, onTimeout) : timerFor(timeoutMs, onTimeout);
  const unsubscribe = input.shutdown.onAbort(() => run.abort(new ShutdownAbort("worker shutting down")));
  return Promise.race([result, run.aborted()]).then(
    (value): RunOutcome => {
      cancelTimeout();
      unsubscribe();
      return { kind: "completed", result: value };
    },
    (thrown: unknown): RunOutcome => {
      cancelTimeout();
      unsubscribe();
      return failureOutcome(run.reason ?? thrown);
    },
  );
}

/** What a throw (or an abort's reason) means: hand back at shutdown, dead if unrecoverable, else a failed attempt. */
function failureOutcome(reason: unknown): RunOutcome {
  if (reason instanceof ShutdownAbort) return { kind: "handBack" };
  const error = reason instanceof Error ? reason : new Error(String(reason));
  if (error instanceof UnrecoverableError) return { kind: "unrecoverable", error, reason: "unrecoverable" };
  if (error instanceof RetryAfterError) return { kind: "failed", error, retryAfterMs: error.retryAfterMs };
  if (error instanceof RateLimitedError) return { kind: "throttled", retryAfterMs: error.retryAfterMs, error };
  return { kind: "failed", error };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") && typeof (value as { then?: unknown }).then === "function";
}

function timerFor(ms: number, fire: () => void): () => void {
  const timer = setTimeout(fire, ms);
  return () => clearTimeout(timer);
}

/**
 * The handler's `ctx`, and the abort state of its run. A class, so the getters live once on the prototype
 * instead of as two new functions per job; each part is built only when used: the AbortController when the
 * handler reads its signal, the promise to race when the handler is async, the logger on first `ctx.log`.
 * Destructuring (`const { signal, progress } = ctx`) still works: getters run against ctx, `progress` is bound.
 */
class RunContext implements JobContext {
  readonly jobId: string;
  readonly attempt: number;
  readonly maxAttempts: number;
  reason: Error | undefined;
  private controller: AbortController | undefined;
  private rejectAborted: ((reason: Error) => void) | undefined;
  private logger: Logger | undefined;
  private progressFn: ((percent: number) => Promise<void>) | undefined;

  constructor(
    private readonly envelope: JobEnvelope,
    private readonly host: RunHost,
  ) {
    this.jobId = envelope.id;
    this.attempt = envelope.attempt;
    this.maxAttempts = envelope.maxAttempts;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  get progress(): (percent: number) => Promise<void> {
    return (this.progressFn ??= (percent) => this.host.progress(this.envelope, percent));
  }

  get log(): Logger {
    return (this.logger ??= this.host.logger(this.envelope));
  }

  aborted(): Promise<never> {
    const aborted = new Promise<never>((_, reject) => (this.rejectAborted = reject));
    aborted.catch(() => {});
    return aborted;
  }

  abort(reason: Error): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller?.abort(reason);
    this.rejectAborted?.(reason);
  }
}
