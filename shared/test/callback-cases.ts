/**
 * The `completion callbacks` cases of the protocol conformance suite (registered by shared/test/protocol.test.ts
 * inside its per-client `describe.each`): the entry the settle scripts leave in `{q}:callbacks` (completed, dead,
 * a stall death; never a retry; only the outcomes `callbackOn` names), and the idempotent move into the
 * `callback` queue, which under the cluster runner lives in another slot (often another master).
 */
import { expect, it } from "vitest";
import { z } from "zod";
import type { AdminCaseContext } from "./admin-cases";
import { callbackLocalId } from "../src/callbacks";
import { defineJob } from "../src/job-definition";
import { callbackJob } from "../src/jobs/callback";
import { queueKeys } from "../src/keys";
import { enqueue, prepareJob, type EnqueueOptions } from "../src/ops/enqueue";
import { claimCall, parseClaimReply } from "../src/ops/claim";
import { settleCall, parseSettleReply, recordedCallbacks, type Settlement } from "../src/ops/settle";
import { parseTickReply, tickCall } from "../src/ops/tick";
import { getStatus, statusCall } from "../src/ops/read";
import { listJobs } from "../src/ops/admin";
import { moveCallbacks } from "../src/ops/callbacks";
import { fireSchedule, readSchedules, upsertSchedules } from "../src/ops/schedules";
import { toSpec } from "../src/schedules/spec";

const job = defineJob({ name: "proto", schema: z.object({ n: z.number() }), maxAttempts: 3 });
const T0 = 1_800_000_000_000;
const URL = "https://receiver.example.com/done";

