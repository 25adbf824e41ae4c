/**
 * `npx offload …` (package.json `bin` → bin.mjs → this file): runs one command and sets the exit code. The exit
 * code is set, not forced with process.exit(), so a large `--json` page piped into another program is written out
 * in full before Node exits.
 */
import { runCli } from "./run";

process.exitCode = await runCli(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
