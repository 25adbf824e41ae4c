/**
 * Scenario 6: Redis commands per job lifecycle (enqueue → completed), and the "one call per enqueue" check.
 * A worker (concurrency 10) waits idle; N jobs are enqueued one by one while it runs; counting stops when the
 * last completion has landed. Two counts, because they answer different questions:
 *   - commands clients sent (MONITOR, by source address): round trips' worth of work, producer and worker apart;
 *   - every command Redis executed, those inside Lua scripts included (INFO commandstats).
 */
import { LABEL, PAYLOAD, SYSTEMS, type SystemName } from "../bench-job";
import { sum, type TapCounts } from "../redis-admin";
import { addSample, figure, type ScenarioResult } from "../results";
import { PRODUCERS } from "../systems/index";
import { startWorkerProcess } from "../worker-process";
import type { ScenarioContext } from "./context";

const CONCURRENCY = 10;
const BATCHES = 10;
const BATCH_SIZE = 100;

interface LifecycleCounts {
  producerPerEnqueue: number;
  workerPerJob: number;
  clientPerJob: number;
  allPerJob: number;
  producerPerBatch: number;
  breakdown: { client: Record<string, number>; insideScripts: Record<string, number>; commandstats: Record<string, number> };
}

function split(counts: TapCounts, producerAddrs: Set<string>) {
  const producer = new Map<string, number>();
  const worker = new Map<string, number>();
  for (const [source, byName] of counts.bySource) {
    const target = producerAddrs.has(source) ? producer : worker;
    for (const [name, n] of byName) target.set(name, (target.get(name) ?? 0) + n);
  }
  return { producer, worker };
}

async function lifecycleOnce(ctx: ScenarioContext, system: SystemName): Promise<LifecycleCounts> {
  const { admin, redisUrl, config } = ctx;
  const n = config.lifecycleJobs;
  await admin.flush();
  const tap = await admin.tap();
  const producer = await PRODUCERS[system](redisUrl);
  // Everything connected now is the benchmark's (admin, monitor, producer); the rest will be the worker's.
  const producerAddrs = new Set(await admin.clientAddrs());
  const worker = await startWorkerProcess({ system, redisUrl, concurrency: CONCURRENCY, expected: n, reportEachCall: false });
  try {
    await new Promise((resolve) => setTimeout(resolve, ctx.config.settleMs));
    const done = worker.next("done");
    await tap.start();
    await admin.resetStats();
    for (let i = 0; i < n; i++) await producer.enqueueOne(PAYLOAD);
    await done;
    const single = await tap.stop();
    const commandstats = await admin.commandStats();

    await tap.start();
    for (let i = 0; i < BATCHES; i++) await producer.enqueueBatch(new Array(BATCH_SIZE).fill(PAYLOAD));
    const batched = await tap.stop();

    const { producer: sent, worker: fetched } = split(single, producerAddrs);
    const client = new Map([...sent]);
    for (const [name, count] of fetched) client.set(name, (client.get(name) ?? 0) + count);
    const all = Object.values(commandstats).reduce((a, b) => a + b, 0);
    return {
      producerPerEnqueue: sum(sent) / n,
      workerPerJob: sum(fetched) / n,
      clientPerJob: sum(client) / n,
      allPerJob: all / n,
      producerPerBatch: sum(split(batched, producerAddrs).producer) / BATCHES,
      breakdown: {
        client: Object.fromEntries(client),
        insideScripts: Object.fromEntries(single.insideScripts),
        commandstats,
      },
    };
  } finally {
    tap.close();
    await producer.close();
    await worker.stop();
  }
}

export async function runLifecycle(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { config } = ctx;
  const n = config.lifecycleJobs.toLocaleString("en");
  const scenario = "6. Redis commands per job";
  const figures = {
    all: figure("lifecycle.all", scenario, `all commands incl. inside scripts, per job (${n} jobs enqueued one by one, worker c=${CONCURRENCY})`, "commands", "lower"),
    client: figure("lifecycle.client", scenario, "commands sent by clients, per job (producer + worker)", "commands", "lower"),
    worker: figure("lifecycle.worker", scenario, "commands sent by the worker, per job", "commands", "lower"),
    single: figure("calls.enqueue", scenario, "commands per enqueue call, single job", "commands", "lower"),
    batch: figure("calls.batch", scenario, `commands per enqueue call, batch of ${BATCH_SIZE}`, "commands", "lower"),
  };
  const breakdowns: Record<string, LifecycleCounts["breakdown"]> = {};
  for (let run = 0; run < config.runs; run++) {
    for (const system of SYSTEMS) {
      const c = await lifecycleOnce(ctx, system);
      addSample(figures.all, system, c.allPerJob);
      addSample(figures.client, system, c.clientPerJob);
      addSample(figures.worker, system, c.workerPerJob);
      addSample(figures.single, system, c.producerPerEnqueue);
      addSample(figures.batch, system, c.producerPerBatch);
      breakdowns[system] = c.breakdown;
      ctx.log(
        `lifecycle run ${run + 1}/${config.runs} ${LABEL[system]}: ${c.allPerJob.toFixed(2)} commands/job (${c.clientPerJob.toFixed(2)} sent by clients), ` +
          `${c.producerPerEnqueue.toFixed(2)} per enqueue, ${c.producerPerBatch.toFixed(1)} per batch`,
      );
    }
  }
  return {
    figures: Object.values(figures),
    details: { breakdownOfLastRun: breakdowns },
    notes: [
      `Commands per job: counted from MONITOR (client-sent, split by connection) and INFO commandstats (everything, including the commands Lua scripts run). A batch sent as a pipeline or MULTI is one round trip but several commands; the figure counts commands.`,
    ],
  };
}
