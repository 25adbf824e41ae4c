/**
 * Scenario 5: the cost of an idle worker process: Redis commands per minute (client-sent from MONITOR, and all
 * including inside scripts from INFO commandstats) and the process's CPU time per minute. The three systems
 * run at the same time, each on a Redis of its own, so the 60 s window is paid once per run, not three times;
 * idle processes do not compete for the CPU in any way that matters here.
 */
import { LABEL, SYSTEMS, type SystemName } from "../bench-job";
import { RedisAdmin, sum } from "../redis-admin";
import { addSample, figure, type ScenarioResult } from "../results";
import { startWorkerProcess } from "../worker-process";
import type { ScenarioContext } from "./context";

const CONCURRENCY = 10;

interface IdleCost {
  clientPerMin: number;
  allPerMin: number;
  cpuMsPerMin: number;
  client: Record<string, number>;
}

async function idleOnce(ctx: ScenarioContext, system: SystemName, admin: RedisAdmin): Promise<IdleCost> {
  const windowMs = ctx.config.idleWindowMs;
  await admin.flush();
  const tap = await admin.tap();
  const worker = await startWorkerProcess({ system, redisUrl: admin.url, concurrency: CONCURRENCY, expected: 0, reportEachCall: false });
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
    return { clientPerMin: sum(client) * perMin, allPerMin: all * perMin, cpuMsPerMin: (cpuAfter - cpuBefore) * perMin, client: Object.fromEntries(client) };
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
  const admins = await Promise.all(SYSTEMS.map(async () => new RedisAdmin(await ctx.extraRedis())));
  const breakdown: Record<string, Record<string, number>> = {};
  try {
    for (let run = 0; run < config.idleRuns; run++) {
      const costs = await Promise.all(SYSTEMS.map((system, i) => idleOnce(ctx, system, admins[i]!)));
      costs.forEach((cost, i) => {
        const system = SYSTEMS[i]!;
        addSample(client, system, cost.clientPerMin);
        addSample(all, system, cost.allPerMin);
        addSample(cpu, system, cost.cpuMsPerMin);
        breakdown[system] = cost.client;
        ctx.log(
          `idle run ${run + 1}/${config.idleRuns} ${LABEL[system]}: ${cost.clientPerMin.toFixed(1)} client commands/min, ` +
            `${cost.allPerMin.toFixed(1)} incl. scripts, ${cost.cpuMsPerMin.toFixed(1)} CPU ms/min`,
        );
      });
    }
  } finally {
    await Promise.all(admins.map((a) => a.close()));
  }
  return {
    figures: [client, all, cpu],
    details: { idleClientCommandsOfLastRun: breakdown },
    notes: [
      `Idle cost: ${windowNote}, worker concurrency ${CONCURRENCY}, the three systems side by side on three Redis servers; the window opens ${config.settleMs} ms after the worker reports ready.`,
    ],
  };
}
