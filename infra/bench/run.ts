/**
 * `npm run bench`: Offload, BullMQ and bee-queue side by side on one Redis, in one run (issue 5).
 *
 *   npm run bench                         full run → infra/bench/RESULTS.md + results.json (~30 min on 2 cores)
 *   npm run bench:quick                   smoke check in under a minute → infra/bench/.build/quick/
 *   npm run bench -- --only=latency,idle  some scenarios only (throughput, enqueue, latency, lifecycle, idle, edge, processes, flow,
 *                                         priorities, bulk, groups)
 *   npm run bench -- --only=enqueue --runs=7  …with another number of interleaved runs (before/after comparisons)
 *   npm run bench -- --only=idle --idle-window-s=330  the idle scenario with another window length
 *   npm run bench -- --render             RESULTS.md again from results.json (after editing analysis.md), no run
 *
 * Starts its own redis-server (no persistence, free port), bundles one worker entry per system, and runs every
 * scenario with the systems interleaved run by run. The idle scenario needs a 10-minute window: it is started
 * first and runs in the background on Redis servers of its own while the other scenarios run, and its figures are
 * collected at the end (scenarios/idle.ts says why this does not disturb either).
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startRedisServer, type RedisServerHandle } from "../runtime/redis-server";
import { FULL, QUICK } from "./config";
import { loadAverage1m, machineInfo } from "./machine";
import { RedisAdmin } from "./redis-admin";
import { writeReport, type BenchReport } from "./report";
import type { ScenarioResult } from "./results";
import type { ScenarioContext } from "./scenarios/context";
import { runBulk } from "./scenarios/bulk";
import { runEdge } from "./scenarios/edge";
import { runEnqueue } from "./scenarios/enqueue";
import { runFlow } from "./scenarios/flow";
import { runGroups } from "./scenarios/groups";
import { runIdle, startIdleInBackground, type BackgroundScenario } from "./scenarios/idle";
import { runLatency } from "./scenarios/latency";
import { runLifecycle } from "./scenarios/lifecycle";
import { runPriorities } from "./scenarios/priorities";
import { runProcesses } from "./scenarios/processes";
import { runThroughput } from "./scenarios/throughput";
import { removeShippedBundle } from "./shipped-worker";
import { BUILD_DIR, bundleWorkers, removeBundles } from "./worker-process";

/** A scenario returns its figures, or a reason it could not run here (the report says so). */
type Scenario = (ctx: ScenarioContext) => Promise<ScenarioResult | { skipped: string }>;

export const SCENARIOS: Record<string, Scenario> = {
  throughput: runThroughput,
  enqueue: runEnqueue,
  latency: runLatency,
  lifecycle: runLifecycle,
  idle: runIdle,
  edge: runEdge,
  processes: runProcesses,
  flow: runFlow,
  priorities: runPriorities,
  bulk: runBulk,
  groups: runGroups,
};

/** Scenarios that mostly wait: started before the others and collected after them (their SCENARIOS entry runs them alone). */
const BACKGROUND: Record<string, (ctx: ScenarioContext) => Promise<BackgroundScenario>> = {
  idle: startIdleInBackground,
};

function parseArgs(argv: string[]) {
  const quick = argv.includes("--quick");
  const only = argv.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",");
  for (const name of only ?? []) if (!SCENARIOS[name]) throw new Error(`unknown scenario "${name}"`);
  const out = argv.find((a) => a.startsWith("--out="))?.slice("--out=".length);
  const runsText = argv.find((a) => a.startsWith("--runs="))?.slice("--runs=".length);
  const idleWindowText = argv.find((a) => a.startsWith("--idle-window-s="))?.slice("--idle-window-s=".length);
  const base = quick ? QUICK : FULL;
  let config = base;
  if (runsText !== undefined) {
    const runs = Number(runsText);
    if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a whole number ≥ 1, got "${runsText}"`);
    config = { ...config, runs, edgeRuns: runs };
  }
  if (idleWindowText !== undefined) {
    const seconds = Number(idleWindowText);
    if (!(seconds > 0)) throw new Error(`--idle-window-s: expected a number of seconds > 0, got "${idleWindowText}"`);
    config = { ...config, idleWindowMs: seconds * 1_000 };
  }
  // A run with other sizes than the full one is not the RESULTS.md of record: it goes to .build unless --out says.
  const changed = runsText !== undefined || idleWindowText !== undefined;
  const defaultOut = quick || changed || only ? join(BUILD_DIR, quick ? "quick" : "partial") : import.meta.dirname;
  return { config, only, out: out ?? defaultOut };
}

async function runForeground(ctx: ScenarioContext, report: BenchReport, selected: (name: string) => boolean, log: (m: string) => void) {
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    if (!selected(name)) continue;
    log(`scenario ${name}`);
    const result = await scenario(ctx);
    if ("skipped" in result) {
      report.skipped[name] = result.skipped;
      log(`scenario ${name} skipped: ${result.skipped}`);
    } else {
      report.results[name] = result;
    }
  }
}

async function main(): Promise<void> {
  const { config, only, out } = parseArgs(process.argv.slice(2));
  if (process.argv.includes("--render")) {
    writeReport(JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as BenchReport, out);
    console.log(`wrote ${join(out, "RESULTS.md")} from results.json`);
    return;
  }
  const started = performance.now();
  const log = (message: string) => console.log(`[${((performance.now() - started) / 1_000).toFixed(0).padStart(4)} s] ${message}`);
  const servers: RedisServerHandle[] = [];
  const stopAll = () => Promise.all(servers.map((s) => s.stop()));
  process.once("SIGINT", () => void stopAll().finally(() => process.exit(130)));

  try {
    const [main] = await Promise.all([startRedisServer(), bundleWorkers()]);
    servers.push(main);
    const admin = new RedisAdmin(main.url);
    const ctx: ScenarioContext = {
      config,
      redisUrl: main.url,
      admin,
      log,
      async extraRedis() {
        const server = await startRedisServer();
        servers.push(server);
        return server.url;
      },
    };
    log(`${config.mode} run on ${main.url}`);
    const report: BenchReport = { machine: await machineInfo(admin), config, durationS: 0, results: {}, skipped: {} };
    const selected = (name: string) => !only || only.includes(name);
    const background = new Map<string, BackgroundScenario>();
    try {
      for (const [name, start] of Object.entries(BACKGROUND)) {
        if (!selected(name)) continue;
        log(`scenario ${name} (in the background)`);
        background.set(name, await start(ctx));
      }
      await runForeground(ctx, report, (name) => selected(name) && !background.has(name), log);
      for (const [name, scenario] of background) {
        report.results[name] = await scenario.finish();
        background.delete(name);
      }
    } finally {
      await Promise.all([...background.values()].map((s) => s.abandon()));
    }
    // The report lists scenarios in SCENARIOS order, wherever a background one finished.
    report.results = Object.fromEntries(Object.keys(SCENARIOS).flatMap((name) => (report.results[name] ? [[name, report.results[name]]] : [])));
    report.durationS = (performance.now() - started) / 1_000;
    report.machine.loadAverage.end = loadAverage1m();
    mkdirSync(out, { recursive: true });
    writeReport(report, out);
    log(`wrote ${join(out, "RESULTS.md")} and results.json`);
    await admin.close();
  } finally {
    await stopAll();
    removeBundles();
    removeShippedBundle();
  }
}

await main();
