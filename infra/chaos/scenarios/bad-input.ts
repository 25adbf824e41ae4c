/**
 * Bad input at the edge, property-based. No workers run, so Redis changes only when the edge writes. For every
 * generated request (bad-input-arbitraries.ts):
 *   - never a 5xx, and always an answer;
 *   - every error is problem+json whose `status` is the HTTP status;
 *   - a refused request leaves Redis exactly as it was (key count, wait lists, delayed sets);
 *   - a 202 wrote jobs that a worker can read back: the record decodes into an envelope and the payload passes
 *     its job's schema (what the edge accepts, the worker must too).
 * Violations are collected (not thrown at the first) so the run reports all of them with their inputs.
 */
import fc from "fast-check";
import { envelopeFromClaim } from "../../../shared/src/envelope";
import { parseJobId } from "../../../shared/src/ids";
import { findJob, JOBS } from "../../../shared/src/jobs/index";
import { queueKeys } from "../../../shared/src/keys";
import { recordsOf } from "../audit";
import { badRequest, KEY, type BadRequest } from "../bad-input-arbitraries";
import { rawRequest } from "../raw-http";
import { Checks, type ScenarioResult } from "../result";
import type { ChaosStack } from "../stack";

export interface BadInputParams {
  runs: number;
  seed?: number;
}

interface Answer {
  status: number;
  /** `Idempotent-Replayed: true`: a 202 that rightly wrote nothing. */
  replayed: boolean;
  contentType: string | null;
  body: string;
}

const QUEUES = Object.keys(JOBS);

async function snapshot(stack: ChaosStack): Promise<string> {
  const pipeline = stack.redis.pipeline().dbsize();
  for (const queue of QUEUES) pipeline.llen(queueKeys(queue).wait).zcard(queueKeys(queue).delayed).zcard(queueKeys(queue).prio);
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([, value]) => String(value)).join(" ");
}

async function send(stack: ChaosStack, request: BadRequest): Promise<Answer | undefined> {
  if (request.raw) {
    const body = Buffer.from(request.body ?? new Uint8Array());
    const head = Buffer.from(
      `${request.method} ${request.path} HTTP/1.1\r\nhost: edge\r\nauthorization: Bearer ${stack.apiKey}\r\n` +
        `content-type: application/json\r\ncontent-length: ${body.length}\r\n${request.headers.extra}`,
      "latin1",
    );
    const answer = await rawRequest(stack.edgeUrl, head, body);
    return answer && { status: answer.status, replayed: answer.headers["idempotent-replayed"] === "true", contentType: answer.headers["content-type"] ?? null, body: answer.body };
  }
  const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, value.replaceAll(KEY, stack.apiKey)]));
  const response = await fetch(`${stack.edgeUrl}${request.path}`, {
    method: request.method,
    headers,
    body: request.body,
    redirect: "manual",
    signal: AbortSignal.timeout(20_000),
  });
  return { status: response.status, replayed: response.headers.get("idempotent-replayed") === "true", contentType: response.headers.get("content-type"), body: await response.text() };
}

/** Ids in a 202 body (single or batch). */
function acceptedIds(body: string): string[] {
  const parsed = JSON.parse(body) as { id?: string; jobs?: { id: string }[] };
  return parsed.jobs ? parsed.jobs.map((job) => job.id) : parsed.id ? [parsed.id] : [];
}

/** Reads the record as a worker's claim would, and validates the payload as the worker would. */
async function readableByWorker(stack: ChaosStack, id: string): Promise<string | undefined> {
  const parsed = parseJobId(id);
  if (!parsed) return `202 with a malformed id ${id}`;
  // Wherever the record is (a hash, or packed while the job is fresh), as the status script reads it.
  const [record = {}] = await recordsOf(stack.redis, [id]);
  const [v, n, d, m, o, c, k] = (["v", "n", "d", "m", "o", "c", "k"] as const).map((field) => record[field] ?? null);
  if (v === null) return `202 but no record for ${id}`;
  const decoded = envelopeFromClaim(parsed.queue, parsed.localId, [v, n, d, "1", m, o, c, k]);
  if (!decoded.ok) return `202 but a worker could not read ${id}: ${decoded.problem.reason} ${decoded.problem.message}`;
  const definition = findJob(JOBS, decoded.envelope.name);
  const valid = definition?.schema.safeParse(decoded.envelope.data);
  if (!valid?.success) return `202 but a worker would reject the payload of ${id} (invalid_payload): ${d?.slice(0, 200)}`;
  return undefined;
}

