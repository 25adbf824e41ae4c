/**
 * `npm run dev`: the whole stack on this machine in one command — Redis (yours via REDIS_URL, or a
 * redis-server of its own), the local Upstash-compatible REST endpoint, the edge under `wrangler dev`, and the
 * workers — in one prefixed log, then a banner with the URL, the local keys and a curl to try.
 *
 * Ctrl-C or SIGTERM stops every child (workers gracefully) and exits 0; a second Ctrl-C kills them at once.
 * A worker that dies is restarted (with backoff; see supervise.ts); if Redis, the REST endpoint or the edge dies
 * on its own, or no worker is left (each gave up after crashing at start), everything is stopped and the exit
 * code is 1. Knobs: see config.ts.
 */
import { DevConfigError, readDevConfig, type DevStackOptions } from "./config";
import { createPrefixedWriter, shouldColor } from "./log";
import { DEFAULT_REDIS_URL } from "../cli/connect";
import { startDevStack, type DevStack } from "./stack";

const color = shouldColor(process.stdout, process.env);
const write = createPrefixedWriter({ color, write: (line) => process.stdout.write(`${line}\n`) });
const say = (line: string) => write("dev", line);

let options: DevStackOptions;
try {
  options = readDevConfig(process.env);
} catch (error) {
  if (!(error instanceof DevConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

const interrupted = new AbortController();
let stack: DevStack | undefined;
let firstSignalAt: number | undefined;
let stoppedCleanly = false;

/**
 * One Ctrl-C can arrive two or three times within milliseconds: the terminal signals the whole foreground
 * group, and npm and tsx relay it to their child as well. So only a signal a second or more after the first
 * counts as "again: kill everything now".
 */
function onSignal(signal: NodeJS.Signals): void {
  const now = Date.now();
  if (firstSignalAt === undefined) {
    firstSignalAt = now;
    say(`${signal}: stopping (Ctrl-C again to kill everything at once)`);
    interrupted.abort();
    if (stack) void stack.stop().then(() => finish(0, "all stopped"));
    return;
  }
  if (now - firstSignalAt < 1_000) return;
  say(`${signal} again: killing everything now`);
  stack?.kill();
  process.exit(1);
}
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
// Last resort on any exit path (an uncaught error included); the reaper covers this process being killed.
process.on("exit", () => {
  if (!stoppedCleanly) stack?.kill();
});

function finish(code: number, message?: string): never {
  if (message) say(message);
  stoppedCleanly = true;
  process.exit(code);
}

try {
  stack = await startDevStack({ ...options, color, signal: interrupted.signal });
} catch (error) {
  if (interrupted.signal.aborted) finish(0, "all stopped");
  process.stderr.write(`dev: ${error instanceof Error ? error.message : String(error)}\n`);
  finish(1);
}

printBanner(stack);
void stack.failed.then(async (failure) => {
  for (const line of failure.reason.split("\n")) say(line);
  await stack?.stop();
  finish(1);
});

function printBanner(ready: DevStack): void {
  const auth = `-H 'Authorization: Bearer ${ready.apiKey}'`;
  const bold = (text: string) => (color ? `\u001b[1m${text}\u001b[0m` : text);
  const lines = [
    "",
    bold("Offload is running."),
    `  edge API   ${ready.edgeUrl}   (API docs: ${ready.edgeUrl}/docs)`,
    `  API key    ${ready.apiKey}`,
    `  admin key  ${ready.adminKey}`,
    `  Redis      ${ready.redisUrl}${ready.ownRedis ? "   (own redis-server, AOF on)" : "   (from REDIS_URL)"}`,
    `  REST       ${ready.restUrl}   (local Upstash-compatible endpoint, token ${ready.restToken})`,
    `  workers    ${options.workers} (pid ${ready.workerPids().join(", ")})${ready.workerMetricsUrls.length > 0 ? `   metrics: ${ready.workerMetricsUrls.join(" ")}` : ""}`,
    `  CLI        ${cliEnv(ready)}npx offload stats   (npx offload --help)`,
    "",
    "Enqueue a job, then poll it with the id from the answer:",
    `  curl -sS -X POST ${ready.edgeUrl}/v1/jobs/noop ${auth} -H 'Content-Type: application/json' -d '{"hello":"world"}'`,
    `  curl -sS ${ready.edgeUrl}/v1/jobs/<id> ${auth}`,
    "",
    "A worker that dies is restarted: kill -9 one while a job runs and watch another worker finish it after the lease.",
    "Ctrl-C stops everything.",
    "",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** What the CLI needs set to find this stack's Redis and keys; nothing when the defaults already match. */
function cliEnv(ready: DevStack): string {
  const vars = [
    ...(ready.redisUrl.replace(/\/$/, "") === DEFAULT_REDIS_URL ? [] : [`REDIS_URL=${ready.redisUrl}`]),
    ...(process.env.REDIS_PREFIX ? [`REDIS_PREFIX=${process.env.REDIS_PREFIX}`] : []),
  ];
  return vars.length > 0 ? `${vars.join(" ")} ` : "";
}
