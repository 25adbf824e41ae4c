/**
 * The `twenty queues` case of the protocol conformance suite (registered by shared/test/protocol.test.ts for
 * every runner). On the cluster runner the twenty queues' hash tags land on all three masters, so each script
 * runs on a slot owner that differs from the last one's: a key built outside the queue's tag, or a runMany that
 * pipelines across slots, fails here and nowhere else. On a single Redis the same case checks the same calls.
 */
import type { Redis } from "ioredis";
import { expect, it } from "vitest";
import { queueKeys, type QueueKeys } from "../src/keys";
import { enqueueCall, parseEnqueueReply, prepareJob } from "../src/ops/enqueue";
import { claimCall, parseClaimReply, shortClaimCall } from "../src/ops/claim";
import { countThrottleCall, parseSettleReply, settleCall, type Settlement } from "../src/ops/settle";
import { FIELD } from "../src/record";
import { parseTickReply, tickCall } from "../src/ops/tick";
import { cancelJob, getStatus, listDead, parseStatsReply, progressCall, statsCall } from "../src/ops/read";
import { recoverCall } from "../src/ops/recover";
import { getJobDetail, getQueueDetail, listJobs, promoteJob, purgeDead, replayDead, retryJob, setLimits, setPaused } from "../src/ops/admin";
import { deleteSchedule, fireSchedule, readSchedules, upsertSchedules } from "../src/ops/schedules";
import { toSpec } from "../src/schedules/spec";
import { takeCallbacksCall } from "../src/ops/callbacks";
import { SCRIPTS } from "../src/generated/scripts";
import type { ScriptRunner } from "../src/script-runner";
import { job, T0 } from "./admin-fixtures";

export interface SpreadCaseContext {
  runner(): ScriptRunner;
  runnerName: string;
  /** The node that owns a key's slot (the one server on a single Redis) and its port. */
  nodeFor(key: string): Promise<{ direct: Redis; port: number }>;
}

const QUEUES = 20;

/** Records which scripts ran for which queue (every call's first key carries the queue's tag). */
function recordingRunner(inner: ScriptRunner) {
  const seen = new Map<string, Set<string>>();
  const note = (name: string, key: string | undefined) => {
    const tag = /\{([^}]+)\}/.exec(key ?? "")?.[1] ?? "";
    seen.set(tag, (seen.get(tag) ?? new Set()).add(name));
  };
  const runner: ScriptRunner = {
    run: (call) => (note(call.script.name, call.keys[0]), inner.run(call)),
    runMany: (calls) => (calls.forEach((call) => note(call.script.name, call.keys[0])), inner.runMany(calls)),
  };
  return { runner, seen };
}

const settlement = (entry: string, kind: Settlement["kind"]): Settlement => ({
  entry, recordId: entry, kind, payload: kind === "completed" ? '{"ok":1}' : '{"message":"boom"}', runAt: 0, ttlMs: 60_000,
});

export function spreadCases(ctx: SpreadCaseContext): void {
  it("twenty queues spread over every master: each script runs on each queue's slot owner", async () => {
    const { runner, seen } = recordingRunner(ctx.runner());
    const run = `spread-${ctx.runnerName}-${Date.now()}`;
    const all: QueueKeys[] = Array.from({ length: QUEUES }, (_, i) => queueKeys(`spread${i}`, run));
    const owners = await Promise.all(all.map((keys) => ctx.nodeFor(keys.wait)));
    if (ctx.runnerName === "cluster") expect(new Set(owners.map((o) => o.port)).size).toBe(3);

    // One runMany across all twenty slots: the cluster runner splits it into one pipeline per slot.
    const prepared = await Promise.all(all.map(async () => Promise.all([1, 2, 3].map((n) => prepareJob(job, { n })))));
    const replies = await runner.runMany(all.map((keys, i) => enqueueCall(keys, prepared[i]!, T0)));
    await Promise.all(
      all.map(async (keys, i) => {
        const ids = parseEnqueueReply(keys, replies[i], prepared[i]!).map((r) => r.localId);
        expect(ids).toEqual(prepared[i]!.map((p) => p.localId));
        const { direct } = owners[i]!;
        expect(await direct.llen(keys.wait)).toBe(3);
        await lifecycle(runner, keys, direct, ids as [string, string, string]);
      }),
    );

    const names = Object.values(SCRIPTS).map((script) => script.name).sort();
    for (const keys of all) expect([...(seen.get(keys.queue) ?? [])].sort()).toEqual(names);
  }, 60_000);
}

