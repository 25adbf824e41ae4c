/** The 202 body for an accepted job, shared by the single and batch enqueue routes. */
import type { Context } from "hono";
import type { EnqueueResult } from "../../../shared/src/index";

export interface Accepted {
  id: string;
  name: string;
  state: EnqueueResult["state"];
  statusUrl: string;
}

/**
 * Path of a job's status resource; also the `Location` of a 202.
 * @example
 * statusPath("webhook.mfz3k2x9q1a8b7c6") // "/v1/jobs/webhook.mfz3k2x9q1a8b7c6"
 */
export const statusPath = (id: string) => `/v1/jobs/${id}`;

/**
 * @example
 * c.json(accepted(c, "webhook", result), 202) // { id, name, state, statusUrl: "https://…/v1/jobs/webhook.…" }
 */
export function accepted(c: Context, name: string, result: EnqueueResult): Accepted {
  return { id: result.id, name, state: result.state, statusUrl: new URL(statusPath(result.id), c.req.url).href };
}
