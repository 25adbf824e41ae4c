/**
 * Scenario 5: the cost of an idle worker process: Redis commands per minute (client-sent from MONITOR, and all
 * including inside scripts from INFO commandstats) and the process's CPU time per minute. The three systems'
 * one-queue benchmark workers, and Offload's production worker process serving the shipped job types (the
 * figure issue 9 sets a target for), run at the same time, each on a Redis of its own.
 *
 * Why one long window in the background: Offload's idle schedule is one tick per queue every 120 s and one BLMOVE
 * every 300 s (shared/PROTOCOL.md, "The idle lease"), so a 60 s window mostly reads 0 and says nothing. The full
 * run's window is 600 s (5 heartbeats and 2 BLMOVE timeouts per queue), opened 30 s after the worker is ready so
 * no periodic command falls on its edge. Ten minutes of waiting would make `npm run bench` ten minutes longer, so
 * run.ts starts this scenario first (`startIdleInBackground`), runs the others meanwhile and collects the idle
 * figures at the end, waiting only for whatever is left of the window. Idle processes send a few commands to their
 * own Redis and barely use the CPU, so they do not disturb the other scenarios; their own figures are counts, which
 * the other scenarios' load does not change (their CPU per minute may read a little higher on a loaded machine).
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
  /** Client-sent commands over the window, by name (not per minute). */
  client: Record<string, number>;
  windowS: number;
  /** The queues the process says it serves (the production worker's start-up log line); [] for the others. */
  queuesSeen: string[];
}

/** What an idle window needs of a worker process. */
interface IdleProcess {
  readonly queues?: string[] | undefined;
  cpuMs(): Promise<number> | number;
  stop(): Promise<void>;
}

/** Which worker runs idle: a system's benchmark worker (one queue), or Offload's production worker (shipped queues). */
type IdleSubject = (typeof SYSTEMS)[number] | "offload-shipped";

