/**
 * Resolves what a path names — a job id or a queue name — to its queue's keys, or the 404 the error table says.
 * A malformed id, or one whose queue the registry does not know, is simply not a job (never a 400: ids are
 * opaque to clients). Shared by the producer and admin routes.
 */
import { findJob, jobNotFound, parseJobId, queueKeys, unknownJob, type QueueKeys, type Registry } from "../../shared/src/index";

/**
 * @example
 * const { keys, localId } = locateJob(JOBS, "webhook.mfz3k2x9q1a8b7c6", "offload");
 */
export function locateJob(jobs: Registry, id: string, prefix: string): { keys: QueueKeys; localId: string } {
  const parsed = parseJobId(id);
  if (!parsed || !findJob(jobs, parsed.queue)) throw jobNotFound(id);
  return { keys: queueKeys(parsed.queue, prefix), localId: parsed.localId };
}

/**
 * @example
 * const keys = locateQueue(JOBS, "webhook", "offload"); // 404 unknown_job for a name the registry lacks
 */
export function locateQueue(jobs: Registry, name: string, prefix: string): QueueKeys {
  if (!findJob(jobs, name)) throw unknownJob(name);
  return queueKeys(name, prefix);
}
