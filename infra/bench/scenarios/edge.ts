/**
 * Scenario 7: through the edge. autocannon against `wrangler dev` (edge → local REST endpoint → Redis),
 * POST /v1/jobs/noop with the benchmark payload; afterwards every 202's job id is looked up in Redis. Offload
 * only: the other systems have no HTTP edge to compare.
 */
import autocannon from "autocannon";
import { queueKeys } from "../../../shared/src/keys";
import { parseJobId } from "../../../shared/src/ids";
import { PAYLOAD } from "../bench-job";
import { EDGE_API_KEY, startEdge } from "../edge-server";
import { addSample, figure, type ScenarioResult } from "../results";
import type { ScenarioContext } from "./context";

const JOB = "noop";

/** How many of these job ids have a record in Redis. */
async function present(ctx: ScenarioContext, ids: string[]): Promise<number> {
  const keys = queueKeys(JOB);
  let found = 0;
  for (let i = 0; i < ids.length; i += 1_000) {
    const pipeline = ctx.admin.redis.pipeline();
    for (const id of ids.slice(i, i + 1_000)) pipeline.hget(keys.job(parseJobId(id)?.localId ?? "-"), "s");
    for (const [error, state] of (await pipeline.exec()) ?? []) if (!error && state === "waiting") found += 1;
  }
  return found;
}

export async function runEdge(ctx: ScenarioContext): Promise<ScenarioResult | { skipped: string }> {
  const { config, admin } = ctx;
  const scenario = "7. Through the edge";
  const label = `${config.edgeDurationS} s × ${config.edgeConnections} connections`;
  const figures = {
    rps: figure("edge.rps", scenario, `202s per second, ${label}`, "req/s", "higher"),
    p50: figure("edge.p50", scenario, "latency p50", "ms", "lower"),
    p99: figure("edge.p99", scenario, "latency p99", "ms", "lower"),
    errors: figure("edge.errors", scenario, "errors + non-202 responses", "count", "lower"),
    missing: figure("edge.missing", scenario, "202s whose job is not in Redis", "count", "lower"),
  };
  const edge = await startEdge(ctx.redisUrl);
  const perRun: unknown[] = [];
  try {
    for (let run = 0; run < config.edgeRuns; run++) {
      await admin.flush();
      const ids: string[] = [];
      const result = await autocannon({
        url: edge.url,
        connections: config.edgeConnections,
        duration: config.edgeDurationS,
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
      const failures = result.errors + result.timeouts + (result.requests.total - accepted - result.errors - result.timeouts);
      addSample(figures.rps, "offload", accepted / result.duration);
      addSample(figures.p50, "offload", result.latency.p50);
      addSample(figures.p99, "offload", result.latency.p99);
      addSample(figures.errors, "offload", Math.max(0, failures));
      addSample(figures.missing, "offload", accepted - found + (accepted - unique));
      perRun.push({ accepted, unique, found, statusCodes: result.statusCodeStats, errors: result.errors, timeouts: result.timeouts });
      ctx.log(
        `edge run ${run + 1}/${config.edgeRuns}: ${(accepted / result.duration).toFixed(0)} req/s, p50 ${result.latency.p50} ms, ` +
          `p99 ${result.latency.p99} ms, ${accepted} accepted, ${found} found in Redis, errors ${result.errors}, timeouts ${result.timeouts}`,
      );
    }
  } finally {
    await edge.stop();
  }
  return {
    figures: Object.values(figures),
    details: { edgeRuns: perRun },
    notes: [
      `Edge: \`wrangler dev --local\` (workerd) → infra/upstash-local in its own process → the benchmark's Redis, all on the same ${"machine"} as autocannon; no rate limit. Each 202's job id is looked up in Redis afterwards (state "waiting"; no worker runs).`,
    ],
  };
}
