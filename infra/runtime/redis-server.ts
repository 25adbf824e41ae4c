/**
 * A redis-server of our own, on a free port, in its own temp directory. `npm run dev` runs one for the local
 * stack, the bench and the chaos suite one per run, and every test file one of its own — so a test may SIGKILL
 * it and start it again on the same data (AOF) without touching anyone else's Redis. It lives here, not with
 * the test helpers in infra/test/, because the dev stack needs it at run time.
 *
 * @example
 * const redis = await startRedisServer({ appendOnly: true });
 * // ... redis.url ...
 * await redis.kill();     // SIGKILL, like a crash
 * await redis.start();    // same port, same data directory
 * await redis.stop();
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { freePort } from "./free-port";

export interface RedisServerOptions {
  /** AOF with fsync on every write: what a crash test needs to restart on the same data. */
  appendOnly?: boolean;
  port?: number;
  /** Extra redis-server arguments (e.g. the cluster settings of redis-cluster.ts). */
  args?: readonly string[];
}

export interface RedisServerHandle {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  start(): Promise<void>;
  /** SIGKILL: the process dies without saving, like a crash. */
  kill(): Promise<void>;
  /** Clean shutdown and removal of the data directory. */
  stop(): Promise<void>;
}

export function redisServerBinary(): string {
  const probe = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      "redis-server was not found on PATH: install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis)",
    );
  }
  return "redis-server";
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const binary = redisServerBinary();
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "offload-redis-"));
  let child: ChildProcess | undefined;

  const args = [
    "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
    "--appendonly", options.appendOnly ? "yes" : "no", "--appendfsync", "always",
    "--logfile", "", "--daemonize", "no", "--protected-mode", "no",
    ...(options.args ?? []),
  ];

  async function start(): Promise<void> {
    const proc = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    child = proc;
    let output = "";
    // Ready when the server says so: no polling, no sleeps.
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("Ready to accept connections")) {
          proc.stdout?.off("data", onData);
          proc.stdout?.resume();
          resolve();
        }
      };
      proc.stdout?.on("data", onData);
      proc.stderr?.resume();
      proc.once("exit", (code) => reject(new Error(`redis-server exited (${code}) on port ${port}: ${output.slice(-500)}`)));
      proc.once("error", reject);
    });
  }

  async function kill(): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, "exit");
    proc.kill("SIGKILL");
    await exited;
  }

  async function stop(): Promise<void> {
    await kill();
    rmSync(dir, { recursive: true, force: true });
  }

  await start();
  return { port, url: `redis://127.0.0.1:${port}`, dir, start, kill, stop };
}
