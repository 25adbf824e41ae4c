import { z } from "zod";
import { defineJob } from "../job-definition";

/**
 * Headers a payload may not set, and why. Signing headers and Content-Type are Offload's (a receiver verifies the
 * signature over exactly the JSON body we send); the rest frame the HTTP request, and a wrong value would break
 * it or smuggle a second one.
 */
const RESERVED_HEADERS: Readonly<Record<string, string>> = {
  "webhook-id": "is set by Offload when it signs the delivery",
  "webhook-signature": "is set by Offload when it signs the delivery",
  "webhook-timestamp": "is set by Offload when it signs the delivery",
  "content-type": "is always application/json",
  "content-length": "is computed from the body",
  "transfer-encoding": "is chosen by the HTTP client",
  host: "comes from the URL",
  connection: "is managed by the HTTP client",
  "keep-alive": "is managed by the HTTP client",
  upgrade: "is managed by the HTTP client",
  te: "is managed by the HTTP client",
  trailer: "is managed by the HTTP client",
  expect: "would make the client wait for a 100 Continue that many receivers never send",
};

const MAX_HEADERS = 20;

const headers = z
  .record(
    z.string().regex(/^[A-Za-z0-9-]{1,64}$/, "header names are 1–64 letters, digits and dashes"),
    // Node's own rule for header values: no control characters other than tab, so no CR/LF header injection.
    z.string().max(1024).regex(/^[\t\x20-\x7e\x80-\xff]*$/, "header values may not contain control characters"),
  )
  .superRefine((record, ctx) => {
    const names = Object.keys(record);
    if (names.length > MAX_HEADERS) {
      ctx.addIssue({ code: "custom", message: `at most ${MAX_HEADERS} headers` });
    }
    const seen = new Set<string>();
    for (const name of names) {
      const lower = name.toLowerCase();
      const reason = RESERVED_HEADERS[lower];
      if (reason) ctx.addIssue({ code: "custom", path: [name], message: `header "${name}" ${reason}; remove it` });
      if (seen.has(lower)) ctx.addIssue({ code: "custom", path: [name], message: `header "${name}" is given twice` });
      seen.add(lower);
    }
  });

/**
 * Signed webhook delivery (Standard Webhooks), retried with backoff; see worker/src/handlers/webhook.ts. The URL's
 * SSRF policy is not part of the schema because it depends on deployment config: the edge applies
 * `checkWebhookUrl` (shared/src/ssrf.ts) before enqueueing, the worker again against resolved addresses.
 * @example
 * { url: "https://hooks.example.com/orders", body: { id: "ord_1" }, headers: { authorization: "Bearer t0k3n" } }
 */
export const webhookJob = defineJob({
  name: "webhook",
  description: "POSTs `body` as JSON to `url`, signed per Standard Webhooks, retrying 408/429/5xx and network errors.",
  schema: z.object({
    url: z.url({ protocol: /^https?$/ }).max(2048),
    body: z.json(),
    headers: headers.optional(),
  }),
  maxAttempts: 8,
  backoff: { baseMs: 2_000, maxMs: 3_600_000 },
  timeoutMs: 15_000,
  // One group per destination host: deliveries to hosts are started round robin, and a receiver's 429 pauses
  // only the deliveries to that host (PROTOCOL.md "Groups"). A request's `group=` option wins.
  group: (data) => destinationHost(data.url),
});

/** The group of a delivery: the URL's host (with its port), lower-case; undefined for a URL that does not parse. */
export function destinationHost(url: string): string | undefined {
  try {
    return new URL(url).host.toLowerCase() || undefined;
  } catch {
    return undefined;
  }
}