/** An idle window: the worker runs, and MONITOR counts from the settle time on until close(). */
interface OpenIdleWindow {
  /** Waits for what is left of the window, reads the figures and stops the worker. */
  close(): Promise<IdleCost>;
  /** Stops the worker without figures (the run failed elsewhere). */
  abandon(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function startIdle(subject: IdleSubject, redisUrl: string): Promise<IdleProcess> {
  if (subject === "offload-shipped") return startShippedWorker(redisUrl, { concurrency: CONCURRENCY });
  return startWorkerProcess({ system: subject, redisUrl, concurrency: CONCURRENCY, expected: 0, reportEachCall: false });
}

export async function openIdleWindow(ctx: ScenarioContext, subject: IdleSubject, admin: RedisAdmin): Promise<OpenIdleWindow> {
  const windowMs = ctx.config.idleWindowMs;
  await admin.flush();
  const tap = await admin.tap();
  const worker = await startIdle(subject, admin.url);
  const abandon = async () => {
    tap.close();
    await worker.stop();
  };
  // The window opens after the settle time without holding up the caller: in a full run the other scenarios
  // start as soon as the idle workers are ready (their start-up CPU is over), not 30 s later.
  const opened = (async () => {
    await sleep(ctx.config.idleSettleMs);
    await tap.start();
    await admin.resetStats();
    return { cpuBefore: await worker.cpuMs(), started: performance.now() };
  })();
  opened.catch(() => {}); // reported by close()
  return {
    abandon,
    async close() {
      try {
        const { cpuBefore, started } = await opened;
        await sleep(started + windowMs - performance.now());
        const cpuAfter = await worker.cpuMs();
        const counts = await tap.stop();
        const elapsed = performance.now() - started;
        const all = Object.values(await admin.commandStats()).reduce((a, b) => a + b, 0);
        const client = new Map<string, number>();
        for (const byName of counts.bySource.values()) for (const [name, n] of byName) client.set(name, (client.get(name) ?? 0) + n);
        const perMin = 60_000 / elapsed;
        return {
          clientPerMin: sum(client) * perMin,
          allPerMin: all * perMin,
          cpuMsPerMin: (cpuAfter - cpuBefore) * perMin,
          client: Object.fromEntries(client),
          windowS: elapsed / 1_000,
          queuesSeen: worker.queues ?? [],
        };
      } finally {
        await abandon();
      }
    },
  };
}

/** One idle window, waited for in the foreground (the smoke test). */
export async function idleOnce(ctx: ScenarioContext, subject: IdleSubject, admin: RedisAdmin): Promise<IdleCost> {
  return (await openIdleWindow(ctx, subject, admin)).close();
}

/** The idle scenario once started: finish() waits for the rest of the window and returns the figures. */
export interface BackgroundScenario {
  finish(): Promise<ScenarioResult>;
  abandon(): Promise<void>;
}

function windowLabel(windowMs: number): string {
  const minutes = windowMs / 60_000;
  const length = Number.isInteger(minutes) ? `${minutes} min` : `${windowMs / 1_000} s`;
  return `one ${length} window, scaled to per minute`;
}

/** Starts every idle subject on its own Redis; returns once they are ready (their windows open a settle time later). */
export async function startIdleInBackground(ctx: ScenarioContext): Promise<BackgroundScenario> {
  const { config } = ctx;
  const subjects: IdleSubject[] = [...SYSTEMS, "offload-shipped"];
  const admins = await Promise.all(subjects.map(async () => new RedisAdmin(await ctx.extraRedis())));
  const opened = await Promise.allSettled(subjects.map((subject, i) => openIdleWindow(ctx, subject, admins[i]!)));
  const windows = opened.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
  const closeAdmins = () => Promise.all(admins.map((a) => a.close()));
  const failed = opened.find((o) => o.status === "rejected");
  if (failed) {
    await Promise.all(windows.map((w) => w.abandon()));
    await closeAdmins();
    throw failed.reason;
  }
  const openedAt = performance.now() + config.idleSettleMs;
  ctx.log(`idle: ${subjects.length} idle workers started; a window of ${config.idleWindowMs / 1_000} s opens in ${config.idleSettleMs / 1_000} s; figures collected at the end`);
  return {
    async abandon() {
      await Promise.all(windows.map((w) => w.abandon()));
      await closeAdmins();
    },
    async finish() {
      try {
        const leftS = Math.max(0, openedAt + config.idleWindowMs - performance.now()) / 1_000;
        ctx.log(`idle: collecting the figures${leftS > 0 ? `, ${leftS.toFixed(0)} s of the window left to wait` : ""}`);
        const costs = await Promise.all(windows.map((w) => w.close()));
        return idleResult(ctx, subjects, costs);
      } finally {
        await closeAdmins();
      }
    },
  };
}

function idleResult(ctx: ScenarioContext, subjects: IdleSubject[], costs: IdleCost[]): ScenarioResult {
  const { config } = ctx;
  const scenario = "5. Idle cost";
  // The window closes when the run's other scenarios are done, after at least idleWindowMs: the label gives the
  // length it had (a full run's window is the whole run, which holds the idle schedule many times over).
  const measuredMs = Math.round(Math.min(...costs.map((cost) => cost.windowS))) * 1_000;
  const windowNote = windowLabel(Math.max(measuredMs, config.idleWindowMs)) + (config.mode === "quick" ? ", quick mode" : "");
  const client = figure("idle.client", scenario, `Redis commands/min sent by the idle worker (${windowNote})`, "commands/min", "lower");
  const all = figure("idle.all", scenario, `Redis commands/min incl. inside scripts (${windowNote})`, "commands/min", "lower");
  const cpu = figure("idle.cpu", scenario, `CPU of the idle worker process (${windowNote})`, "ms/min", "lower");
  const types = `${SHIPPED_QUEUES.length} shipped job types`;
  const shippedLabel = (what: string) => `production worker process, ${types}: ${what} (${windowNote})`;
  const shipped = {
    client: figure("idle.shipped.client", scenario, shippedLabel("Redis commands/min it sent"), "commands/min", "lower"),
    perQueue: figure("idle.shipped.perQueue", scenario, shippedLabel("commands/min it sent, per queue"), "commands/min", "lower"),
    all: figure("idle.shipped.all", scenario, shippedLabel("commands/min incl. inside scripts"), "commands/min", "lower"),
    cpu: figure("idle.shipped.cpu", scenario, shippedLabel("CPU"), "ms/min", "lower"),
  };
  const breakdown: Record<string, Record<string, number>> = {};
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
    const commands = Object.entries(cost.client).map(([command, n]) => `${n} ${command}`).join(", ") || "none";
    ctx.log(
      `idle ${name}, ${cost.windowS.toFixed(0)} s: ${cost.clientPerMin.toFixed(2)} client commands/min (${commands}), ` +
        `${cost.allPerMin.toFixed(2)} incl. scripts, ${cost.cpuMsPerMin.toFixed(2)} CPU ms/min`,
    );
  });
  return {
    figures: [client, all, cpu, ...Object.values(shipped)],
    details: { idleClientCommandsInTheWindow: breakdown, idleWindowS: Math.min(...costs.map((c) => c.windowS)) },
    notes: [
      `Idle cost: ${windowNote}, one run (the window holds the whole idle schedule; see infra/bench/README.md), worker concurrency ${CONCURRENCY}, the three systems' one-queue benchmark workers and Offload's production worker side by side on four Redis servers, started before the run's other scenarios and measured while they ran; the window opens ${config.idleSettleMs / 1_000} s after the worker reports ready.`,
      `Idle production worker: \`npm run worker\`'s bundle (worker/src/main.ts) with its defaults, serving ${SHIPPED_QUEUES.join(", ")} (digest in the thread pool); ready when it logs "worker started"; its CPU comes from /proc/<pid>/stat (10 ms ticks). "Per queue" is the process's figure divided by ${SHIPPED_QUEUES.length}.`,
    ],
  };
}

/** The scenario on its own (`--only=idle`): start, then wait for the whole window. */
export async function runIdle(ctx: ScenarioContext): Promise<ScenarioResult> {
  return (await startIdleInBackground(ctx)).finish();
}
