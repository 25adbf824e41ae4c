/**
 * Scenario 7: through the edge. autocannon against `wrangler dev` (edge → local REST endpoint → Redis),
 * POST /v1/jobs/noop with the benchmark payload; afterwards every 202's job id is looked up in Redis. Offload
 * only: the other systems have no HTTP edge to compare. Two load shapes per run: many connections (what the
 * edge sustains) and one client sending one request at a time (what one user waits for the 202, and what each
 * request costs in CPU: workerd's CPU time from /proc over the run, divided by the requests it answered).
 */
import autocannon from "autocannon";
import { descendants, processCpuMs } from "../proc-cpu";
import { queueKeys } from "../../../shared/src/keys";
import { parseJobId } from "../../../shared/src/ids";
import { readRecords } from "../../../shared/src/ops/read";
import { FIELD } from "../../../shared/src/record";
import { ioredisRunner } from "../../../shared/src/runners/ioredis-runner";
import { PAYLOAD } from "../bench-job";
import { EDGE_API_KEY, startEdge } from "../edge-server";
import { addSample, figure, type ScenarioResult } from "../results";
import type { ScenarioContext } from "./context";

const JOB = "noop";

/** How many of these job ids wait in Redis (their record read where it is: a hash, or packed while fresh). */
async function present(ctx: ScenarioContext, ids: string[]): Promise<number> {
  const keys = queueKeys(JOB);
  const runner = ioredisRunner(ctx.admin.redis);
  let found = 0;
  for (let i = 0; i < ids.length; i += 1_000) {
    const records = await readRecords(runner, ids.slice(i, i + 1_000).map((id) => ({ keys, localId: parseJobId(id)?.localId ?? "-" })));
    found += records.filter((record) => record[FIELD.state] === "waiting").length;
  }
  return found;
}

interface LoadResult {
  result: autocannon.Result;
  accepted: number;
  unique: number;
  found: number;
  failures: number;
}

/** One autocannon run of POST /v1/jobs/noop; every 202's job id is then looked up in Redis. */
async function load(ctx: ScenarioContext, url: string, connections: number): Promise<LoadResult> {
  await ctx.admin.flush();
  const ids: string[] = [];
  const result = await autocannon({
    url,
    connections,
    duration: ctx.config.edgeDurationS,
    requests: [
      {
        method: "POST",
        path: `/v1/jobs/${JOB}`,
        headers: { authorization: `Bearer ${EDGE_API_KEY}`, "content-type": "application/json" },
        body: JSON.stringify(PAYLOAD),
        onResponse: (status, body) => {
          if (status === 202) ids.push((JSON.parse(body) as { id: string }).id);
        },
      },
    ],
  });
  const accepted = result.statusCodeStats["202"]?.count ?? 0;
  const unique = new Set(ids).size;
  const found = await present(ctx, [...new Set(ids)]);
  const failures = Math.max(0, result.errors + result.timeouts + (result.requests.total - accepted - result.errors - result.timeouts));
  return { result, accepted, unique, found, failures };
}

/** CPU ms so far of every workerd process under wrangler (the Worker runs there; Miniflare's own proxy too). */
function workerdCpuMs(wranglerPid: number): { ms: number; pids: number[] } {
  const pids = descendants(wranglerPid).filter((p) => p.comm === "workerd").map((p) => p.pid);
  return { ms: pids.reduce((total, pid) => total + (processCpuMs(pid) || 0), 0), pids };
}

