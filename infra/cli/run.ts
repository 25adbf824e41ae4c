/**
 * One CLI invocation, from argv to exit code: parse (node:util parseArgs, strict: an unknown flag is exit 2), check
 * the arguments, connect to Redis, run the command, print a table or `--json`, and turn every failure into one
 * message and an exit code (exit-codes.ts). No stack traces for failures the user can act on; OFFLOAD_DEBUG=1
 * prints them for the rest.
 */
import { parseArgs } from "node:util";
import { OffloadError } from "../../shared/src/errors";
import { ioredisRunner } from "../../shared/src/runners/ioredis-runner";
import { contextFor, type CommandResult, type OptionValues, type ParseArgsOptionsConfig } from "./command";
import { findCommand, COMMANDS } from "./commands/index";
import { connectRedis, isConnectionError, readCliEnv, unreachable } from "./connect";
import { CliError, EXIT, usageError, type ExitCode } from "./exit-codes";
import { commandHelp, mainHelp } from "./help";

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const GLOBAL_OPTIONS: ParseArgsOptionsConfig = {
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

/**
 * @example
 * const code = await runCli(["stats", "--json"], process.env, { stdout: (t) => process.stdout.write(t), stderr: … });
 */
export async function runCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: CliIo): Promise<ExitCode> {
  const json = argv.includes("--json");
  try {
    const name = argv.find((arg) => !arg.startsWith("-"));
    if (name === undefined || name === "help") {
      const help = argv.includes("--help") || argv.includes("-h") || name === "help";
      (help ? io.stdout : io.stderr)(`${mainHelp()}\n`);
      return help ? EXIT.ok : EXIT.usage;
    }
    const command = findCommand(name);
    if (!command) throw usageError(`unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(", ")}; see offload --help)`);

    let parsed: { values: OptionValues; positionals: string[] };
    try {
      parsed = parseArgs({ args: [...argv], options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
    } catch (error) {
      // parseArgs' messages name the flag; the hint after "To specify a positional…" is noise here.
      throw usageError(`${name}: ${(error as Error).message.split(". To specify")[0]}`);
    }
    if (parsed.values.help) {
      io.stdout(`${commandHelp(command)}\n`);
      return EXIT.ok;
    }
    const work = command.prepare(parsed.positionals.slice(1), parsed.values);

    const { REDIS_URL, REDIS_PREFIX } = readCliEnv(env);
    const redis = await connectRedis(REDIS_URL);
    let result: CommandResult;
    try {
      result = await work(contextFor(ioredisRunner(redis), REDIS_PREFIX)).catch((error: unknown) => {
        throw isConnectionError(error) ? unreachable(REDIS_URL, error) : error;
      });
    } finally {
      await Promise.race([redis.quit().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
      redis.disconnect();
    }
    io.stdout(`${json ? JSON.stringify(result.json, null, 2) : result.text}\n`);
    return result.exitCode;
  } catch (error) {
    const failure = toCliError(error);
    if (json) {
      io.stderr(`${JSON.stringify({ error: { code: failure.code, message: failure.message, ...(failure.issues.length ? { issues: failure.issues } : {}) } })}\n`);
    } else {
      io.stderr(`offload: ${failure.message}\n${failure.issues.map((issue) => `  ${issue.path || "(payload)"}: ${issue.message}\n`).join("")}`);
    }
    if (failure.exitCode === EXIT.failed && env.OFFLOAD_DEBUG === "1" && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    return failure.exitCode;
  }
}

/** Every error as a CliError: ours as they are, the shared ops' typed errors by their code, the rest as exit 4. */
function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof OffloadError) {
    const issues = error.details.issues ?? [];
    if (error.code === "validation_failed") return new CliError(EXIT.usage, error.message, error.code, issues);
    if (error.code === "job_not_found" || error.code === "not_found") return new CliError(EXIT.nothingDone, error.message, error.code, issues);
    if (error.code === "redis_unavailable") return new CliError(EXIT.unreachable, error.message, error.code, issues);
    return new CliError(EXIT.failed, error.message, error.code, issues);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new CliError(EXIT.failed, message.split("\n")[0]!, "failed");
}
