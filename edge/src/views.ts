/**
 * What each kind of key may see of a job: producers see a failed attempt's `message` and `reason` only
 * (shared/src/status-view.ts says why); admin keys (and the dashboard, which signs in with one) see everything.
 */
import type { JobStatus } from "../../shared/src/index";
import { producerStatus } from "../../shared/src/status-view";
import type { Role } from "./context";

export { producerError } from "../../shared/src/status-view";

/**
 * @example
 * c.json(statusFor(c.var.principal.role, status), 200);
 */
export function statusFor(role: Role, status: JobStatus): JobStatus {
  return role === "admin" ? status : producerStatus(status);
}
