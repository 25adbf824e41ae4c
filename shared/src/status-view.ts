/**
 * What a producer may see of a job. A stored error carries a stack trace (server file paths, line numbers,
 * library versions) and, for poison entries, an excerpt of the raw record: operators need both to debug,
 * producers must not get them. Shared by the edge (`GET /v1/jobs/{id}` with a producer key) and the completion
 * callbacks, whose receivers are producers too.
 */
import type { JobStatus, StoredError } from "./record";

/**
 * @example
 * producerError({ message: "timeout", stack: "Error: timeout\n    at /srv/worker/run.js:12" }) // { message: "timeout" }
 */
export function producerError(error: StoredError): StoredError {
  return error.reason === undefined ? { message: error.message } : { message: error.message, reason: error.reason };
}

/**
 * @example
 * producerStatus(status) // the same status, its error cut to message and reason
 */
export function producerStatus(status: JobStatus): JobStatus {
  return status.error === null ? status : { ...status, error: producerError(status.error) };
}
