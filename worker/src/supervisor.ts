/**
 * WORKER_PROCESSES > 1: one worker process saturates one core, so main.ts hands over to this supervisor, which
 * starts that many worker processes (the same main.js with WORKER_PROCESSES=1; each has its own worker id and
 * lease), restarts one that dies with the dev stack's backoff and crash-loop limit (shared/src/process/
 * restart.ts), and stops them all on one SIGTERM.
 *
 * - Stop: SIGTERM to every child; each drains within WORKER_SHUTDOWN_GRACE and hands the rest back, as a single
 *   worker does; the supervisor exits when all have (0 if all exited 0). A child still running after the grace
 *   plus STOP_MARGIN_MS is SIGKILLed, so the supervisor is gone before Fly's kill_timeout (30 s = 25 s + 5 s).
 *   A second signal is passed on to every child: they hand running jobs back at once and exit.
 * - A child that crashes MAX_CRASHES_AT_START times before it is ready: the supervisor stops the others and
 *   exits 1 with the reason; Fly's restart policy starts the machine again, with the cause in its logs.
 * - HEALTH_PORT is served here, not by the children (they run with HEALTH_PORT=0): `/healthz` is 200 when every
 *   child answers healthy, 503 naming the ones that do not; `/metrics` is prom-client's AggregatorRegistry over
 *   the children's metrics (counters summed, so dashboards and alerts read the machine as they read one
 *   process). See supervisor-ipc.ts for why IPC and not one port per child.
 * - Children are their own process groups: Ctrl-C in a terminal reaches the supervisor only, which stops them in
 *   order rather than each receiving the signal twice.
 */
import { createServer, type Server } from "node:http";
import type { Logger } from "pino";
import { AggregatorRegistry } from "prom-client";
import { signalGroup, spawnChild, type ChildExit, type ChildHandle } from "../../shared/src/process/children";
import { superviseWorker, type SupervisedWorker } from "../../shared/src/process/restart";
import { formatDuration } from "../../shared/src/env/index";
import type { WorkerEnv } from "./config";
import { ChildMessage, SUPERVISED_ENV, type SupervisorRequest } from "./supervisor-ipc";

/** Beyond WORKER_SHUTDOWN_GRACE: time for a child to hand jobs back and close, inside Fly's kill_timeout. */
export const STOP_MARGIN_MS = 4_000;
/** A child that does not answer a health or metrics request within this counts as unhealthy / is left out. */
const ANSWER_TIMEOUT_MS = 2_000;

/**
 * Runs the machine's worker processes until a signal stops them; never returns (exits the process).
 * @example
 * if (env.WORKER_PROCESSES > 1) await superviseWorkers(env, log);
 */
export async function superviseWorkers(env: WorkerEnv, log: Logger): Promise<never> {
  const count = env.WORKER_PROCESSES;
  const workers: SupervisedWorker[] = [];
  for (let index = 1; index <= count; index += 1) workers.push(startChild(index, env, log));
  log.info({ processes: count, pids: workers.map((w) => w.current().pid) }, "supervisor started");

  const health = env.HEALTH_PORT > 0 ? await serveHealth(workers, env) : undefined;
  let stopping = false;
  const finish = (code: number): never => {
    health?.close();
    process.exit(code);
  };

  const stopAll = async (signal: string): Promise<never> => {
    log.info({ signal, processes: count }, "graceful shutdown of every worker process");
    const exits = await Promise.all(workers.map((w) => w.stop(env.WORKER_SHUTDOWN_GRACE + STOP_MARGIN_MS)));
    const failed = exits.filter((exit): exit is ChildExit => exit !== undefined && exit.code !== 0);
    if (failed.length > 0) log.warn({ failed }, "some worker processes did not stop cleanly");
    log.info("every worker process has stopped");
    return finish(failed.length > 0 ? 1 : 0);
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, "second signal: passing it on (running jobs are handed back at once)");
      for (const worker of workers) signalGroup(worker.current().pid, "SIGTERM");
      return;
    }
    stopping = true;
    void stopAll(signal);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  for (const worker of workers) {
    void worker.gaveUp.then(async (giveUp) => {
      if (stopping) return;
      stopping = true;
      log.fatal({ reason: giveUp.reason }, "a worker process keeps crashing at start; stopping the others");
      await Promise.all(workers.map((w) => w.stop(env.WORKER_SHUTDOWN_GRACE + STOP_MARGIN_MS)));
      finish(1);
    });
  }
  return new Promise<never>(() => {}); // the process ends in finish()
}

function startChild(index: number, env: WorkerEnv, log: Logger): SupervisedWorker {
  const name = `worker process ${index}`;
  return superviseWorker({
    name,
    start: () =>
      spawnChild({
        name,
        command: process.execPath,
        // The same entry the supervisor was started with (dist/worker/main.js, or main.ts under tsx in tests).
        args: [...process.execArgv, process.argv[1]!],
        cwd: process.cwd(),
        env: { ...process.env, WORKER_PROCESSES: "1", HEALTH_PORT: "0", [SUPERVISED_ENV]: "1" },
        // Children's lines are already pino JSON (or a one-line config error): written to our stdout directly.
        inheritOutput: true,
        ipc: true,
      }),
    watchReady: (child, ready) =>
      child.onMessage((raw) => {
        if (ChildMessage.safeParse(raw).data?.type === "ready") ready();
      }),
    onExit: (child) => child.kill(), // whatever its group still holds
    say: (line) => log.warn({ process: index }, line),
    leaseText: `WORKER_LEASE=${formatDuration(env.WORKER_LEASE)}`,
  });
}

let nextRequestId = 1;

/** Asks one child over IPC; undefined if it has exited or does not answer in time. */
function ask(child: ChildHandle, type: SupervisorRequest["type"]): Promise<ChildMessage | undefined> {
  if (child.hasExited()) return Promise.resolve(undefined);
  const id = nextRequestId++;
  return new Promise((resolve) => {
    const done = (answer: ChildMessage | undefined) => {
      clearTimeout(timer);
      stop();
      resolve(answer);
    };
    const timer = setTimeout(() => done(undefined), ANSWER_TIMEOUT_MS);
    const stop = child.onMessage((raw) => {
      const message = ChildMessage.safeParse(raw).data;
      if (message && message.type === type && message.id === id) done(message);
    });
    if (!child.send({ type, id } satisfies SupervisorRequest)) done(undefined);
  });
}

function serveHealth(workers: SupervisedWorker[], env: WorkerEnv): Promise<Server> {
  const server = createServer(async (req, res) => {
    if (req.url === "/healthz") {
      const answers = await Promise.all(workers.map((w) => ask(w.current(), "health")));
      const processes = answers.map((answer, i) => {
        const pid = workers[i]!.current().pid;
        if (answer?.type !== "health") return { pid, status: "not_answering" };
        return answer.health.healthy ? { pid, status: "ok" } : { pid, status: "redis_unavailable", redis: answer.health.redis, cause: answer.health.cause };
      });
      const healthy = processes.every((p) => p.status === "ok");
      res.writeHead(healthy ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: healthy ? "ok" : "unhealthy", processes }));
    } else if (req.url === "/metrics") {
      const answers = await Promise.all(workers.map((w) => ask(w.current(), "metrics")));
      const metrics = answers.flatMap((answer) => (answer?.type === "metrics" ? [answer.metrics] : []));
      const registry = AggregatorRegistry.aggregate(metrics);
      res.writeHead(200, { "content-type": registry.contentType });
      res.end(await registry.metrics());
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(env.HEALTH_PORT, env.HEALTH_HOST, () => resolve(server));
  });
}
