import { z } from "zod";
import { defineJob } from "../job-definition";

/** Signed webhook delivery (Standard Webhooks), retried with backoff; see worker/src/handlers/webhook.ts. */
export const webhookJob = defineJob({
  name: "webhook",
  description: "POSTs `body` as JSON to `url`, signed per Standard Webhooks, retrying 408/429/5xx and network errors.",
  schema: z.object({
    url: z.url({ protocol: /^https?$/ }).max(2048),
    body: z.json(),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/), z.string().max(1024)).optional(),
  }),
  maxAttempts: 8,
  backoff: { baseMs: 2_000, maxMs: 3_600_000 },
  timeoutMs: 15_000,
});