export function callbackCases(ctx: AdminCaseContext): void {
  const keys = () => ctx.keys();
  // The callback queue under the same prefix as this case's queue (another hash tag, so another slot).
  const callbackKeys = () => queueKeys("callback", keys().jobPrefix.slice(0, -"{proto}:job:".length - 1));
  const target = () => ({ keys: callbackKeys(), definition: callbackJob });
  const callbacks = () => ctx.direct().hgetall(keys().callbacks);

  /** Enqueues one job and claims it as worker "w"; returns its local id. */
  const running = async (options: EnqueueOptions = {}) => {
    const [created] = await enqueue(ctx.runner(), keys(), [await prepareJob(job, { n: 1 }, options)], T0);
    await ctx.runner().run(claimCall(keys(), "w", 1, { now: T0 }));
    return created!.localId;
  };
  const settlement = (entry: string, kind: Settlement["kind"], extra: Partial<Settlement> = {}): Settlement => ({
    entry, recordId: entry, kind, payload: kind === "completed" ? '{"ok":1}' : '{"message":"boom"}', runAt: T0 + 1_000, ttlMs: 60_000, ...extra,
  });
  const settleRaw = (settlements: Settlement[]) => ctx.runner().run(settleCall(keys(), "w", settlements, T0 + 10));

  it("a completion with a callback leaves <id>:completed -> URL in the same settle call (flag 2); one without leaves nothing", async () => {
    const withCallback = await running({ callback: URL });
    const without = await running();
    const reply = await settleRaw([settlement(withCallback, "completed"), settlement(without, "completed")]);
    expect(reply).toEqual([2, 1]);
    expect(parseSettleReply(reply)).toEqual([true, true]);
    expect(recordedCallbacks(reply)).toBe(true);
    expect(await callbacks()).toEqual({ [`${withCallback}:completed`]: URL });
  });

  it("a dead settlement records <id>:dead; a retry records nothing", async () => {
    const retried = await running({ callback: URL });
    const dead = await running({ callback: URL });
    const reply = await settleRaw([settlement(retried, "retry"), settlement(dead, "dead")]);
    expect(reply).toEqual([1, 2]);
    expect(await callbacks()).toEqual({ [`${dead}:dead`]: URL });
    expect(await getStatus(ctx.runner(), keys(), retried)).toMatchObject({ state: "delayed" });
  });

  it("callbackOn decides: [dead] skips a completion, [completed] skips a death", async () => {
    const onlyDead = await running({ callback: URL, callbackOn: ["dead"] });
    const onlyCompleted = await running({ callback: URL, callbackOn: ["completed"] });
    const reply = await settleRaw([settlement(onlyDead, "completed"), settlement(onlyCompleted, "dead")]);
    expect(reply).toEqual([1, 1]);
    expect(await callbacks()).toEqual({});
    // And each records the outcome it names.
    const a = await running({ callback: URL, callbackOn: ["dead"] });
    const b = await running({ callback: URL, callbackOn: ["completed"] });
    expect(await settleRaw([settlement(a, "dead"), settlement(b, "completed")])).toEqual([2, 2]);
    expect(Object.keys(await callbacks()).sort()).toEqual([`${a}:dead`, `${b}:completed`].sort());
  });

  it("a definition's default callback applies unless the request names its own", async () => {
    const withDefault = defineJob({ name: "proto", schema: z.object({ n: z.number() }), callback: { url: "https://default.example.com/", on: ["dead"] } });
    const [a, b] = await enqueue(ctx.runner(), keys(), [
      await prepareJob(withDefault, { n: 1 }),
      await prepareJob(withDefault, { n: 2 }, { callback: URL }),
    ], T0);
    await ctx.runner().run(claimCall(keys(), "w", 2, { now: T0 }));
    // The default asks for `dead` only; the request's own callback means both.
    expect(await settleRaw([settlement(a!.localId, "completed"), settlement(b!.localId, "completed")])).toEqual([1, 2]);
    expect(await callbacks()).toEqual({ [`${b!.localId}:completed`]: URL });
  });

  it("a definition's default callback reaches the jobs its schedules create too", async () => {
    const withDefault = defineJob({ name: "proto", schema: z.object({ n: z.number() }), callback: { url: URL, on: ["dead"] } });
    await upsertSchedules(ctx.runner(), keys(), [{ id: "s", spec: toSpec("proto", { every: "2s", data: { n: 1 }, catchUp: "one" }, "code") }], "code", T0);
    const [due] = await readSchedules(ctx.runner(), keys(), { mode: "due", now: T0 + 2_010, limit: 10 });
    expect(await fireSchedule(ctx.runner(), keys(), due!, withDefault, T0 + 2_010)).toMatchObject({ fired: true, created: 1 });
    const [tickJob] = await ctx.direct().lrange(keys().wait, 0, -1);
    expect(JSON.parse((await ctx.direct().hget(keys().job(tickJob!), "o"))!)).toEqual({ callback: URL, callbackOn: ["dead"] });
  });

  it("a claim carrying the settlement reports it; a stall death records it and every tick reports what is left", async () => {
    const carried = await running({ callback: URL });
    const reply = parseClaimReply(await ctx.runner().run(claimCall(keys(), "w", 1, { now: T0 + 10, settlements: [settlement(carried, "completed")] })));
    expect(reply.callbacksRecorded).toBe(true);

    const stalled = await running({ callback: URL });
    const tick = async (worker: string, now: number) =>
      parseTickReply(await ctx.runner().run(tickCall(keys(), { workerId: worker, leaseMs: 1_000, maxStalls: 0, deadTtlMs: 60_000 }, now)));
    await tick("w", T0); // registers "w", whose lease then lapses with the job in its in-flight list
    const reaping = await tick("peer", T0 + 5_000);
    expect(reaping).toMatchObject({ dead: 1, callbacksPending: true });
    expect(Object.keys(await callbacks()).sort()).toEqual([`${carried}:completed`, `${stalled}:dead`].sort());

    await moveCallbacks(ctx.runner(), keys(), target());
    expect((await tick("peer", T0 + 6_000)).callbacksPending).toBe(false);
  });

  it("moving creates one callback job per entry, with the derived id and the job's producer status, and forgets the entry", async () => {
    const id = await running({ callback: URL });
    await settleRaw([settlement(id, "dead", { payload: '{"message":"boom","stack":"Error: boom\\n    at /srv/x.js:1"}' })]);
    expect(await moveCallbacks(ctx.runner(), keys(), target())).toBe(1);
    expect(await callbacks()).toEqual({});
    const localId = await callbackLocalId(`proto.${id}`, "dead");
    const callback = await getStatus(ctx.runner(), callbackKeys(), localId);
    expect(callback).toMatchObject({ name: "callback", state: "waiting", maxAttempts: callbackJob.maxAttempts });
    const data = JSON.parse(String(await readData(localId)));
    expect(data).toMatchObject({ url: URL, outcome: "dead", status: { id: `proto.${id}`, state: "dead", error: { message: "boom" } } });
    expect(data.status.error.stack).toBeUndefined(); // receivers see what a producer key sees
  });

  it("a mover that dies after its enqueue, and two movers at once, still make exactly one callback job", async () => {
    const ids = [await running({ callback: URL }), await running({ callback: URL }), await running({ callback: URL })];
    await settleRaw(ids.map((id) => settlement(id, "completed")));
    // Dies after the enqueue was answered, before it forgot the entries (the worker was SIGKILLed there).
    const dying = moveCallbacks(ctx.runner(), keys(), target(), { chunk: 2, afterEnqueue: () => Promise.reject(new Error("SIGKILL")) });
    await expect(dying).rejects.toThrow("SIGKILL");
    expect(Object.keys(await callbacks())).toHaveLength(3); // nothing forgotten
    // Whoever comes next (a tick of any worker), twice at once: the ids are derived, so the jobs exist once.
    const [first, second] = await Promise.all([moveCallbacks(ctx.runner(), keys(), target()), moveCallbacks(ctx.runner(), keys(), target())]);
    expect(first + second).toBe(1); // 2 were created by the mover that died
    expect(await callbacks()).toEqual({});
    const localIds = await Promise.all(ids.map((id) => callbackLocalId(`proto.${id}`, "completed")));
    const statuses = await Promise.all(localIds.map((localId) => getStatus(ctx.runner(), callbackKeys(), localId)));
    expect(statuses.map((status) => status?.state)).toEqual(["waiting", "waiting", "waiting"]);
    expect(await waitingCallbacks()).toHaveLength(3);
  });

  it("an entry whose record expired still moves, with the outcome as its state", async () => {
    const id = await running({ callback: URL });
    await settleRaw([settlement(id, "completed")]);
    await ctx.direct().del(keys().job(id));
    expect(await moveCallbacks(ctx.runner(), keys(), target())).toBe(1);
    const data = JSON.parse(String(await readData(await callbackLocalId(`proto.${id}`, "completed"))));
    expect(data.status).toMatchObject({ id: `proto.${id}`, state: "completed", result: null });
  });

  // The callback queue may live on another master: read it through the runner, never `direct`.
  async function readData(localId: string): Promise<unknown> {
    const flat = (await ctx.runner().run(statusCall(callbackKeys(), localId))) as string[];
    const index = flat.findIndex((value, i) => i % 2 === 0 && value === "d");
    return index >= 0 ? flat[index + 1] : undefined;
  }
  async function waitingCallbacks(): Promise<string[]> {
    const page = await listJobs(ctx.runner(), callbackKeys(), { state: "waiting", limit: 50 });
    return page.jobs.map((entry) => entry.id);
  }
}
