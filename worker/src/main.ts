/**
 * `npm run worker`: the worker process. Config from the environment (invalid: one line, exit 1), SIGTERM/SIGINT
 * for a graceful stop (exit 0), a second signal to hand running jobs back at once.
 */
import { pino, type Logger } from "pino";
import { assertRegistry, JOBS } from "../../shared/src/jobs/index";
import { assertSchedules } from "../../shared/src/schedules/validate";
import { ConfigError, parseWorkerEnv, type WorkerEnv } from "./config";
import { createHandlers } from "./handlers/index";
import { startHealthServer } from "./health";
import { createMetrics } from "./metrics";
import { superviseWorkers } from "./supervisor";
import { answerSupervisor } from "./supervisor-ipc";
import { createWorker } from "./worker";

function loadConfig(): { env: WorkerEnv; queues: string[]; handlers: ReturnType<typeof createHandlers>; log: Logger } {
  try {
    const env = parseWorkerEnv(process.env);
    assertRegistry(JOBS); // a key that is not its job's name would serve a queue no producer enqueues into
    assertSchedules(JOBS); // a bad cron, time zone or schedule data: one line naming job, schedule and path
    const queues = env.WORKER_QUEUES ? env.WORKER_QUEUES.split(",").map((q) => q.trim()).filter(Boolean) : Object.keys(JOBS);
    for (const queue of queues) {
      if (!Object.hasOwn(JOBS, queue)) throw new ConfigError(`invalid config: WORKER_QUEUES: unknown job "${queue}"`);
    }
    const log = pino({ level: env.LOG_LEVEL, base: { service: "offload-worker" } });
    return { env, queues, handlers: createHandlers(process.env, queues, log), log };
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

const { env, queues, handlers, log } = loadConfig();
// WORKER_PROCESSES > 1: this process only supervises that many copies of itself and never reaches the code below.
// With 1 (the default) the worker runs right here: no supervisor in between, so no extra process's memory and
// no hop for logs, signals and health checks when one core is all the machine has or needs.
if (env.WORKER_PROCESSES > 1) await superviseWorkers(env, log);
const metrics = createMetrics();
const worker = createWorker({
  redisUrl: env.REDIS_URL,
  cluster: env.REDIS_CLUSTER,
  prefix: env.REDIS_PREFIX,
  registry: JOBS,
  handlers,
  queues,
  concurrency: env.WORKER_CONCURRENCY,
  prefetch: env.WORKER_PREFETCH,
  leaseMs: env.WORKER_LEASE,
  shutdownGraceMs: env.WORKER_SHUTDOWN_GRACE,
  threads: env.WORKER_THREADS,
  threadFile: new URL("./thread.js", import.meta.url),
  observers: [metrics.observer],
  log,
});
metrics.attach(worker);

const health = env.HEALTH_PORT > 0
  ? await startHealthServer({ port: env.HEALTH_PORT, host: env.HEALTH_HOST, health: worker.health, metrics })
  : undefined;

let stopping = false;
function onSignal(signal: NodeJS.Signals): void {
  if (stopping) {
    log.warn({ signal }, "second signal: handing running jobs back and exiting now");
    worker.abortRunning();
    setTimeout(() => process.exit(1), 2_000).unref();
    return;
  }
  stopping = true;
  log.info({ signal }, "graceful shutdown");
  worker
    .stop()
    .then(() => {
      health?.close();
      process.exit(0);
    })
    .catch((error: unknown) => {
      log.error({ err: error }, "shutdown failed");
      process.exit(1);
    });
}
process.on("SIGTERM", onSignal);
process.on("SIGINT", onSignal);

const supervisor = answerSupervisor({ health: worker.health, registry: metrics.registry }); // only under supervisor.ts
await worker.start();
supervisor.ready();
