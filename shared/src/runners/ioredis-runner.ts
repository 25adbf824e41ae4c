/**
 * ScriptRunner over ioredis: EVALSHA first (the script body is sent once per Redis lifetime), EVAL when Redis
 * answers NOSCRIPT (after a restart or a SCRIPT FLUSH).
 *
 * Over a Redis Cluster (ioredis `Cluster`) every command is routed to the master owning its keys' slot, and a
 * pipeline must stay within one slot (ioredis rejects it otherwise). So `runMany` sends one pipeline per hash
 * tag — every call's keys share its queue's tag (shared/src/keys.ts) — and reassembles the replies in order.
 * On a single Redis it stays one pipeline. NOSCRIPT is per node: the EVAL fallback loads a script on each
 * master the first time it is used there.
 */
import { Cluster, type Redis } from "ioredis";
import type { ScriptCall, ScriptRunner } from "../script-runner";
import { closeGuard } from "./close-guard";

const isNoScript = (error: unknown) => error instanceof Error && error.message.startsWith("NOSCRIPT");

/**
 * @example
 * const runner = ioredisRunner(new Redis(url, { protocol: 2 }));
 * await runner.run(scriptCall("status", { job: key }, []));
 */
export function ioredisRunner(redis: Redis | Cluster): ScriptRunner {
  // A reply lost to a closed connection must reject, not hang (see close-guard.ts).
  const guard = closeGuard(redis);

  async function run(call: ScriptCall): Promise<unknown> {
    try {
      return await guard(redis.evalsha(call.script.sha1, call.keys.length, ...call.keys, ...call.args));
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return guard(redis.eval(call.script.source, call.keys.length, ...call.keys, ...call.args));
    }
  }

  async function runMany(calls: readonly ScriptCall[]): Promise<unknown[]> {
    if (calls.length === 1) return [await run(calls[0]!)];
    if (redis instanceof Cluster) return runPerSlot(calls);
    return runPipeline(calls);
  }

  async function runPerSlot(calls: readonly ScriptCall[]): Promise<unknown[]> {
    const groups = new Map<string, number[]>();
    calls.forEach((call, index) => {
      const tag = hashTag(call.keys[0] ?? "");
      groups.set(tag, [...(groups.get(tag) ?? []), index]);
    });
    if (groups.size === 1) return runPipeline(calls);
    const replies: unknown[] = new Array(calls.length);
    await Promise.all(
      [...groups.values()].map(async (indexes) => {
        const groupReplies = await runPipeline(indexes.map((index) => calls[index]!));
        indexes.forEach((index, position) => (replies[index] = groupReplies[position]));
      }),
    );
    return replies;
  }

  async function runPipeline(calls: readonly ScriptCall[]): Promise<unknown[]> {
    if (calls.length === 1) return [await run(calls[0]!)];
    const pipeline = redis.pipeline();
    for (const call of calls) pipeline.evalsha(call.script.sha1, call.keys.length, ...call.keys, ...call.args);
    const replies = (await guard(pipeline.exec())) ?? [];
    // A pipeline has no per-command fallback: re-run only the calls Redis did not know, by body.
    return Promise.all(
      replies.map(async ([error, reply], index) => {
        if (!error) return reply;
        if (isNoScript(error)) return run(calls[index]!);
        throw error;
      }),
    );
  }

  return { run, runMany };
}

/** What Redis Cluster hashes for a key: the text inside the first non-empty `{…}`, else the whole key. */
function hashTag(key: string): string {
  const open = key.indexOf("{");
  if (open === -1) return key;
  const close = key.indexOf("}", open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}