export async function runEdge(ctx: ScenarioContext): Promise<ScenarioResult | { skipped: string }> {
  const { config } = ctx;
  const scenario = "7. Through the edge";
  const label = `${config.edgeDurationS} s × ${config.edgeConnections} connections`;
  const figures = {
    rps: figure("edge.rps", scenario, `202s per second, ${label}`, "req/s", "higher"),
    p50: figure("edge.p50", scenario, "latency p50", "ms", "lower"),
    p99: figure("edge.p99", scenario, "latency p99", "ms", "lower"),
    errors: figure("edge.errors", scenario, "errors + non-202 responses", "count", "lower"),
    missing: figure("edge.missing", scenario, "202s whose job is not in Redis", "count", "lower"),
  };
  const one = {
    p50: figure("edge1.p50", scenario, `one client, one request at a time, ${config.edgeDurationS} s: 202 latency p50`, "ms", "lower"),
    p99: figure("edge1.p99", scenario, "one client: 202 latency p99", "ms", "lower"),
    rps: figure("edge1.rps", scenario, "one client: 202s per second", "req/s", "higher"),
    cpu: figure("edge1.cpu", scenario, "one client: workerd CPU per request (/proc, over the run)", "ms/request", "lower"),
    restCpu: figure("edge1.restCpu", scenario, "one client: local REST endpoint CPU per request (Upstash's side)", "ms/request", "lower"),
    errors: figure("edge1.errors", scenario, "one client: errors + non-202s + 202s not in Redis", "count", "lower"),
  };
  const edge = await startEdge(ctx.redisUrl);
  const perRun: unknown[] = [];
  try {
    for (let run = 0; run < config.edgeRuns; run++) {
      const many = await load(ctx, edge.url, config.edgeConnections);
      addSample(figures.rps, "offload", many.accepted / many.result.duration);
      addSample(figures.p50, "offload", many.result.latency.p50);
      addSample(figures.p99, "offload", many.result.latency.p99);
      addSample(figures.errors, "offload", many.failures);
      addSample(figures.missing, "offload", many.accepted - many.found + (many.accepted - many.unique));
      ctx.log(
        `edge run ${run + 1}/${config.edgeRuns}: ${(many.accepted / many.result.duration).toFixed(0)} req/s, p50 ${many.result.latency.p50} ms, ` +
          `p99 ${many.result.latency.p99} ms, ${many.accepted} accepted, ${many.found} found in Redis, errors ${many.result.errors}, timeouts ${many.result.timeouts}`,
      );

      const before = workerdCpuMs(edge.wranglerPid);
      const restBefore = processCpuMs(edge.restPid);
      const single = await load(ctx, edge.url, 1);
      const after = workerdCpuMs(edge.wranglerPid);
      const restAfter = processCpuMs(edge.restPid);
      if (before.pids.length === 0) throw new Error("edge: no workerd process found under wrangler dev (/proc)");
      const answered = Math.max(1, single.result.requests.total);
      addSample(one.p50, "offload", single.result.latency.p50);
      addSample(one.p99, "offload", single.result.latency.p99);
      addSample(one.rps, "offload", single.accepted / single.result.duration);
      addSample(one.cpu, "offload", (after.ms - before.ms) / answered);
      addSample(one.restCpu, "offload", (restAfter - restBefore) / answered);
      addSample(one.errors, "offload", single.failures + (single.accepted - single.found) + (single.accepted - single.unique));
      ctx.log(
        `edge run ${run + 1}/${config.edgeRuns}, one client: p50 ${single.result.latency.p50} ms, p99 ${single.result.latency.p99} ms, ` +
          `${single.accepted} accepted, workerd ${((after.ms - before.ms) / answered).toFixed(2)} CPU ms/request (${before.pids.length} workerd process(es))`,
      );
      perRun.push({
        many: { accepted: many.accepted, unique: many.unique, found: many.found, statusCodes: many.result.statusCodeStats, errors: many.result.errors, timeouts: many.result.timeouts },
        one: { accepted: single.accepted, found: single.found, requests: single.result.requests.total, workerdCpuMs: after.ms - before.ms, workerdPids: before.pids, restCpuMs: restAfter - restBefore },
      });
    }
  } finally {
    await edge.stop();
  }
  return {
    figures: [...Object.values(figures), ...Object.values(one)],
    details: { edgeRuns: perRun },
    notes: [
      `Edge: \`wrangler dev --local\` (workerd) → infra/upstash-local in its own process → the benchmark's Redis, all on the same machine as autocannon; no rate limit. Each 202's job id is looked up in Redis afterwards (state "waiting"; no worker runs).`,
      `Edge, one client: autocannon with one connection (keep-alive), each request sent when the previous 202 arrived. "workerd CPU per request" is the CPU time (utime + stime from /proc, 10 ms ticks) of every workerd process under \`wrangler dev\` over the run, divided by the requests: what Workers bill is CPU time, but this is local workerd, which also runs Miniflare's own entry and proxy code and the HTTP parsing a Cloudflare front end would do, so read it as an upper bound of the billed figure, not the billed figure. The local REST endpoint's CPU (Upstash's side in production) is shown apart.`,
    ],
  };
}
