/**
 * The load generator: enqueues `noop` jobs through the edge over HTTP, as a careful client would, and records
 * every id that got a 202.
 *   - single jobs: `POST /v1/jobs/noop` with an Idempotency-Key; a 503 (or a network error) is retried with the
 *     same key after Retry-After, so a request that was written before its answer was lost maps to one job;
 *   - batches: `POST /v1/jobs/noop/batch`, also with an Idempotency-Key (one for the whole batch) and retried with
 *     it, so a batch applied after its 503 (Redis stalled, finding stalled-503-still-enqueues) maps to one set of
 *     jobs.
 * Any other answer than 202 or 503-with-Retry-After is recorded as unexpected.
 * Every other job carries a priority (1-10, from its index; the rest have the default), so the kills and faults
 * also hit jobs waiting in the priority zset, being claimed from it and handed back into it (issue 12). Every third
 * job belongs to one of 7 groups (issue 13), so they also hit group tokens in the ready list, per-group zsets and
 * the per-group running counts that reaps and recoveries must give back.
 */
import { randomUUID } from "node:crypto";
import { parseJobId } from "../../shared/src/ids";

/** Odd indexes get a priority 1-10, even ones the default. */
const priorityOf = (index: number): number | undefined => (index % 2 === 1 ? 1 + ((index >> 1) % 10) : undefined);
/** Every third index gets one of 7 groups, the rest none. */
const groupOf = (index: number): string | undefined => (index % 3 === 0 ? `tenant-${(index / 3) % 7}` : undefined);

/** A job's options as the batch route takes them (absent when it has none). */
function optionsOf(index: number): { priority?: number; group?: string } | undefined {
  const priority = priorityOf(index);
  const group = groupOf(index);
  if (priority === undefined && group === undefined) return undefined;
  return { ...(priority === undefined ? {} : { priority }), ...(group === undefined ? {} : { group }) };
}

export interface LoadOptions {
  edgeUrl: string;
  apiKey: string;
  /** Jobs to get acknowledged. */
  jobs: number;
  /** Share of jobs sent through the batch route (0–1). */
  batchShare: number;
  /** Batches hold 2 to maxBatch items. */
  maxBatch: number;
  /** Requests in flight. */
  concurrency: number;
  /** Jobs per second to aim for (pacing); unlimited when absent. */
  ratePerSec?: number;
  /** Called with each acknowledged id as its 202 arrives. */
  onAck?: (id: string) => void;
  /** Stops sending (requests in flight are abandoned); what was acknowledged so far is returned. */
  signal?: AbortSignal;
  /** A request still refused (503 / no answer) after this long is given up and counted as unexpected. Default 60 s. */
  giveUpAfterMs?: number;
}

export interface UnexpectedAnswer {
  route: "single" | "batch";
  status: number;
  contentType: string | null;
  body: string;
}

export interface LoadResult {
  acked: string[];
  requests: number;
  /** 503 answers (all with Retry-After and problem+json, else they are in `unexpected`), retried. */
  retried503: number;
  /** Requests that failed without an answer (connection reset…), retried. */
  networkErrors: number;
  /** Batches re-sent after a 503: if the first attempt was in fact written, its jobs exist un-acknowledged. */
  batchResends: number;
  unexpected: UnexpectedAnswer[];
  durationMs: number;
}

type Unit = { kind: "single"; index: number } | { kind: "batch"; first: number; size: number };

function plan(options: LoadOptions): Unit[] {
  const units: Unit[] = [];
  let index = 0;
  while (index < options.jobs) {
    const left = options.jobs - index;
    if (Math.random() < options.batchShare && left >= 2) {
      const size = Math.min(left, 2 + Math.floor(Math.random() * (options.maxBatch - 1)));
      units.push({ kind: "batch", first: index, size });
      index += size;
    } else {
      units.push({ kind: "single", index });
      index += 1;
    }
  }
  return units;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function generateLoad(options: LoadOptions): Promise<LoadResult> {
  const started = performance.now();
  const units = plan(options);
  const result: LoadResult = { acked: [], requests: 0, retried503: 0, networkErrors: 0, batchResends: 0, unexpected: [], durationMs: 0 };
  let sentJobs = 0;

  const ack = (id: unknown) => {
    if (typeof id !== "string" || !parseJobId(id)) throw new Error(`202 with an invalid job id: ${JSON.stringify(id)}`);
    result.acked.push(id);
    options.onAck?.(id);
  };

  /** Sends until the answer is final; returns the parsed 202 body, or undefined after an unexpected answer. */
  const giveUpAfterMs = options.giveUpAfterMs ?? 60_000;
  async function send(route: "single" | "batch", path: string, body: string, headers: Record<string, string>): Promise<any> {
    const firstSent = performance.now();
    for (;;) {
      if (options.signal?.aborted) return undefined;
      if (performance.now() - firstSent > giveUpAfterMs) {
        result.unexpected.push({ route, status: 0, contentType: null, body: `still refused after ${giveUpAfterMs} ms` });
        return undefined;
      }
      result.requests += 1;
      let response: Response;
      try {
        const timeout = AbortSignal.timeout(30_000);
        response = await fetch(`${options.edgeUrl}${path}`, {
          method: "POST",
          headers: { authorization: `Bearer ${options.apiKey}`, "content-type": "application/json", ...headers },
          body,
          signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
        });
      } catch {
        if (options.signal?.aborted) return undefined;
        result.networkErrors += 1;
        if (route === "batch") result.batchResends += 1;
        await sleep(200);
        continue;
      }
      const text = await response.text();
      const contentType = response.headers.get("content-type");
      if (response.status === 202) return JSON.parse(text);
      const retryAfter = Number(response.headers.get("retry-after"));
      if (response.status === 503 && retryAfter > 0 && contentType === "application/problem+json") {
        result.retried503 += 1;
        if (route === "batch") result.batchResends += 1;
        await sleep(retryAfter * 1_000);
        continue;
      }
      result.unexpected.push({ route, status: response.status, contentType, body: text.slice(0, 500) });
      return undefined;
    }
  }

  async function run(unit: Unit): Promise<void> {
    const size = unit.kind === "single" ? 1 : unit.size;
    if (options.ratePerSec) {
      const due = started + (sentJobs / options.ratePerSec) * 1_000;
      sentJobs += size;
      if (due > performance.now()) await sleep(due - performance.now());
    }
    if (unit.kind === "single") {
      const query = new URLSearchParams(Object.entries(optionsOf(unit.index) ?? {}).map(([name, value]): [string, string] => [name, String(value)])).toString();
      const body = await send("single", `/v1/jobs/noop${query ? `?${query}` : ""}`, JSON.stringify({ i: unit.index }), { "idempotency-key": randomUUID() });
      if (body) ack(body.id);
    } else {
      const items = Array.from({ length: unit.size }, (_, k) => {
        const options = optionsOf(unit.first + k);
        return options === undefined ? { data: { i: unit.first + k } } : { data: { i: unit.first + k }, options };
      });
      const body = await send("batch", "/v1/jobs/noop/batch", JSON.stringify(items), { "idempotency-key": randomUUID() });
      if (body) {
        if (!Array.isArray(body.jobs) || body.jobs.length !== unit.size) throw new Error(`batch 202 with ${body.jobs?.length} jobs for ${unit.size} items`);
        for (const job of body.jobs) ack(job.id);
      }
    }
  }

  let next = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < units.length && !options.signal?.aborted) await run(units[next++]!);
    }),
  );
  result.durationMs = Math.round(performance.now() - started);
  return result;
}
