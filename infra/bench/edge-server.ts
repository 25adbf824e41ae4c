/**
 * The edge as a user runs it locally: the Upstash-compatible REST endpoint in its own process in front of the
 * benchmark's Redis, and `wrangler dev` (workerd) in front of that. Each is ready when it says so (a log line),
 * and the edge is then asked GET /healthz, which proves edge → REST → Redis.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../runtime/free-port";

const root = join(import.meta.dirname, "../..");
export const EDGE_API_KEY = "offload-bench-key";
const REST_TOKEN = "offload-bench-rest-token";

export interface EdgeServer {
  url: string;
  /** The `wrangler dev` process; workerd runs below it (see proc-cpu.ts `descendants`). */
  wranglerPid: number;
  /** The local REST endpoint's process (Upstash's side in production). */
  restPid: number;
  stop(): Promise<void>;
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let tail = "";
    const onData = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4_000);
      // wrangler colours its output; match on the text.
      const match = pattern.exec(tail.replace(/\x1b\[[0-9;]*m/g, ""));
      if (match) finish(() => resolve(match));
    };
    const onExit = (code: number | null) => finish(() => reject(new Error(`${what}: exited (${code}) before ready:\n${tail}`)));
    const timer = setTimeout(() => finish(() => reject(new Error(`${what}: not ready after ${timeoutMs} ms:\n${tail}`))), timeoutMs);
    const finish = (outcome: () => void) => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
      child.stdout?.resume();
      child.stderr?.resume();
      outcome();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  // wrangler runs workerd as a child of its own: signal the whole group.
  try {
    process.kill(-child.pid!, "SIGTERM");
  } catch {
    child.kill("SIGTERM");
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      child.kill("SIGKILL");
    }
  }, 5_000);
  await exited;
  clearTimeout(timer);
}

export async function startEdge(redisUrl: string): Promise<EdgeServer> {
  const started: ChildProcess[] = [];
  const persist = mkdtempSync(join(tmpdir(), "offload-bench-wrangler-"));
  const stop = async () => {
    for (const child of started.reverse()) await stopChild(child);
    rmSync(persist, { recursive: true, force: true });
  };
  try {
    const rest = spawn(process.execPath, ["--import", "tsx", join(root, "infra/upstash-local/main.ts")], {
      cwd: root,
      env: { ...process.env, REDIS_URL: redisUrl, UPSTASH_LOCAL_TOKEN: REST_TOKEN, UPSTASH_LOCAL_PORT: "0" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    started.push(rest);
    const restUrl = (await waitForLine(rest, /listening on (https?:\/\/\S+)/, 30_000, "upstash-local"))[1]!;

    const port = await freePort();
    const vars = {
      UPSTASH_REDIS_REST_URL: restUrl,
      UPSTASH_REDIS_REST_TOKEN: REST_TOKEN,
      API_KEYS: EDGE_API_KEY,
      ADMIN_API_KEYS: `${EDGE_API_KEY}-admin`,
      RATE_LIMIT: "off",
    };
    const edge = spawn(
      process.execPath,
      [
        join(root, "node_modules/wrangler/bin/wrangler.js"), "dev", "--local", "--ip", "127.0.0.1", "--port", String(port),
        "--show-interactive-dev-session=false", "--persist-to", persist,
        ...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
      ],
      {
        cwd: root,
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      },
    );
    started.push(edge);
    await waitForLine(edge, /Ready on (http:\/\/\S+)/, 90_000, "wrangler dev");
    const url = `http://127.0.0.1:${port}`;
    const health = await fetch(`${url}/healthz`);
    if (health.status !== 200) throw new Error(`edge /healthz answered ${health.status}: ${await health.text()}`);
    return { url, wranglerPid: edge.pid!, restPid: rest.pid!, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
