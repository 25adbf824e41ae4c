/**
 * What every command is: its flags (for node:util parseArgs), its help text, and `prepare`, which checks the
 * arguments before anything connects (a usage error is exit 2 even when Redis is down) and returns the work to run
 * against Redis. A result carries both renderings — `text` for people, `json` for `--json` — so every command
 * offers both by construction.
 */
import type { ParseArgsConfig } from "node:util";

export type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig["options"]>;
import { JOBS } from "../../shared/src/jobs/index";
import { queueKeys, type QueueKeys } from "../../shared/src/keys";
import type { ScriptRunner } from "../../shared/src/script-runner";
import { usageError, type ExitCode } from "./exit-codes";

export interface CommandContext {
  runner: ScriptRunner;
  keys(queue: string): QueueKeys;
}

export interface CommandResult {
  exitCode: ExitCode;
  json: unknown;
  text: string;
}

export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface Command {
  name: string;
  /** One line for `offload --help`. */
  summary: string;
  /** `offload <usage>` lines, then details, for `offload <command> --help`. */
  usage: string;
  options: ParseArgsOptionsConfig;
  prepare(positionals: readonly string[], values: OptionValues): (context: CommandContext) => Promise<CommandResult>;
}

export function contextFor(runner: ScriptRunner, prefix: string): CommandContext {
  return { runner, keys: (queue) => queueKeys(queue, prefix) };
}

/** The queue named on the command line, which must be a job in the registry (one queue per job type). */
export function knownQueue(name: string | undefined, command: string): string {
  if (name === undefined) throw usageError(`${command}: missing <queue> (one of: ${Object.keys(JOBS).join(", ")})`);
  if (!Object.hasOwn(JOBS, name)) throw usageError(`${command}: unknown queue "${name}" (known: ${Object.keys(JOBS).join(", ")})`);
  return name;
}

/** Exactly `count` positionals, or a usage error that names the extra one. */
export function expectPositionals(positionals: readonly string[], count: number, command: string): void {
  if (positionals.length > count) throw usageError(`${command}: unexpected argument "${positionals[count]}"`);
}

export const stringOption = (values: OptionValues, name: string): string | undefined => {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
};
