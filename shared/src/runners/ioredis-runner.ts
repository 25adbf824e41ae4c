/**
 * ScriptRunner over ioredis: EVALSHA first (the script body is sent once per Redis lifetime), EVAL when Redis
 * answers NOSCRIPT (after a restart or a SCRIPT FLUSH).
 */
import type { Redis } from "ioredis";
import type { ScriptCall, ScriptRunner } from "../script-runner";
import { closeGuard } from "./close-guard";

const isNoScript = (error: unknown) => error instanceof Error && error.message.startsWith("NOSCRIPT");

/**
 * @example
 * const runner = ioredisRunner(new Redis(url, { protocol: 2 }));
 * await runner.run(scriptCall("status", { job: key }, []));
 */
export function ioredisRunner(redis: Redis): ScriptRunner {
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
