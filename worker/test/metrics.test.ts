/**
 * Worker metrics: the counters and gauges say what happened on a real worker over a real redis-server (outcomes
 * including stalls of a SIGKILLed worker's job, reaped leases, entries recovered after a lost reply, reconnects and
 * hand backs at shutdown; Redis errors
 * are counted in unreachable-redis.test.ts); the depth
 * gauges cost one stats call per queue per scrape (cached briefly); and every metric an alert rule in
 * infra/prometheus/alerts.yml uses is one a real worker process exports on /metrics.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { waitFor } from "../../infra/test/wait-for";
import { JOBS } from "../../shared/src/jobs/index";
import { getStatus, readRecord } from "../../shared/src/ops/read";
import { newLocalId } from "../../shared/src/ids";
import { createMetrics } from "../src/metrics";
import { workJob } from "./fixtures/test-jobs";
import { enqueueOne, waitForState } from "./support";
import { clientLine, killClient } from "./support/clients";
import { useWorkerFleet } from "./support/fleet";
import { startWorkerProcess, stopWorkerProcesses } from "./support/main-process";

// One redis-server for the file; workers a test forks or starts are gone after it (support/fleet.ts), and so
// are the production worker processes of the alert-rule test.
const fleet = useWorkerFleet({ prefix: "metrics", leaseMs: 1_000 });
afterEach(() => stopWorkerProcesses());

/** The value of one sample line (`name{labels} value`) of Prometheus text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const body = /\{(.*)\}/.exec(line)?.[1] ?? "";
    if (Object.entries(labels).every(([k, v]) => body.includes(`${k}="${v}"`))) return Number(line.split(" ").at(-1));
  }
  return undefined;
}

describe("worker metrics", () => {
  it("count outcomes and run times, and report queue depth from one cached stats call per scrape", async () => {
    const keys = fleet.freshQueue();
    const metrics = createMetrics({ statsCacheMs: 60_000 });
    const worker = fleet.inProcess({ concurrency: 4, leaseMs: 5_000, shutdownGraceMs: 2_000, observers: [metrics.observer] });
    let statsCalls = 0;
    metrics.attach({
      activeCount: worker.activeCount,
      readStats: () => {
        statsCalls += 1;
        return worker.readStats();
      },
    });
    await worker.start();
    const r = fleet.runner();
    const ok = await Promise.all([1, 2, 3].map((i) => enqueueOne(r, keys, workJob, { tag: String(i) })));
    const retried = await enqueueOne(r, keys, workJob, { failTimes: 1 });
    const dead = await enqueueOne(r, keys, workJob, { unrecoverable: true });
    const delayed = await enqueueOne(r, keys, workJob, {}, { delayMs: 3_600_000 });
    for (const id of [...ok, retried]) await waitForState(r, keys, id, "completed");
    await waitForState(r, keys, dead, "dead");
    void delayed;

    // The settlement that made a job "completed" may still be on its way back: wait for the counter itself.
    const scrape = () => metrics.registry.metrics();
    await waitFor(async () => sample(await scrape(), "offload_jobs_total", { queue: "work", outcome: "completed" }) === 4, {
      what: "4 completions counted",
    });
    const text = await scrape();
    expect(sample(text, "offload_jobs_total", { queue: "work", outcome: "retried" })).toBe(1);
    expect(sample(text, "offload_jobs_total", { queue: "work", outcome: "dead" })).toBe(1);
    // Six attempts ran a handler: 3 quick ones, 2 for the retried job, 1 for the unrecoverable one.
    expect(sample(text, "offload_job_run_duration_seconds_count", { queue: "work" })).toBe(6);
    expect(sample(text, "offload_claim_duration_seconds_count", { queue: "work" })).toBeGreaterThan(0);
    expect(sample(text, "offload_settle_duration_seconds_count", { queue: "work" })).toBeGreaterThan(0);
    expect(sample(text, "offload_queue_delayed", { queue: "work" })).toBe(1);
    expect(sample(text, "offload_queue_waiting", { queue: "work" })).toBe(0);
    expect(sample(text, "offload_queue_dead", { queue: "work" })).toBe(1);
    expect(sample(text, "offload_queue_workers", { queue: "work" })).toBe(1);
    expect(sample(text, "offload_queue_paused", { queue: "work" })).toBe(0);
    expect(sample(text, "offload_jobs_running")).toBe(0);
    expect(sample(text, "offload_worker_nodejs_eventloop_lag_seconds")).toEqual(expect.any(Number));
    // Six gauges and several scrapes within the cache window: one stats call.
    expect(statsCalls).toBe(1);
  });

  it("count a killed worker's job as stalled and reaped, a reconnect, and the hand back at shutdown", async () => {
    const keys = fleet.freshQueue();
    const r = fleet.runner();
    // A worker process that takes a long job and is SIGKILLed mid-run: its in-flight entry stays in Redis.
    const victim = (await fleet.spawn(1))[0]!;
    const id = await enqueueOne(r, keys, workJob, { ms: 60_000 });
    expect(await victim.nextStart()).toBe(`work.${id}`);
    victim.process.kill("SIGKILL");
    await victim.exited();

    const metrics = createMetrics();
    const started: string[] = [];
    const worker = fleet.inProcess({ shutdownGraceMs: 200, observers: [metrics.observer, { started: ({ entry }) => void started.push(entry) }] });
    metrics.attach({ activeCount: worker.activeCount, readStats: () => worker.readStats() });
    await worker.start();
    // The killed worker's lease expires; this worker's tick reaps the entry and runs the job again.
    await waitFor(() => started.includes(id), { what: "the reaped job started again" });
    const scrape = () => metrics.registry.metrics();
    let text = await scrape();
    expect(sample(text, "offload_jobs_total", { queue: "work", outcome: "stalled" })).toBe(1);
    expect(sample(text, "offload_lease_recoveries_total", { queue: "work", kind: "reaped" })).toBe(1);
    expect(sample(text, "offload_jobs_running")).toBe(1);
    expect(sample(text, "offload_queue_active", { queue: "work" })).toBe(1);

    // The command connection dropped by the server: ioredis dials again, and it is counted.
    await killClient(fleet.redis, `offload:${worker.id}:commands`);
    await waitFor(async () => (sample(await scrape(), "offload_redis_reconnects_total", { connection: "commands" }) ?? 0) >= 1, {
      what: "the reconnect counted",
    });

    // Stopping with the job still running: after the grace it is handed back, not lost, and counted as such.
    await worker.stop();
    text = await scrape();
    expect(sample(text, "offload_jobs_total", { queue: "work", outcome: "handed_back" })).toBe(1);
    expect(sample(text, "offload_jobs_running")).toBe(0);
    expect(await getStatus(r, keys, id)).toMatchObject({ state: "waiting", stalls: 1 });
  });

  it("count what recovery hands back after a lost claim reply as lost_reply, and the job still runs once", async () => {
    const keys = fleet.freshQueue();
    const r = fleet.runner();
    const metrics = createMetrics();
    const started: string[] = [];
    const worker = fleet.inProcess({ leaseMs: 5_000, shutdownGraceMs: 200, observers: [metrics.observer, { started: ({ entry }) => void started.push(entry) }] });
    await worker.start();
    const blocking = `offload:${worker.id}:blocking:work`;
    await waitFor(async () => (await clientLine(fleet.redis, blocking))?.includes("cmd=blmove"), { what: "the worker blocked in BLMOVE" });

    // What a claim whose reply was lost leaves: the job active, attempt 1, in our in-flight list, unknown to us.
    const id = newLocalId();
    await fleet.redis.hset(keys.job(id), { v: "1", n: "work", d: "{}", s: "active", a: "1", m: "3", c: String(Date.now()) });
    await fleet.redis.lpush(keys.active(worker.id), id);
    // The blocking connection dies: the worker recovers, hands the entry back and runs it like any waiting job.
    await killClient(fleet.redis, blocking);
    await waitForState(r, keys, id, "completed");
    const text = await metrics.registry.metrics();
    expect(sample(text, "offload_lease_recoveries_total", { queue: "work", kind: "lost_reply" })).toBe(1);
    expect(sample(text, "offload_lease_recoveries_total", { queue: "work", kind: "reaped" })).toBeUndefined();
    expect(started).toEqual([id]);
    // The lost claim's attempt was given back: this run is attempt 1, not 2.
    expect((await readRecord(r, keys, id)).a).toBe("1");
  });

  it("every metric an alert rule uses is exported by a real worker process", async () => {
    const keys = fleet.freshQueue("noop");
    const worker = await startWorkerProcess(fleet.url, { REDIS_PREFIX: fleet.prefix, LOG_LEVEL: "warn" });
    // One job through, so the labelled series exist as well as their declarations.
    const r = fleet.runner();
    const id = await enqueueOne(r, keys, JOBS.noop, {});
    await waitForState(r, keys, id, "completed");
    const text = await worker.metrics();

    const exported = new Set<string>();
    for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      const [, name, type] = match as unknown as [string, string, string];
      exported.add(name);
      if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) exported.add(name + suffix);
      if (type === "summary") for (const suffix of ["_sum", "_count"]) exported.add(name + suffix);
    }
    expect(exported.has("offload_queue_waiting")).toBe(true);

    const rules = parse(readFileSync(join(import.meta.dirname, "../../infra/prometheus/alerts.yml"), "utf8")) as {
      groups: { rules: { alert: string; expr: string; for?: string }[] }[];
    };
    const all = rules.groups.flatMap((group) => group.rules);
    expect(all.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining(["OffloadQueueDepthGrowing", "OffloadDeadLettersGrowing", "OffloadFailureRateHigh", "OffloadNoLiveWorkers"]),
    );
    const used = new Set<string>();
    for (const rule of all) {
      // Drop label matchers, grouping clauses and ranges; what is left are functions, keywords and metric names.
      const stripped = rule.expr.replace(/\{[^}]*\}/g, " ").replace(/\b(by|without)\s*\([^)]*\)/g, " ").replace(/\[[^\]]*\]/g, " ");
      for (const [name] of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
        if (PROMQL_WORDS.has(name)) continue;
        used.add(name);
      }
    }
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
    expect(used.size).toBeGreaterThanOrEqual(4);
  });
});

/** Functions, aggregators and keywords the rules use (anything else in an expression must be a metric). */
const PROMQL_WORDS = new Set([
  "sum", "max", "min", "avg", "count", "rate", "increase", "deriv", "delta", "absent", "absent_over_time",
  "max_over_time", "min_over_time", "histogram_quantile", "and", "or", "unless", "offset", "bool", "on", "ignoring",
  "group_left", "group_right",
]);
