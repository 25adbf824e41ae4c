/**
 * `npx offload …` (package.json `bin` → bin.mjs → this file): runs one command and sets the exit code. The exit
 * code is set, not forced with process.exit(), so a large `--json` page piped into another program is written out
 * in full before Node exits.
 */
import { runCli } from "./run";

// `offload jobs … --json | head -1`: the reader went away; that is the reader's choice, not our failure.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
