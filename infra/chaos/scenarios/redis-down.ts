/**
 * Storage down behind the edge. Lifecycle:
 *   1. a few jobs accepted while everything is up (the baseline);
 *   2. redis-server SIGKILLed: every route that needs Redis answers 503 problem+json with Retry-After
 *      (`redis_unavailable`), single, batch, status and health alike;
 *   3. the REST endpoint itself down (Redis back, endpoint closed): the same 503s;
 *   4. both back: the keys in Redis are exactly the baseline's (nothing partial was written by the refused
 *      requests), the baseline jobs survived on the AOF, and enqueueing works again, including a single job
 *      retried with the Idempotency-Key it was refused with.
 */
import { randomUUID } from "node:crypto";
import { startUpstashLocal } from "../../upstash-local/server";
import { FIELD } from "../../../shared/src/record";
import { queueKeys } from "../../../shared/src/keys";
import { recordsOf } from "../audit";
import { countJobRecords } from "./common";
import { Checks, sample, type ScenarioResult } from "../result";
import type { ChaosStack } from "../stack";

export interface RedisDownParams {
  /** Requests of each kind sent while storage is down. */
  requestsPerKind: number;
}

interface Probe {
  name: string;
  send(stack: ChaosStack): Promise<Response>;
}

const auth = (stack: ChaosStack) => ({ authorization: `Bearer ${stack.apiKey}` });

function probes(idempotencyKey: string): Probe[] {
  return [
    {
      name: "POST single",
      send: (stack) => fetch(`${stack.edgeUrl}/v1/jobs/noop`, {
        method: "POST",
        headers: { ...auth(stack), "content-type": "application/json", "idempotency-key": idempotencyKey },
        body: JSON.stringify({ refused: true }),
      }),
    },
    {
      name: "POST batch",
      send: (stack) => fetch(`${stack.edgeUrl}/v1/jobs/noop/batch`, {
        method: "POST",
        headers: { ...auth(stack), "content-type": "application/json" },
        body: JSON.stringify(Array.from({ length: 25 }, (_, i) => ({ data: { refused: i } }))),
      }),
    },
    { name: "GET status", send: (stack) => fetch(`${stack.edgeUrl}/v1/jobs/noop.0000000000000000`, { headers: auth(stack) }) },
    { name: "GET healthz", send: (stack) => fetch(`${stack.edgeUrl}/healthz`) },
  ];
}

/** Every key name, and how many jobs wait fresh (a fresh job is a field of {q}:fresh: it adds no key). */
async function snapshot(stack: ChaosStack): Promise<string[]> {
  return [...(await stack.redis.keys("*")).sort(), `fresh jobs: ${await stack.redis.hlen(queueKeys("noop").fresh)}`];
}

export async function runRedisDownScenario(stack: ChaosStack, params: RedisDownParams): Promise<ScenarioResult> {
  const started = performance.now();
  await stack.reset();
  const check = new Checks();
  const accepted: string[] = [];
  let requests = 0;
  let fiveXx = 0;

  async function enqueueOne(key: string): Promise<Response> {
    requests += 1;
    const response = await fetch(`${stack.edgeUrl}/v1/jobs/noop`, {
      method: "POST",
      headers: { ...auth(stack), "content-type": "application/json", "idempotency-key": key },
      body: JSON.stringify({ refused: true }),
    });
    if (response.status === 202) accepted.push(((await response.clone().json()) as { id: string }).id);
    return response;
  }

  for (let i = 0; i < 5; i += 1) check.equal((await enqueueOne(randomUUID())).status, 202, "baseline enqueue");
  const before = await snapshot(stack);

  const refusedKey = randomUUID();
  const seen: Record<string, Record<string, number>> = {};
  async function expectRefused(phase: string): Promise<void> {
    for (const probe of probes(refusedKey)) {
      for (let i = 0; i < params.requestsPerKind; i += 1) {
        requests += 1;
        const response = await probe.send(stack);
        const body = await response.text();
        const label = `${phase}: ${probe.name}`;
        seen[label] ??= {};
        seen[label][response.status] = (seen[label][response.status] ?? 0) + 1;
        const retryAfter = response.headers.get("retry-after");
        const type = response.headers.get("content-type");
        const code = safeJson(body)?.code;
        if (response.status >= 500 && !(response.status === 503 && retryAfter)) fiveXx += 1;
        check.that(
          response.status === 503 && Number(retryAfter) > 0 && type === "application/problem+json" && code === "redis_unavailable",
          `${label}: expected 503 redis_unavailable with Retry-After, got ${response.status} ${type} retry-after=${retryAfter} ${body.slice(0, 200)}`,
        );
      }
    }
  }

  // 2. redis-server gone.
  await stack.redisServer.kill();
  await expectRefused("redis killed");
  await stack.redisServer.start();
  await stack.upstash.redisReady();
  await stack.redis.ping();
  check.that(sameKeys(before, await snapshot(stack)), "keys after the Redis outage differ from before it");

  // 3. The REST endpoint gone (Redis up), then back on the same port.
  const { port } = stack.upstash;
  await stack.upstash.close();
  await expectRefused("REST endpoint down");
  const revived = await startUpstashLocal({ redisUrl: stack.redisServer.url, token: stack.upstashToken, port });
  stack.replaceUpstash(revived);
  check.that(sameKeys(before, await snapshot(stack)), "keys after the REST outage differ from before it");

  // 4. Back to normal: the refused single job, retried with its key, is created now (it never was before).
  const retried = await enqueueOne(refusedKey);
  check.equal(retried.status, 202, "retry of the refused job with its Idempotency-Key");
  check.that(retried.headers.get("idempotent-replayed") === null, "the retried job was new, not a replay");
  const fresh = await enqueueOne(randomUUID());
  check.equal(fresh.status, 202, "enqueue after recovery");
  const states = (await recordsOf(stack.redis, accepted)).map((record) => record[FIELD.state] ?? null);
  check.that(states.every((state) => state === "waiting"), `accepted jobs waiting: ${sample(states)}`);
  const records = await countJobRecords(stack.redis, "noop");
  check.equal(records, accepted.length, "job records == 202s");

  return {
    name: "redis-down",
    durationMs: Math.round(performance.now() - started),
    metrics: { acknowledged: accepted.length, lost: accepted.length - states.filter(Boolean).length, fiveXx },
    details: { requests, answers: seen },
    failures: check.failures,
  };
}

function safeJson(text: string): { code?: string } | undefined {
  try {
    return JSON.parse(text) as { code?: string };
  } catch {
    return undefined;
  }
}

function sameKeys(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((key, i) => key === b[i]);
}
