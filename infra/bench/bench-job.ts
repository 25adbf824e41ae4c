/**
 * The one job every system runs: the payload and a no-op handler. Each system keeps its default key
 * prefix (key length is part of what a job costs in Redis memory); the prefixes differ, so no system ever sees
 * another's keys, and each measurement starts from FLUSHALL anyway.
 */
import { z } from "zod";
import { defineJob } from "../../shared/src/job-definition";
import { DEFAULT_PREFIX } from "../../shared/src/keys";

export const QUEUE = "bench";

export interface BenchPayload {
  userId: number;
  email: string;
  /** Filler that brings the payload to a size (the 2 KB and 20 KB runs); absent in the default payload. */
  pad?: string;
}

export const PAYLOAD: BenchPayload = { userId: 123, email: "a@b.co" };

/** Same shape and size as PAYLOAD; the latency scenario numbers its jobs through userId. */
export const payloadFor = (userId: number): BenchPayload => ({ userId, email: PAYLOAD.email });

/**
 * The default payload padded to exactly `bytes` of JSON (real jobs carry more than 31 bytes). The filler is one
 * repeated character: no system compresses, so its content does not change what it costs.
 * @example
 * JSON.stringify(payloadOfSize(2_048)).length // 2048
 */
export function payloadOfSize(bytes: number): BenchPayload {
  const base = JSON.stringify({ ...PAYLOAD, pad: "" }).length;
  if (bytes < base) throw new Error(`payloadOfSize: ${bytes} B is smaller than the ${base} B an empty pad takes`);
  return { ...PAYLOAD, pad: "x".repeat(bytes - base) };
}

export const benchJob = defineJob({
  name: QUEUE,
  schema: z.object({ userId: z.number(), email: z.string(), pad: z.string().optional() }),
});

export const BENCH_REGISTRY = { [QUEUE]: benchJob } as const;

export const SYSTEMS = ["offload", "bullmq", "beequeue"] as const;
export type SystemName = (typeof SYSTEMS)[number];

export const PREFIX: Record<SystemName, string> = { offload: DEFAULT_PREFIX, bullmq: "bull", beequeue: "bq" };

export const LABEL: Record<SystemName, string> = { offload: "Offload", bullmq: "BullMQ", beequeue: "bee-queue" };
