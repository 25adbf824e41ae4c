/**
 * ScriptRunner over @upstash/redis (REST). EVAL with the body every time rather than EVALSHA-then-EVAL: a
 * NOSCRIPT miss would cost a second HTTP request, and the contract is one request per accepted job or batch.
 * The client must be built with `automaticDeserialization: false`, or it would JSON-parse string replies.
 */
import type { Redis } from "@upstash/redis";
import type { ScriptRunner } from "../script-runner";

/**
 * @example
 * const runner = upstashRunner(new Redis({ url, token, automaticDeserialization: false }));
 */
export function upstashRunner(redis: Redis): ScriptRunner {
  return {
    run: (call) => redis.eval(call.script.source, call.keys, call.args),
    async runMany(calls) {
      if (calls.length === 1) return [await redis.eval(calls[0]!.script.source, calls[0]!.keys, calls[0]!.args)];
      const pipeline = redis.pipeline();
      for (const call of calls) pipeline.eval(call.script.source, call.keys, call.args);
      return pipeline.exec();
    },
  };
}