function describe(request: BadRequest): string {
  const body = request.body ? Buffer.from(request.body) : undefined;
  const shown = body ? (body.length > 120 ? `${body.subarray(0, 120).toString("latin1")}… (${body.length} bytes)` : body.toString("latin1")) : "";
  return `${request.method} ${request.path.slice(0, 150)} ${JSON.stringify(request.headers).slice(0, 200)} ${shown}`;
}

export async function runBadInputScenario(stack: ChaosStack, params: BadInputParams): Promise<ScenarioResult> {
  const started = performance.now();
  await stack.reset();
  const check = new Checks();
  const violations: string[] = [];
  const byKind: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  const timeByKind: Record<string, number> = {};
  let tried = 0;
  let fiveXx = 0;
  let accepted = 0;
  let noAnswer = 0;
  const seed = params.seed ?? Date.now() % 2 ** 31;

  const property = fc.asyncProperty(badRequest, async (request) => {
    tried += 1;
    byKind[request.kind] = (byKind[request.kind] ?? 0) + 1;
    const before = await snapshot(stack);
    let answer: Answer | undefined;
    const sentAt = performance.now();
    try {
      answer = await send(stack, request);
      const ms = performance.now() - sentAt;
      timeByKind[request.kind] = (timeByKind[request.kind] ?? 0) + ms;
    } catch (error) {
      answer = undefined;
      if (!request.raw) violations.push(`no answer (${(error as Error).message}): ${describe(request)}`);
    }
    const after = await snapshot(stack);
    if (!answer) {
      noAnswer += 1;
      if (before !== after) violations.push(`unanswered request changed Redis: ${describe(request)}`);
      return true;
    }
    byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1;
    const fail = (what: string) => violations.push(`${what} — ${answer.status} ${answer.body.slice(0, 200)} — for ${describe(request)}`);
    if (answer.status >= 500) {
      fiveXx += 1;
      fail("5xx");
    }
    if (answer.status === 202) {
      accepted += 1;
      if (before === after && !answer.replayed) fail("202 but nothing written");
      for (const id of acceptedIds(answer.body)) {
        const problem = await readableByWorker(stack, id);
        if (problem) fail(problem);
      }
    } else {
      if (before !== after) fail(`refused, yet Redis changed (${before} → ${after})`);
      if (answer.status >= 400 && request.method !== "HEAD") {
        const problem = safeJson(answer.body) as { status?: number; type?: string; title?: string; code?: string } | undefined;
        // Some refusals never reach the app: workerd's own HTTP parser answers malformed header bytes.
        const fromHttpLayer = request.raw && answer.status === 400 && !problem;
        if (!fromHttpLayer && (answer.contentType !== "application/problem+json" || problem?.status !== answer.status || !problem?.type || !problem?.code)) {
          fail(`error is not problem+json (${answer.contentType})`);
        }
      } else if (request.method !== "GET" && request.method !== "HEAD" && request.method !== "OPTIONS") {
        fail(`unexpected ${answer.status} for a write`);
      }
    }
    return true;
  });
  await fc.assert(property, { numRuns: params.runs, seed, endOnFailure: true });

  check.that(violations.length === 0, `${violations.length} violations; first: ${violations.slice(0, 5).join(" | ")}`);
  return {
    name: "bad-input",
    durationMs: Math.round(performance.now() - started),
    metrics: { badInputsTried: tried, fiveXx },
    details: { seed, accepted, msByKind: Object.fromEntries(Object.entries(timeByKind).map(([k, ms]) => [k, Math.round(ms / (byKind[k] ?? 1))])), noAnswerFromHttpLayer: noAnswer, byKind, byStatus, violations: violations.slice(0, 20) },
    failures: check.failures,
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
