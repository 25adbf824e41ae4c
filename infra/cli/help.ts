/** The text of `offload --help` and `offload <command> --help`; exit codes are listed from exit-codes.ts. */
import type { Command } from "./command";
import { COMMANDS } from "./commands/index";
import { DEFAULT_REDIS_URL } from "./connect";

const EXIT_LINES = [
  "  0  done",
  "  1  nothing to act on: unknown or expired job, nothing replayed or purged",
  "  2  usage: unknown command or flag, bad value, invalid JSON, payload fails its schema",
  "  3  Redis unreachable (refused, DNS, TLS, auth, timeout) or the connection dropped",
  "  4  any other failure (an error reply from Redis, a bug)",
];

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    "offload: inspect and operate Offload queues from the terminal, straight against Redis.",
    "",
    "Usage: offload <command> [arguments] [--json]",
    "",
    "Commands:",
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    "",
    "Options:",
    "  --json      machine-readable output on stdout (errors as {\"error\":{…}} on stderr)",
    "  -h, --help  this text, or a command's: offload <command> --help",
    "",
    "Environment:",
    `  REDIS_URL     redis:// or rediss:// URL (default ${DEFAULT_REDIS_URL}, the redis-server of \`npm run dev\`)`,
    "  REDIS_PREFIX  key prefix, as the workers and the edge use it (default offload)",
    "",
    "Exit codes:",
    ...EXIT_LINES,
  ].join("\n");
}

export function commandHelp(command: Command): string {
  // `usage` is the usage forms, one per line, then a blank line and the details.
  const [forms, ...details] = command.usage.split("\n\n");
  const lines = forms!.split("\n").map((form, i) => `${i === 0 ? "Usage: " : "       "}offload ${form} [--json]`);
  return [...lines, ...details.flatMap((detail) => ["", detail])].join("\n");
}
