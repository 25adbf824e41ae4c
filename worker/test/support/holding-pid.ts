/**
 * Which worker process holds a job: the pid in the worker id (`<host>-<pid>-<random>`) of the in-flight list
 * that has its local id. For tests that SIGKILL exactly the process running a slow job (the dev stack's
 * restart test, the WORKER_PROCESSES supervisor test).
 */
import type { Redis } from "ioredis";
import { queueKeys } from "../../../shared/src/keys";

/** Pid of the worker process whose in-flight list holds `localId`; undefined if none does. */
export async function pidHolding(redis: Redis, queue: string, localId: string, prefix?: string): Promise<number | undefined> {
  const keys = queueKeys(queue, prefix);
  const [, found] = await redis.scan("0", "MATCH", `${keys.activePrefix}*`, "COUNT", 1000);
  for (const key of found) {
    if ((await redis.lrange(key, 0, -1)).includes(localId)) return pidOfWorkerId(key.slice(keys.activePrefix.length));
  }
  return undefined;
}

/** The pid inside a worker id. */
export const pidOfWorkerId = (workerId: string | undefined): number => Number(workerId?.split("-").at(-2));
