/** Probes for bugs in the Lua protocol (shared/scripts). */
import { newLocalId } from "../../../shared/src/ids";
import { waitFor } from "../../test/wait-for";
import { noopWorker, probeRedis, whereIs, type Probe } from "./support";

/**
 * An id BLMOVE has moved into a worker's in-flight list stays `waiting` in its record until that worker's next
 * `claim` marks it active. `tick.lua` hands back only entries whose record is `active` (or missing) and then
 * DELs the whole list, so an entry still `waiting` is dropped: it is in no list, and nothing will ever run it.
 * Two ways to get there: the worker is SIGKILLed between its BLMOVE and its claim (the reap drops it), or it is
 * stopped while the BLMOVE reply is on its way (`stopFetching` discards the reply; the stop tick drops it, though
 * queue-worker.ts says "the final tick hands it back"). The window is not small: after BLMOVE returns, lane 0
 * waits for a free slot before its claim takes the moved id, so with every slot busy the id sits unclaimed for
 * as long as a running job takes. In the full chaos run 11 of 10,000 jobs were lost this way over 52 SIGKILLs
 * (and 1 of 3,300 in the network run, where a stall past the lease let another worker reap the list).
 */
export const tickDropsUnclaimedEntries: Probe = {
  id: "tick-drops-unclaimed-entries",
  title: "A job BLMOVE'd into an in-flight list but not yet claimed is lost when that list is reaped or handed back",
  area: "protocol",
  status: "fixed",
  fixedBy: "6d95094",
  async run() {
    const r = await probeRedis();
    const evidence: string[] = [];
    let lost = 0;
    try {
      // 1. Reap: worker "A" did its BLMOVE and was SIGKILLed before its claim; its lease has expired.
      const reaped = await r.enqueueNoop({ case: "reap" });
      await r.redis.blmove(r.keys.wait, r.keys.active("A"), "RIGHT", "LEFT", 1);
      await r.redis.zadd(r.keys.workers, Date.now() - 1, "A");
      const b = noopWorker(r.server.url, { leaseMs: 1_000 });
      await b.worker.start(); // its first tick reaps A
      await waitFor(async () => (await r.redis.zscore(r.keys.workers, "A")) === null, { what: "A to be reaped" });
      await waitFor(async () => (await r.redis.hget(r.keys.job(reaped), "s")) === "completed", { timeoutMs: 3_000, what: "" }).catch(() => {});
      const afterReap = await whereIs(r.redis, r.keys, reaped);
      if (afterReap.state === "waiting" && afterReap.lists.length === 0) lost += 1;
      evidence.push(`reaped: state ${afterReap.state}, in ${afterReap.lists.join(",") || "no list"}`);

      // 2. Clean stop with a BLMOVE'd entry whose reply the stop discarded.
      const stopped = newLocalId();
      await r.redis.hset(r.keys.job(stopped), { v: "1", n: "noop", d: "{}", s: "waiting", a: "0", m: "3", c: String(Date.now()) });
      await r.redis.lpush(r.keys.active(b.worker.id), stopped);
      await b.worker.stop();
      const afterStop = await whereIs(r.redis, r.keys, stopped);
      if (afterStop.state === "waiting" && afterStop.lists.length === 0) lost += 1;
      evidence.push(`stopped: state ${afterStop.state}, in ${afterStop.lists.join(",") || "no list"}`);
      return { reproduced: lost > 0, evidence: `${lost} of 2 jobs lost (record "waiting", in no list): ${evidence.join("; ")}` };
    } finally {
      await r.close();
    }
  },
};

/**
 * `claim.lua`, `recover.lua` and `tick.lua` read records with HMGET / HGET. A key under the job prefix that holds
 * anything but a hash (a stray SET by a person or another program) makes them raise WRONGTYPE and abort midway
 * (Redis does not roll back a failed script):
 *   - the claim fails after its LMOVE, leaving the entry in the worker's in-flight list; if recovery runs, it
 *     LREMs the entry and then fails, so the entry silently disappears (not dead-lettered);
 *   - if the worker stops or dies before that (its stop tick fails on the same HGET: exit 1), the entry stays
 *     in its in-flight list, and once its lease lapses every other worker's tick fails while reaping it: no
 *     worker refreshes its lease or reaps a dead worker any more, queue-wide, until someone deletes the key.
 * The probe sets up that last state directly: worker "A" expired with such an entry in its list.
 */
export const wrongTypeBlocksQueue: Probe = {
  id: "wrong-type-key-breaks-ticks",
  title: "A job key that is not a hash, left in a dead worker's in-flight list, makes every other worker's lease tick fail",
  area: "protocol",
  status: "fixed",
  fixedBy: "6d95094",
  async run() {
    const r = await probeRedis();
    const survivor = noopWorker(r.server.url, { leaseMs: 1_000 });
    try {
      const bad = newLocalId();
      await r.redis.set(r.keys.job(bad), "not a hash");
      await r.redis.lpush(r.keys.active("A"), bad);
      await r.redis.zadd(r.keys.workers, Date.now() - 1, "A");
      await survivor.worker.start();
      const tickFailures = () => survivor.logs.filter((line) => line.msg.startsWith("lease tick failed") && line.err?.message?.includes("WRONGTYPE")).length;
      // Whichever comes first: A reaped and our lease written (fixed), or repeated tick failures (the bug).
      await waitFor(
        async () => tickFailures() >= 3 || ((await r.redis.zscore(r.keys.workers, "A")) === null && (await r.redis.zscore(r.keys.workers, survivor.worker.id)) !== null) || undefined,
        { timeoutMs: 10_000, what: "" },
      ).catch(() => {});
      const lease = Number(await r.redis.zscore(r.keys.workers, survivor.worker.id));
      return {
        reproduced: tickFailures() > 0,
        evidence: `the live worker's lease ticks failed ${tickFailures()} times with WRONGTYPE; its lease ${lease === 0 ? "was never written (its first tick failed)" : lease > Date.now() ? "is current" : `expired ${Date.now() - lease} ms ago`}; dead worker A still registered: ${(await r.redis.zscore(r.keys.workers, "A")) !== null}`,
      };
    } finally {
      await survivor.worker.stop().catch(() => {});
      await r.close();
    }
  },
};
