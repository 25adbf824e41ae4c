/**
 * What each kind of key may see of a job. A stored error carries a stack trace (server file paths, line
 * numbers, library versions) and, for poison entries, an excerpt of the raw record: operators need both to
 * debug, producers must not get them. Producers see the error's `message` and `reason` only; admin keys (and
 * the dashboard, which signs in with one) see everything.
 */
import type { JobStatus, StoredError } from "../../shared/src/index";
import type { Role } from "./context";

/**
 * @example
 * producerError({ message: "timeout", stack: "Error: timeout\n    at /srv/worker/run.js:12" }) // { message: "timeout" }
 */
export function producerError(error: StoredError): StoredError {
  return error.reason === undefined ? { message: error.message } : { message: error.message, reason: error.reason };
}

/**
 * @example
 * c.json(statusFor(c.var.principal.role, status), 200);
 */
export function statusFor(role: Role, status: JobStatus): JobStatus {
  if (role === "admin" || status.error === null) return status;
  return { ...status, error: producerError(status.error) };
}
