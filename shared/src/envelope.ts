/**
 * The job envelope: what a worker knows about one run of a job. Built from the record fields the claim script
 * returns and validated here, so a record that was tampered with, truncated or written by another version is
 * caught in one place and dead-lettered with the reason, instead of crashing a worker.
 */
import { z } from "zod";

export const ENVELOPE_VERSION = 1;

/** Per-job overrides of the definition's defaults, chosen at enqueue time. */
export const JobOptionsSchema = z
  .object({
    backoffMs: z.number().int().positive().optional(),
    timeoutMs: z.number().int().positive().optional(),
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
  | { reason: "missing_record"; message: string }
  | { reason: "wrong_version"; message: string }
  | { reason: "malformed_json"; message: string }
  | { reason: "invalid_envelope"; message: string };

const ClaimedFieldsSchema = z.tuple([
  z.string(), // version
  z.string(), // name
  z.string(), // data (JSON)
  z.string(), // attempt
  z.string(), // maxAttempts
  z.string().nullable(), // options (JSON)
  z.string(), // createdAt
  z.string().nullable(), // stalls
]);

/** Parses the fields the claim script returns (`v n d a m o c k`) into an envelope or a reason it can't be. */
export function envelopeFromClaim(
  queue: string,
  localId: string,
  fields: readonly unknown[],
): { ok: true; envelope: JobEnvelope } | { ok: false; problem: EnvelopeProblem } {
  const shape = ClaimedFieldsSchema.safeParse(fields.map((value) => (value === undefined ? null : value)));
  if (!shape.success) {
    return { ok: false, problem: { reason: "invalid_envelope", message: "job record is missing required fields" } };
  }
  const [version, name, dataText, attempt, maxAttempts, optionsText, createdAt, stalls] = shape.data;
  if (version !== String(ENVELOPE_VERSION)) {
    return {
      ok: false,
      problem: { reason: "wrong_version", message: `envelope version ${version} is not ${ENVELOPE_VERSION}` },
    };
  }
  let data: unknown;
  let options: unknown = {};
  try {
    data = JSON.parse(dataText);
    if (optionsText) options = JSON.parse(optionsText);
  } catch (error) {
    return { ok: false, problem: { reason: "malformed_json", message: (error as Error).message } };
  }
  const parsed = JobEnvelopeSchema.safeParse({
    v: ENVELOPE_VERSION,
    id: `${queue}.${localId}`,
    localId,
    name,
    data,
    attempt: Number(attempt),
    maxAttempts: Number(maxAttempts),
    enqueuedAt: Number(createdAt),
    stalls: Number(stalls ?? 0),
    options,
  });
  if (!parsed.success) {
    return { ok: false, problem: { reason: "invalid_envelope", message: z.prettifyError(parsed.error) } };
  }
  return { ok: true, envelope: parsed.data };
}
