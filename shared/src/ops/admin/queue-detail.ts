/**
 * getQueueDetail: the queue page in one script call (queue_detail.lua): counts by state, paused, all-time
 * counters, workers and the per-minute history. The buckets come back raw (only the minutes that have one)
 * and are turned into means and percentiles here, so the histogram bounds exist in one place (HISTORY_BINS_MS).
 */
import type { QueueKeys } from "../../keys";
import { pairsToObject } from "../../record";
import { scriptCall, type ScriptCall, type ScriptRunner } from "../../script-runner";
import { parseStoredFlow } from "./limits";
import { stateIndexKeys } from "./state-keys";
import { HISTORY_BINS_MS, HISTORY_MINUTES, type HistoryBucket, type QueueDetail, type QueueWorkerInfo } from "./types";

const MINUTE_MS = 60_000;

export function queueDetailCall(keys: QueueKeys, firstMinute: number, minutes: number): ScriptCall {
  return scriptCall("queue_detail", { ...stateIndexKeys(keys), stats: keys.stats }, [
    keys.activePrefix,
    keys.historyPrefix,
    firstMinute,
    minutes,
  ]);
}

/**
 * The 95th percentile as the upper bound of the bin that holds it. When it falls in the open last bin
 * (`rb15`, runs longer than the last bound) there is no upper bound: we report the last bound (60,000 ms),
 * which then reads as "at least 60 s".
 */
export function p95FromBins(bins: readonly number[]): number | null {
  const total = bins.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const target = Math.ceil(total * 0.95);
  let seen = 0;
  for (let i = 0; i < bins.length; i++) {
    seen += bins[i]!;
    if (seen >= target) return HISTORY_BINS_MS[Math.min(i, HISTORY_BINS_MS.length - 1)]!;
  }
  return HISTORY_BINS_MS[HISTORY_BINS_MS.length - 1]!;
}

export function bucketFromFields(minute: number, fields: Record<string, string> | undefined): HistoryBucket {
  const count = (name: string) => Number(fields?.[name] ?? 0) || 0;
  const runCount = count("runCount");
  const bins = Array.from({ length: HISTORY_BINS_MS.length + 1 }, (_, i) => count(`rb${i}`));
  return {
    minute: new Date(minute * MINUTE_MS).toISOString(),
    completed: count("completed"),
    failed: count("failed"),
    dead: count("dead"),
    waiting: fields?.waiting === undefined ? null : Number(fields.waiting),
    runMsMean: runCount > 0 ? count("runSum") / runCount : null,
    runMsP95: p95FromBins(bins),
  };
}

type DetailReply = [number, number, number, number, number, number, number, number, unknown[], unknown[], unknown[], unknown[], number?, unknown[]?];

export function parseQueueDetailReply(keys: QueueKeys, reply: unknown, firstMinute: number, minutes: number): QueueDetail {
  const [paused, waitLen, pausedLen, markers, delayed, completed, cancelled, dead, counters, workerFlat, historyFlat, flow, prioLen, groups] =
    reply as DetailReply;
  const totals = pairsToObject(counters ?? []);
  const workers: QueueWorkerInfo[] = [];
  for (let i = 0; i + 2 < workerFlat.length; i += 3) {
    workers.push({
      id: String(workerFlat[i]),
      leaseExpiresAt: new Date(Number(workerFlat[i + 1])).toISOString(),
      inFlight: Number(workerFlat[i + 2]),
    });
  }
  const buckets = new Map<number, Record<string, string>>();
  for (let i = 0; i + 1 < historyFlat.length; i += 2) {
    buckets.set(Number(historyFlat[i]), pairsToObject(historyFlat[i + 1] as unknown[]));
  }
  const history: HistoryBucket[] = [];
  for (let minute = firstMinute; minute < firstMinute + minutes; minute++) {
    history.push(bucketFromFields(minute, buckets.get(minute)));
  }
  return {
    name: keys.queue,
    paused: Number(paused) === 1,
    counts: {
      // The lists (less their wake markers) and the priority zset.
      // Jobs of groups wait in their groups' zsets, counted in meta; each such group has one token in the lists.
      waiting:
        Math.max(0, Number(waitLen) + Number(pausedLen) - Number(markers)) +
        Number(prioLen ?? 0) +
        Math.max(0, Number(groups?.[0] || 0) - Number(groups?.[1] || 0)),
      delayed: Number(delayed),
      active: workers.reduce((sum, worker) => sum + worker.inFlight, 0),
      completed: Number(completed),
      dead: Number(dead),
      cancelled: Number(cancelled),
    },
    totals: {
      completed: Number(totals.completed ?? 0),
      failed: Number(totals.failed ?? 0),
      dead: Number(totals.dead ?? 0),
      stalled: Number(totals.stalled ?? 0),
    },
    workers,
    history,
    flow: parseStoredFlow(flow),
  };
}

/**
 * `minutes` (default 60) is clamped to 1..HISTORY_MINUTES; the history ends with the minute holding `now`.
 * @example
 * const detail = await getQueueDetail(runner, queueKeys("webhook"), { minutes: 60 });
 */
export async function getQueueDetail(
  runner: ScriptRunner,
  keys: QueueKeys,
  options: { minutes?: number; now?: number } = {},
): Promise<QueueDetail> {
  const asked = Number.isFinite(options.minutes) ? Math.floor(options.minutes!) : 60;
  const minutes = Math.min(HISTORY_MINUTES, Math.max(1, asked));
  const lastMinute = Math.floor((options.now ?? Date.now()) / MINUTE_MS);
  const firstMinute = lastMinute - minutes + 1;
  const reply = await runner.run(queueDetailCall(keys, firstMinute, minutes));
  return parseQueueDetailReply(keys, reply, firstMinute, minutes);
}
