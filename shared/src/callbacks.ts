/**
 * Completion callbacks: the facts both sides share. A job enqueued with `callback=<url>` (or whose definition
 * has a default `callback`) has its status record POSTed to that URL, signed like the webhook job, when it ends
 * with an outcome in `callbackOn` (default both). How it travels (shared/PROTOCOL.md, "Completion callbacks"):
 * the settle script writes `{q}:callbacks` in the job's own slot, a worker moves each entry into the internal
 * `callback` queue under an id derived here, and the callback job delivers it with retries of its own.
 */
import { hashId } from "./event-ids";

/** The outcomes a callback can be sent for. */
export const CALLBACK_OUTCOMES = ["completed", "dead"] as const;
export type CallbackOutcome = (typeof CALLBACK_OUTCOMES)[number];

/** The built-in queue callback deliveries run in (shared/src/jobs/callback.ts). */
export const CALLBACK_JOB_NAME = "callback";

/**
 * The job options (`o`) a callback is stored as: `callback`, and `callbackOn` only when it names one outcome
 * (absent means both: the common case stores nothing more). Nothing when there is no URL.
 * @example
 * callbackOverrides("https://a.example/done", ["dead"]) // { callback: "https://a.example/done", callbackOn: ["dead"] }
 */
export function callbackOverrides(
  url: string | undefined,
  on: readonly CallbackOutcome[] | undefined,
): { callback?: string; callbackOn?: CallbackOutcome[] } {
  if (url === undefined) return {};
  if (!on || CALLBACK_OUTCOMES.every((outcome) => on.includes(outcome))) return { callback: url };
  return { callback: url, callbackOn: [...new Set(on)] };
}

/**
 * The local id of the callback job for one job and outcome: every worker that moves the same `{q}:callbacks`
 * entry (again, after a crash halfway, or two at once) enqueues this id, and enqueue's "existing id" path makes
 * every move after the first a no-op.
 * @example
 * await callbackLocalId("webhook.mfz3k2x9q1a8b7c6", "completed") // 16 chars [0-9a-z], the same everywhere
 */
export function callbackLocalId(jobId: string, outcome: CallbackOutcome): Promise<string> {
  return hashId(`callback\n${jobId}\n${outcome}`);
}

/**
 * The `webhook-id` a callback is signed with: stable per job and outcome (every retry and every re-delivery of
 * it carries the same one), and readable, so a receiver can de-duplicate and tell which job it is about.
 * @example
 * callbackWebhookId("webhook.mfz3k2x9q1a8b7c6", "dead") // "webhook.mfz3k2x9q1a8b7c6:dead"
 */
export function callbackWebhookId(jobId: string, outcome: CallbackOutcome): string {
  return `${jobId}:${outcome}`;
}