/** Every script once on one queue, each reply checked, inspected on the queue's own node. */
async function lifecycle(runner: ScriptRunner, keys: QueueKeys, direct: Redis, [done, dead, replayed]: [string, string, string]) {
  expect((await getStatus(runner, keys, done))?.state).toBe("waiting");
  const claimed = parseClaimReply(await runner.run(claimCall(keys, "w1", 3, { now: T0 })));
  expect(claimed.claimed.map((c) => c.entry)).toEqual([done, dead, replayed]);
  await runner.run(progressCall(keys, "w1", done, 50));
  expect(await direct.hget(keys.job(done), "p")).not.toBeNull();
  expect(Number(await runner.run(countThrottleCall(keys, "w1", done)))).toBe(1);
  expect(await direct.hget(keys.job(done), FIELD.throttles)).toBe("1");
  const settled = parseSettleReply(
    await runner.run(settleCall(keys, "w1", [settlement(done, "completed"), settlement(dead, "dead"), settlement(replayed, "dead")], T0 + 10)),
  );
  expect(settled).toEqual([true, true, true]);
  expect(parseTickReply(await runner.run(tickCall(keys, { workerId: "w1", leaseMs: 30_000, maxStalls: 1, deadTtlMs: 60_000 }, T0 + 20)))).toBeTruthy();
  expect(parseStatsReply(keys, await runner.run(statsCall(keys)))).toMatchObject({ dead: 2 });
  expect((await listJobs(runner, keys, { state: "completed", limit: 10 })).jobs.map((j) => j.id)).toEqual([`${keys.queue}.${done}`]);
  expect((await getJobDetail(runner, keys, done))?.state).toBe("completed");
  expect((await getQueueDetail(runner, keys, { minutes: 1, now: T0 + 30 })).name).toBe(keys.queue);
  expect((await listDead(runner, keys, { offset: 0, count: 10 })).jobs).toHaveLength(2);
  expect(await retryJob(runner, keys, dead, T0 + 40)).toMatchObject({ outcome: "moved" });
  expect(await replayDead(runner, keys, { ids: [`${keys.queue}.${replayed}`] })).toMatchObject({ replayed: 1 });
  expect(await direct.llen(keys.wait)).toBe(2);
  expect(await cancelJob(runner, keys, replayed, T0 + 50)).toMatchObject({ outcome: "cancelled" });
  expect(await purgeDead(runner, keys)).toEqual({ purged: 0 });
  await setPaused(runner, keys, true);
  expect(await direct.hget(keys.meta, "paused")).toBe("1");
  await setPaused(runner, keys, false);
  expect(await direct.exists(keys.wait)).toBe(1);
  const later = await prepareJob(job, { n: 4 }, { delayMs: 60_000 });
  await runner.run(enqueueCall(keys, [later], T0));
  // A job of the queue's own name with nothing else set: enqueueCall sends it to enqueue_short.
  const plain = { ...(await prepareJob(job, { n: 5 })), name: keys.queue };
  const plainCall = enqueueCall(keys, [plain], T0);
  expect(plainCall.script.name).toBe("enqueue_short");
  expect(parseEnqueueReply(keys, await runner.run(plainCall), [plain])).toMatchObject([{ localId: plain.localId, outcome: "created" }]);
  // The pickup of one BLMOVE'd id (claim_short): the retried job, oldest in wait (the delayed job's marker aside).
  await direct.lrem(keys.wait, 0, "~");
  expect(await direct.lmove(keys.wait, keys.active("w2"), "RIGHT", "LEFT")).toBe(dead);
  expect(parseClaimReply(await runner.run(shortClaimCall(keys, "w2", { moved: dead, now: T0 + 55 })!)).claimed.map((c) => c.entry)).toEqual([dead]);
  expect(await promoteJob(runner, keys, later.localId, T0 + 60)).toEqual({ outcome: "moved", state: "waiting" });
  await runner.run(recoverCall(keys, "w1", []));
  expect(await setLimits(runner, keys, { rateLimit: null, concurrency: null }, { concurrency: 3 })).toMatchObject({ concurrency: 3 });
  await upsertSchedules(runner, keys, [{ id: "s", spec: toSpec(keys.queue, { every: "2s", data: { n: 1 }, catchUp: "one" }, "code") }], "code", T0);
  const [due] = await readSchedules(runner, keys, { mode: "due", now: T0 + 2_010, limit: 10 });
  expect(await fireSchedule(runner, keys, due!, 3, T0 + 2_010)).toMatchObject({ fired: true, created: 1 });
  expect(await deleteSchedule(runner, keys, "s")).toBe(true);
  expect(await runner.run(takeCallbacksCall(keys))).toEqual([]);
}
