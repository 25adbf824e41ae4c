/**
 * The job envelope: what a worker knows about one run of a job. Built from the record fields the claim script
 * returns and validated here, so a record that was tampered with, truncated or written by another version is
 * caught in one place and dead-lettered with the reason, instead of crashing a worker.
 */
import { z } from "zod";
import { CALLBACK_OUTCOMES } from "./callbacks";

export const ENVELOPE_VERSION = 1;

/** Per-job overrides of the definition's defaults, chosen at enqueue time. */
export const JobOptionsSchema = z
  .object({
    backoffMs: z.number().int().positive().optional(),
    timeoutMs: z.number().int().positive().optional(),
    /** Completion callback URL (shared/src/callbacks.ts); read by the settle scripts, not by handlers. */
    callback: z.string().optional(),
    /** The outcomes the callback is sent for; absent = both. */
    callbackOn: z.array(z.enum(CALLBACK_OUTCOMES)).optional(),
  })
  .strict();
export type JobOptions = z.infer<typeof JobOptionsSchema>;

export const JobEnvelopeSchema = z.object({
  v: z.literal(ENVELOPE_VERSION),
  id: z.string(),
  localId: z.string(),
  name: z.string(),
  data: z.unknown(),
  attempt: z.number().int().min(1),
  maxAttempts: z.number().int().min(1),
  enqueuedAt: z.number().int(),
  stalls: z.number().int().min(0),
  options: JobOptionsSchema,
});
export type JobEnvelope = z.infer<typeof JobEnvelopeSchema>;

/** Why an envelope could not be read; becomes the dead-letter reason. */
export type EnvelopeProblem =
  | { reason: "wrong_version"; message: string }
  | { reason: "malformed_json"; message: string }
  | { reason: "invalid_envelope"; message: string };

const isIntegerText = (value: unknown): value is string => typeof value === "string" && /^-?\d{1,16}$/.test(value);

/**
 * Parses the fields the claim script returns (`v n d a m o c k`) into an envelope or a reason it can't be.
 * Checked by hand rather than with JobEnvelopeSchema: this runs once per job on the worker's hot path, and the
 * fields are a fixed list of strings (the payload itself is validated by its job's zod schema in run.ts).
 */
export function envelopeFromClaim(
  queue: string,
  localId: string,
  fields: readonly unknown[],
): { ok: true; envelope: JobEnvelope } | { ok: false; problem: EnvelopeProblem } {
  const [version, storedName, dataText, attempt, maxAttempts, optionsText, createdAt, stalls] = fields;
  // The record stores a name only when it differs from the queue's.
  const name = storedName ?? queue;
  if (typeof version === "string" && version !== String(ENVELOPE_VERSION)) {
    return {
      ok: false,
      problem: { reason: "wrong_version", message: `envelope version ${version} is not ${ENVELOPE_VERSION}` },
    };
  }
  if (
    typeof version !== "string" ||
    typeof name !== "string" ||
    typeof dataText !== "string" ||
    !isIntegerText(attempt) ||
    !isIntegerText(maxAttempts) ||
    !isIntegerText(createdAt) ||
    (stalls != null && !isIntegerText(stalls)) ||
    (optionsText != null && typeof optionsText !== "string")
  ) {
    return { ok: false, problem: { reason: "invalid_envelope", message: "job record is missing or has malformed fields" } };
  }
  let data: unknown;
  let options: unknown = {};
  try {
    data = JSON.parse(dataText);
    if (optionsText) options = JSON.parse(optionsText);
  } catch (error) {
    return { ok: false, problem: { reason: "malformed_json", message: (error as Error).message } };
  }
  const parsedOptions = optionsText ? JobOptionsSchema.safeParse(options) : { success: true as const, data: {} };
  if (!parsedOptions.success) {
    return { ok: false, problem: { reason: "invalid_envelope", message: z.prettifyError(parsedOptions.error) } };
  }
  const envelope: JobEnvelope = {
    v: ENVELOPE_VERSION,
    id: `${queue}.${localId}`,
    localId,
    name,
    data,
    attempt: Number(attempt),
    maxAttempts: Number(maxAttempts),
    enqueuedAt: Number(createdAt),
    stalls: stalls == null ? 0 : Number(stalls),
    options: parsedOptions.data,
  };
  if (envelope.attempt < 1 || envelope.maxAttempts < 1 || envelope.stalls < 0) {
    return { ok: false, problem: { reason: "invalid_envelope", message: "attempt, maxAttempts or stalls out of range" } };
  }
  return { ok: true, envelope };
}
