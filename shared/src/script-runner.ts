/**
 * The narrow interface both sides run Lua through: ioredis over TCP in the worker, @upstash/redis over HTTPS at
 * the edge. Everything above it (ops/*) is shared, so both clients execute the same scripts with the same
 * arguments and the conformance test can hold them to the same answers.
 */
import { SCRIPTS } from "./generated/scripts";

export type ScriptName = keyof typeof SCRIPTS;
export type CompiledScript = (typeof SCRIPTS)[ScriptName];
/** The names a script's header gives its KEYS, in order. */
export type KeyNamesOf<N extends ScriptName> = (typeof SCRIPTS)[N]["keys"][number];

export interface ScriptCall {
  script: CompiledScript;
  keys: string[];
  args: string[];
}

export interface ScriptRunner {
  /** Runs one script: one round trip. */
  run(call: ScriptCall): Promise<unknown>;
  /** Runs several scripts in one round trip (a pipeline); replies in order. Rejects if any call failed. */
  runMany(calls: readonly ScriptCall[]): Promise<unknown[]>;
}

/**
 * Builds a call with keys passed by name, in the order the script's header declares.
 * @example
 * scriptCall("status", { job: keys.job(localId) }, [])
 */
export function scriptCall<N extends ScriptName>(
  name: N,
  keys: Record<KeyNamesOf<N>, string>,
  args: readonly (string | number)[],
): ScriptCall {
  const script = SCRIPTS[name];
  return {
    script,
    keys: script.keys.map((keyName) => (keys as Record<string, string>)[keyName]!),
    args: args.map(String),
  };
}
