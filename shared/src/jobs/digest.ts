import { z } from "zod";
import { defineJob } from "../job-definition";

/**
 * Real CPU work: `rounds` iterations of SHA-256 over `text`. It runs in the worker thread pool, which is the
 * point of shipping it: a handler like this on the main thread would freeze heartbeats and every other job.
 */
export const digestJob = defineJob({
  name: "digest",
  description: "Computes `rounds` iterations of SHA-256 over `text` in the worker thread pool.",
  schema: z.object({
    text: z.string().max(65_536),
    rounds: z.number().int().min(1).max(5_000_000).default(100_000),
  }),
  runIn: "thread",
  timeoutMs: 60_000,
});
