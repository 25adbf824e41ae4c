/**
 * `npm run build:worker && npx tsx worker/test/support/idle-commands.ts [seconds]`: the idle cost of the
 * production worker process (dist/worker/main.js with its defaults, the 3 shipped job types; digest runs in the
 * thread pool, hence the bundle), counted the way issue 9 counts it: every command the worker's connections send,
 * seen by MONITOR on a redis-server of its own (commands a script runs inside Redis are not counted), over a
 * window that opens once the worker logged "worker started" and had 5 s to settle. Prints per-command counts and
 * per-minute figures. A measurement, not a test: a wall-clock window is a bench figure, not an assertion.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Redis } from "ioredis";
import { startRedisServer } from "../../../infra/runtime/redis-server";

const seconds = Number(process.argv[2] ?? 60);
const server = await startRedisServer();
const child = spawn(process.execPath, [join(import.meta.dirname, "../../../dist/worker/main.js")], {
  env: {
    ...process.env,
    REDIS_URL: server.url,
    HEALTH_PORT: "0",
    LOG_LEVEL: "info",
    WEBHOOK_SECRET: `whsec_${Buffer.from("idle-measurement-secret-32-bytes").toString("base64")}`,
  },
  stdio: ["ignore", "pipe", "inherit"],
});
try {
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`worker exited (${code})`)));
    createInterface({ input: child.stdout! }).on("line", (text) => {
      if (text.includes('"msg":"worker started"')) resolve();
    });
  });
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const monitor = await new Redis(server.url, { protocol: 2 }).monitor();
  const counts = new Map<string, number>();
  let total = 0;
  monitor.on("monitor", (_time: string, args: string[], source: string) => {
    if (source.startsWith("lua")) return; // commands a script runs are not client commands
    const name = String(args[0]).toUpperCase();
    counts.set(name, (counts.get(name) ?? 0) + 1);
    total += 1;
  });
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1_000));
  const elapsed = performance.now() - started;
  monitor.disconnect();
  const perMin = 60_000 / elapsed;
  console.log(JSON.stringify({ seconds, total, perMin: +(total * perMin).toFixed(2), perQueuePerMin: +((total * perMin) / 3).toFixed(2), byCommand: Object.fromEntries(counts) }));
} finally {
  if (child.exitCode === null) {
    child.kill("SIGKILL");
    await once(child, "exit");
  }
  await server.stop();
}
