/**
 * `npm run chaos`: proves, with real processes and real faults, that a job which got a 202 is never lost and that
 * no input makes the edge fail. Runs every scenario against one stack (redis-server with AOF, the local REST
 * endpoint, the edge in workerd), then the findings probes, prints the summary table and writes RESULTS.md and
 * results.json next to this file. Exit code 1 if any check failed.
 *
 *   npm run chaos                         the full run (~4 min on 2 cores)
 *   npm run chaos -- --short              the sizes `npm test` uses; results go to .build/ instead
 *   npm run chaos -- --only=crashes,poison  some scenarios only (results go to .build/)
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { FULL, SHORT } from "./config";
import { EDGE_PROBES, STANDALONE_PROBES } from "./findings/index";
import { BUILD_DIR, bundleChaosWorker } from "./fleet";
import { consoleTable, markdown, passed, type ChaosRun, type FindingOutcome } from "./report";
import type { ScenarioResult } from "./result";
import { runBadInputScenario } from "./scenarios/bad-input";
import { runCrashScenario } from "./scenarios/crashes";
import { runNetworkScenario } from "./scenarios/network";
import { runPoisonScenario } from "./scenarios/poison";
import { runRedisDownScenario } from "./scenarios/redis-down";
import { startChaosStack, type ChaosStack } from "./stack";

const args = process.argv.slice(2);
const short = args.includes("--short");
const only = args.find((arg) => arg.startsWith("--only="))?.slice("--only=".length).split(",");
const config = short ? SHORT : FULL;
const say = (line: string) => process.stdout.write(`[chaos] ${line}\n`);

const scenarios: { name: string; run: (stack: ChaosStack) => Promise<ScenarioResult> }[] = [
  { name: "crashes", run: (stack) => runCrashScenario(stack, config.crashes) },
  ...(config.network ? [{ name: "network", run: (stack: ChaosStack) => runNetworkScenario(stack, config.network!) }] : []),
  { name: "bad-input", run: (stack) => runBadInputScenario(stack, config.badInput) },
  { name: "poison", run: (stack) => runPoisonScenario(stack, config.poison) },
  { name: "redis-down", run: (stack) => runRedisDownScenario(stack, config.redisDown) },
];

function environment(): Record<string, string> {
  const run = (file: string, argv: string[]) => {
    try {
      return execFileSync(file, argv, { encoding: "utf8" }).trim();
    } catch {
      return "unknown";
    }
  };
  const dirty = run("git", ["status", "--porcelain", "--", "shared", "worker", "edge", "wrangler.toml"]) !== "";
  return {
    commit: `${run("git", ["rev-parse", "--short", "HEAD"])}${dirty ? " (+ uncommitted changes in shared/worker/edge)" : ""}`,
    node: process.version,
    redis: run("redis-server", ["--version"]).split(" ").find((part) => part.startsWith("v="))?.slice(2) ?? "unknown",
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? "?"}`,
    "load average at start": loadavg().map((value) => value.toFixed(2)).join(" "),
  };
}

const started = Date.now();
const env = environment();
say(`${short ? "short" : "full"} run on ${env.cpus}, load ${env["load average at start"]}, commit ${env.commit}`);
await bundleChaosWorker();
const stack = await startChaosStack();
say(`stack up: edge ${stack.edgeUrl}, redis ${stack.redisServer.url} (AOF, appendfsync always)`);
const results: ScenarioResult[] = [];
const findings: FindingOutcome[] = [];
try {
  for (const scenario of scenarios) {
    if (only && !only.includes(scenario.name)) continue;
    say(`${scenario.name}: running`);
    const t = performance.now();
    try {
      results.push(await scenario.run(stack));
    } catch (error) {
      results.push({ name: scenario.name, durationMs: Math.round(performance.now() - t), metrics: {}, details: {}, failures: [`scenario threw: ${(error as Error).stack ?? String(error)}`] });
    }
    const result = results.at(-1)!;
    say(`${scenario.name}: ${result.failures.length === 0 ? "pass" : `FAIL (${result.failures.length})`} in ${(result.durationMs / 1_000).toFixed(1)} s`);
    for (const failure of result.failures) say(`  ✗ ${failure.slice(0, 400)}`);
  }
  if (!only || only.includes("findings")) {
    const probes = [...STANDALONE_PROBES.map((probe) => ({ ...probe, run: () => probe.run() })), ...EDGE_PROBES.map((probe) => ({ ...probe, run: () => probe.run(stack) }))];
    for (const probe of probes) {
      const t = performance.now();
      const outcome = await probe.run().catch((error: Error) => ({ reproduced: false, evidence: `probe threw: ${error.message}` }));
      findings.push({ id: probe.id, title: probe.title, area: probe.area, status: probe.status, fixedBy: probe.fixedBy, durationMs: Math.round(performance.now() - t), ...outcome });
      say(`finding ${probe.id} (${probe.status}): ${outcome.reproduced ? "reproduces" : "does not reproduce"}`);
    }
  }
} finally {
  await stack.stop();
}

env["load average at end"] = loadavg().map((value) => value.toFixed(2)).join(" ");
const run: ChaosRun = { startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, size: short ? "short" : "full", environment: env, scenarios: results, findings };
process.stdout.write(`\n${consoleTable(run)}\n\n`);
const official = !short && !only;
const dir = official ? import.meta.dirname : join(BUILD_DIR, "results");
mkdirSync(dir, { recursive: true });
// The cluster section is measured by tests, not by this run: kept beside RESULTS.md and appended, so a chaos
// run does not erase it.
writeFileSync(join(dir, "RESULTS.md"), `${markdown(run)}\n${readFileSync(join(import.meta.dirname, "cluster-results.md"), "utf8")}`);
writeFileSync(join(dir, "results.json"), `${JSON.stringify(run, null, 2)}\n`);
say(`${passed(run) ? "all checks passed" : "some checks FAILED"}; results in ${join(dir, "RESULTS.md")}`);
process.exit(passed(run) ? 0 : 1);
