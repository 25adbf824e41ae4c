/**
 * Scenario 5: the cost of an idle worker process: Redis commands per minute (client-sent from MONITOR, and all
 * including inside scripts from INFO commandstats) and the process's CPU time per minute. The three systems'
 * one-queue benchmark workers, and Offload's production worker process serving the 3 shipped job types (the
 * figure issue 9 sets a target for), run at the same time, each on a Redis of its own, so the window is paid
 * once per run, not four times; idle processes do not compete for the CPU in any way that matters here.
 */
import { LABEL, SYSTEMS } from "../bench-job";
import { RedisAdmin, sum } from "../redis-admin";
import { addSample, figure, type ScenarioResult } from "../results";
import { SHIPPED_QUEUES, startShippedWorker } from "../shipped-worker";
import { startWorkerProcess } from "../worker-process";
import type { ScenarioContext } from "./context";

const CONCURRENCY = 10;

interface IdleCost {
  clientPerMin: number;
  allPerMin: number;
  cpuMsPerMin: number;
  client: Record<string, number>;
  /** The queues the process says it serves (the production worker's start-up log line); [] for the others. */
  queuesSeen: string[];
}

/** What idleOnce needs of a worker process. */
interface IdleProcess {
  readonly queues?: string[] | undefined;
  cpuMs(): Promise<number> | number;
  stop(): Promise<void>;
}

/** Which worker runs idle: a system's benchmark worker (one queue), or Offload's production worker (3 queues). */
type IdleSubject = (typeof SYSTEMS)[number] | "offload-shipped";

function startIdle(subject: IdleSubject, redisUrl: string): Promise<IdleProcess> {
  if (subject === "offload-shipped") return startShippedWorker(redisUrl, { concurrency: CONCURRENCY });
  return startWorkerProcess({ system: subject, redisUrl, concurrency: CONCURRENCY, expected: 0, reportEachCall: false });
}

export async function idleOnce(ctx: ScenarioContext, subject: IdleSubject, admin: RedisAdmin): Promise<IdleCost> {
  const windowMs = ctx.config.idleWindowMs;
  await admin.flush();
  const tap = await admin.tap();
  const worker = await startIdle(subject, admin.url);
  try {
    await new Promise((resolve) => setTimeout(resolve, ctx.config.settleMs));
    await tap.start();
    await admin.resetStats();
    const cpuBefore = await worker.cpuMs();
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const cpuAfter = await worker.cpuMs();
    const counts = await tap.stop();
    const elapsed = performance.now() - started;
    const all = Object.values(await admin.commandStats()).reduce((a, b) => a + b, 0);
    const client = new Map<string, number>();
    for (const byName of counts.bySource.values()) for (const [name, n] of byName) client.set(name, (client.get(name) ?? 0) + n);
    const perMin = 60_000 / elapsed;
    return { clientPerMin: sum(client) * perMin, allPerMin: all * perMin, cpuMsPerMin: (cpuAfter - cpuBefore) * perMin, client: Object.fromEntries(client), queuesSeen: worker.queues ?? [] };
  } finally {
    tap.close();
    await worker.stop();
  }
}

export async function runIdle(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { config } = ctx;
  const seconds = config.idleWindowMs / 1_000;
  const scenario = "5. Idle cost";
  const windowNote = config.idleWindowMs === 60_000 ? "60 s window" : `${seconds} s window (quick mode; scaled to per minute)`;
  const client = figure("idle.client", scenario, `Redis commands/min sent by the idle worker (${windowNote})`, "commands/min", "lower");
  const all = figure("idle.all", scenario, "Redis commands/min incl. inside scripts", "commands/min", "lower");
  const cpu = figure("idle.cpu", scenario, "CPU of the idle worker process", "ms/min", "lower");
  const types = `${SHIPPED_QUEUES.length} shipped job types`;
  const shipped = {
    client: figure("idle.shipped.client", scenario, `production worker process, ${types}: Redis commands/min it sent`, "commands/min", "lower"),
    perQueue: figure("idle.shipped.perQueue", scenario, `production worker process, ${types}: commands/min it sent, per queue`, "commands/min", "lower"),
    all: figure("idle.shipped.all", scenario, `production worker process, ${types}: commands/min incl. inside scripts`, "commands/min", "lower"),
    cpu: figure("idle.shipped.cpu", scenario, `production worker process, ${types}: CPU`, "ms/min", "lower"),
  };
  const subjects: IdleSubject[] = [...SYSTEMS, "offload-shipped"];
  const admins = await Promise.all(subjects.map(async () => new RedisAdmin(await ctx.extraRedis())));
  const breakdown: Record<string, Record<string, number>> = {};
  try {
    for (let run = 0; run < config.idleRuns; run++) {
      const costs = await Promise.all(subjects.map((subject, i) => idleOnce(ctx, subject, admins[i]!)));
      costs.forEach((cost, i) => {
        const subject = subjects[i]!;
        breakdown[subject] = cost.client;
        if (subject === "offload-shipped") {
          addSample(shipped.client, "offload", cost.clientPerMin);
          addSample(shipped.perQueue, "offload", cost.clientPerMin / SHIPPED_QUEUES.length);
          addSample(shipped.all, "offload", cost.allPerMin);
          addSample(shipped.cpu, "offload", cost.cpuMsPerMin);
        } else {
          addSample(client, subject, cost.clientPerMin);
          addSample(all, subject, cost.allPerMin);
          addSample(cpu, subject, cost.cpuMsPerMin);
        }
        const name = subject === "offload-shipped" ? `Offload production worker (${types})` : LABEL[subject];
        ctx.log(
          `idle run ${run + 1}/${config.idleRuns} ${name}: ${cost.clientPerMin.toFixed(1)} client commands/min, ` +
            `${cost.allPerMin.toFixed(1)} incl. scripts, ${cost.cpuMsPerMin.toFixed(1)} CPU ms/min`,
        );
      });
    }
  } finally {
    await Promise.all(admins.map((a) => a.close()));
  }
  return {
    figures: [client, all, cpu, ...Object.values(shipped)],
    details: { idleClientCommandsOfLastRun: breakdown },
    notes: [
      `Idle cost: ${windowNote}, worker concurrency ${CONCURRENCY}, the three systems' one-queue benchmark workers and Offload's production worker side by side on four Redis servers; the window opens ${config.settleMs} ms after the worker reports ready.`,
      `Idle production worker: \`npm run worker\`'s bundle (worker/src/main.ts) with its defaults, serving ${SHIPPED_QUEUES.join(", ")} (digest in the thread pool); ready when it logs "worker started"; its CPU comes from /proc/<pid>/stat (10 ms ticks). "Per queue" is the process's figure divided by ${SHIPPED_QUEUES.length}.`,
    ],
  };
}
