import { z } from "zod";
import { defineJob } from "../job-definition";

/** Does nothing and returns what it was given: smoke tests, benchmarks and "is the pipeline alive?" checks. */
export const noopJob = defineJob({
  name: "noop",
  description: "Does nothing; completes with { ok: true }. For smoke tests and benchmarks.",
  schema: z.record(z.string(), z.unknown()),
  maxAttempts: 3,
  timeoutMs: 10_000,
});
