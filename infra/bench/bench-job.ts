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
}

export const PAYLOAD: BenchPayload = { userId: 123, email: "a@b.co" };

/** Same shape and size as PAYLOAD; the latency scenario numbers its jobs through userId. */
export const payloadFor = (userId: number): BenchPayload => ({ userId, email: PAYLOAD.email });

export const benchJob = defineJob({
  name: QUEUE,
  schema: z.object({ userId: z.number(), email: z.string() }),
});

export const BENCH_REGISTRY = { [QUEUE]: benchJob } as const;

export const SYSTEMS = ["offload", "bullmq", "beequeue"] as const;
export type SystemName = (typeof SYSTEMS)[number];

export const PREFIX: Record<SystemName, string> = { offload: DEFAULT_PREFIX, bullmq: "bull", beequeue: "bq" };

export const LABEL: Record<SystemName, string> = { offload: "Offload", bullmq: "BullMQ", beequeue: "bee-queue" };
