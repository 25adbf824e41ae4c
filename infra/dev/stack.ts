/**
 * `startDevStack`: the whole local stack, exactly as `npm run dev` runs it (dev.ts is this plus a banner and
 * signal handling); the end-to-end test uses it too.
 *
 * Start, each step waiting for the previous one to be ready:
 * 1. the local keys (<dataDir>/dev-keys.json) and the reaper (stops the children if this process dies);
 * 2. Redis: REDIS_URL if given (one PING), else our own redis-server with AOF, ready when it logs "Ready to
 *    accept connections". The worker bundle is built meanwhile;
 * 3. the local Upstash-compatible REST endpoint, ready when it logs the URL it listens on;
 * 4. together: `wrangler dev` for the edge, ready when GET /healthz answers 200 (which proves edge → REST →
 *    Redis), and the workers, each ready when it logs "worker started".
 * While it runs, a worker that dies is restarted (supervise.ts: backoff, one log line saying what happened to
 * its jobs). A worker that crashes MAX_CRASHES_AT_START times in a row before it is ready is given up on: during
 * start that fails the start (everything stops, the error carries its last output); later the stack runs on
 * with the other workers and says so, and stops everything (`failed`) only when no worker is left. Any other
 * child (Redis, REST, edge) dying on its own resolves `failed`: without it nothing works.
 * Stop: workers (gracefully: running jobs finish or go back to the queue) and the edge first, then the REST
 * endpoint, then Redis, which the workers needed until the end.
 */
import { mkdirSync } from "node:fs";
import { join, relative } from "node:path";
import { WorkerEnvSchema } from "../../worker/src/config";
import { buildWorker } from "../scripts/build-worker";
import { redisServerBinary } from "../runtime/redis-server";
import { REPO_ROOT, type DevStackOptions } from "./config";
import { loadDevKeys } from "./keys";
import { createPrefixedWriter, formatPinoLine, shouldColor } from "./log";
import { freePort } from "../runtime/free-port";
import { isPortFree, preferPort } from "./ports";
import { spawnChild, type ChildExit, type ChildHandle } from "../../shared/src/process/children";
import { NotReadyError, pingRedis, redactUrl, waitForHttpOk, waitForLine } from "./readiness";
import { startReaper } from "./reaper";
import { superviseWorker, type SupervisedWorker } from "../../shared/src/process/restart";

export interface DevStack {
  /** e.g. `http://127.0.0.1:8787` */
  readonly edgeUrl: string;
  /** A producer key the edge accepts (`Authorization: Bearer <apiKey>`). */
  readonly apiKey: string;
  readonly adminKey: string;
  readonly redisUrl: string;
  /** Whether `redisUrl` is the stack's own redis-server (false: REDIS_URL was given). */
  readonly ownRedis: boolean;
  readonly restUrl: string;
  readonly restToken: string;
  /** Metrics URL of each worker whose health port is enabled. */
  readonly workerMetricsUrls: readonly string[];
  /** Process group id of every child at start, the reaper included (each leads its own group, so this is also its pid). */
  readonly pids: readonly number[];
  /** `pids` plus every restarted worker's: what must all be gone after stop(). */
  allPids(): number[];
  /** The pid of each worker's current process, worker-1 first. */
  workerPids(): number[];
  /** Resolves if the stack cannot go on: Redis, REST or the edge exited on its own, or no worker is left. */
  readonly failed: Promise<StackFailure>;
  /** Stops every child in order; resolves when all are gone. Safe to call more than once. */
  stop(): Promise<void>;
  /** SIGKILL to every child, now (a second Ctrl-C). */
  kill(): void;
}

/** Start failed for a reason the user can fix; the message is one line that says how. */
export class DevStackError extends Error {
  override readonly name = "DevStackError";
}

/** How the stack ended on its own; `reason` is the line to print. */
export interface StackFailure extends ChildExit {
  reason: string;
}

const EDGE_READY_MS = 60_000;
const STEP_READY_MS = 30_000;
/** A worker's first readiness may include restarts (supervise.ts backoff: 0.5+1+2+4 s) before it gives up. */
const WORKER_READY_MS = 60_000;

/**
 * @example
 * const stack = await startDevStack(readDevConfig(process.env));
 * await fetch(`${stack.edgeUrl}/v1/jobs/noop`, { method: "POST", headers: { authorization: `Bearer ${stack.apiKey}` }, body: "{}" });
 * await stack.stop();
 */
export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const startedAt = performance.now();
  const write = createPrefixedWriter({
    color: options.color ?? shouldColor(process.stdout, process.env),
    write: options.log ?? ((line) => process.stdout.write(`${line}\n`)),
  });
  const say = (line: string) => write("dev", line);
  const workerEnv = { ...process.env, ...options.workerEnv };
  // The worker's own rule (shared env parsers): an invalid value is the worker's one-line start-up error, and the
  // reaper then allows the default.
  const graceRule = WorkerEnvSchema.shape.WORKER_SHUTDOWN_GRACE;
  const grace = graceRule.safeParse(workerEnv.WORKER_SHUTDOWN_GRACE);
  const workerGraceMs = grace.success ? grace.data : graceRule.parse(undefined);

  // Before anything starts, so a missing binary is the only line printed.
  const redisSource: { url: string } | { binary: string } = options.redisUrl ? { url: options.redisUrl } : { binary: requireRedisServer() };
  mkdirSync(options.dataDir, { recursive: true });
  const keys = loadDevKeys(options.dataDir);
  const reaper = startReaper(workerGraceMs + 5_000);
  say(`reaper started (pid ${reaper.pid}): stops the children should this process be killed`);
  const workers: SupervisedWorker[] = [];
  let redis: ChildHandle | undefined;
  let rest: ChildHandle | undefined;
  let edge: ChildHandle | undefined;
  let stopping = false;
  let started = false;
  let reportFailure: (failure: StackFailure) => void = () => {};
  const failed = new Promise<StackFailure>((resolve) => (reportFailure = resolve));

  function launch(spec: {
    name: string;
    command: string;
    args: string[];
    env: NodeJS.ProcessEnv;
    last?: boolean;
    pino?: boolean;
    /** Restarted by its supervisor: its exit is not the stack's failure. */
    supervised?: boolean;
  }): ChildHandle {
    // stop() has begun (start interrupted): it would not see a child launched now.
    if (stopping) throw new DevStackError("start interrupted");
    const child = spawnChild({
      ...spec,
      cwd: REPO_ROOT,
      onLine: (line) => write(spec.name, spec.pino ? formatPinoLine(line) : line),
    });
    reaper.track(child.pid, { last: spec.last });
    if (!spec.supervised) say(`${spec.name} started (pid ${child.pid})`);
    void child.exited.then((exit) => {
      if (!stopping && !spec.supervised) {
        reportFailure({ ...exit, reason: `${exit.name} exited on its own (${exit.signal ?? `exit ${exit.code}`}): stopping everything` });
      }
    });
    return child;
  }

  async function stopWorker(worker: SupervisedWorker, graceMs: number): Promise<void> {
    const exit = await worker.stop(graceMs);
    say(`${worker.name} stopped${exit ? ` (${exit.signal ?? `exit ${exit.code}`})` : " (it was waiting to restart)"}`);
  }

  async function stopChild(child: ChildHandle | undefined, graceMs: number): Promise<void> {
    if (!child) return;
    const exit = await child.stop("SIGTERM", graceMs);
    reaper.untrack(child.pid);
    say(`${child.name} stopped (${exit.signal ?? `exit ${exit.code}`})`);
  }

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      stopping = true;
      await Promise.all([...workers.map((worker) => stopWorker(worker, workerGraceMs + 5_000)), stopChild(edge, 10_000)]);
      await stopChild(rest, 5_000);
      await stopChild(redis, 10_000);
      await reaper.close();
    })());
  const kill = () => {
    for (const child of [...workers, edge, rest, redis]) child?.kill();
  };
  let workersLeft = 0;
  /** After start: one worker was given up on; the stack runs on while another is left. */
  function onGiveUp(reason: string, exit: ChildExit): void {
    if (!started || stopping) return; // during start the worker's `ready` rejects and fails the start instead
    workersLeft -= 1;
    if (workersLeft === 0) {
      reportFailure({ ...exit, reason: `${reason}\nno worker is left: stopping everything` });
    } else {
      say(`running on with ${workersLeft} of ${options.workers} workers; fix the cause shown above and restart npm run dev`);
    }
  }

  const abortIfAsked = () => {
    if (options.signal?.aborted) throw new DevStackError("start interrupted");
  };
  options.signal?.addEventListener("abort", () => void stop(), { once: true });

  // 2. Redis, and the worker bundle meanwhile.
  const bundled = buildWorker(options.workerBuildDir);
  bundled.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"
  try {
    let redisUrl: string;
    if ("url" in redisSource) {
      say(`using REDIS_URL=${redactUrl(redisSource.url)} (no redis-server started)`);
      await pingRedis(redisSource.url, 5_000).catch((error: unknown) => {
        throw new DevStackError(`${error instanceof Error ? error.message : String(error)} (check REDIS_URL, or unset it to start a redis-server here)`);
      });
      redisUrl = redisSource.url;
    } else {
      const { port, fallback } = await preferPort(options.redisPort);
      const dir = join(options.dataDir, "redis");
      mkdirSync(dir, { recursive: true });
      say(
        `REDIS_URL is not set: starting redis-server on 127.0.0.1:${port}` +
          `${fallback ? ` (port ${options.redisPort} is taken)` : ""}, data in ${shortPath(dir)} (AOF on)`,
      );
      abortIfAsked();
      redis = launch({
        name: "redis",
        command: redisSource.binary,
        args: ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--save", "", "--daemonize", "no", "--logfile", ""],
        env: process.env,
        last: true,
      });
      await waitForLine(redis, (line) => (line.includes("Ready to accept connections") ? true : undefined), STEP_READY_MS, "accepting connections");
      redisUrl = `redis://127.0.0.1:${port}`;
    }

    // 3. The local REST endpoint.
    abortIfAsked();
    const restPort = await preferPort(options.restPort);
    if (restPort.fallback) say(`port ${options.restPort} is taken: the REST endpoint uses ${restPort.port}`);
    rest = launch({
      name: "rest",
      command: process.execPath,
      args: ["--import", "tsx", join(REPO_ROOT, "infra/upstash-local/main.ts")],
      env: { ...process.env, REDIS_URL: redisUrl, UPSTASH_LOCAL_TOKEN: keys.restToken, UPSTASH_LOCAL_PORT: String(restPort.port), UPSTASH_LOCAL_HOST: "127.0.0.1" },
    });
    const restUrl = await waitForLine(rest, (line) => /listening on (https?:\/\/\S+)/.exec(line)?.[1], STEP_READY_MS, "listening");

    // 4. The edge and the workers, together.
    abortIfAsked();
    if (!(await isPortFree(options.edgePort))) {
      throw new DevStackError(`port ${options.edgePort} is taken: stop what listens there, or set PORT=<another port>`);
    }
    const edgeUrl = `http://127.0.0.1:${options.edgePort}`;
    const prefix = workerEnv.REDIS_PREFIX;
    const vars: Record<string, string> = {
      UPSTASH_REDIS_REST_URL: restUrl,
      UPSTASH_REDIS_REST_TOKEN: keys.restToken,
      API_KEYS: keys.apiKey,
      ADMIN_API_KEYS: keys.adminKey,
      RATE_LIMIT: "off",
      // The edge refuses webhook targets on loopback and private networks unless told, like the workers.
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true",
      ...(prefix ? { REDIS_PREFIX: prefix } : {}),
    };
    edge = launch({
      name: "edge",
      command: process.execPath,
      args: [
        join(REPO_ROOT, "node_modules/wrangler/bin/wrangler.js"), "dev",
        // Local mode, loopback only: no Cloudflare account, no network.
        "--local", "--ip", "127.0.0.1", "--port", String(options.edgePort),
        "--show-interactive-dev-session=false",
        // workerd's devtools inspector listens on 9229 unless told: a second stack, or any `node --inspect`,
        // would make the edge die at start ("Address already in use 127.0.0.1:9229"). Any free port will do.
        "--inspector-port", String(await freePort()),
        "--persist-to", join(options.dataDir, "wrangler"),
        // --var beats wrangler.toml [vars] and .dev.vars, so a stale .dev.vars cannot point the edge elsewhere.
        ...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
      ],
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        WRANGLER_SEND_ERROR_REPORTS: "false",
        // Offline: miniflare would otherwise fetch a sample `request.cf` from workers.cloudflare.com on start.
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
      },
    });
    const edgeReady = waitForHttpOk(`${edgeUrl}/healthz`, edge, EDGE_READY_MS);
    edgeReady.catch(() => {}); // awaited below, after the workers are launched

    await bundled;
    say(
      "webhooks may target loopback and private addresses (WEBHOOK_ALLOW_PRIVATE_NETWORKS=true, edge and workers): " +
        `local development only; WEBHOOK_SECRET ${workerEnv.WEBHOOK_SECRET ? "from your environment" : `is the dev one in ${shortPath(join(options.dataDir, "dev-keys.json"))}`}`,
    );
    const workerMetricsUrls: string[] = [];
    const workersReady: Promise<unknown>[] = [];
    for (let index = 1; index <= options.workers; index += 1) {
      abortIfAsked();
      const healthPort = options.healthPort === 0 ? 0 : (await preferPort(options.healthPort + index - 1)).port;
      if (healthPort > 0) workerMetricsUrls.push(`http://127.0.0.1:${healthPort}/metrics`);
      const name = `worker-${index}`;
      const spec = {
        name,
        command: process.execPath,
        args: ["--enable-source-maps", join(options.workerBuildDir, "main.js")],
        env: {
          ...workerEnv,
          WEBHOOK_SECRET: workerEnv.WEBHOOK_SECRET || keys.webhookSecret,
          WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true",
          REDIS_URL: redisUrl,
          HEALTH_PORT: String(healthPort),
          HEALTH_HOST: "127.0.0.1",
        },
        pino: true,
        supervised: true,
      };
      const worker = superviseWorker({
        name,
        start: () => launch(spec),
        watchReady: (child, ready) => child.subscribe((line) => line.includes('"msg":"worker started"') && ready()),
        onExit: (child) => {
          child.kill(); // whatever its group still holds
          reaper.untrack(child.pid);
        },
        say,
        leaseText: `WORKER_LEASE=${workerEnv.WORKER_LEASE || "30s"}`,
      });
      say(`${name} started (pid ${worker.current().pid})`);
      workers.push(worker);
      workersLeft += 1;
      void worker.gaveUp.then((giveUp) => onGiveUp(giveUp.reason, giveUp));
      workersReady.push(withTimeout(worker.ready, WORKER_READY_MS, `${name}: no sign of starting after ${WORKER_READY_MS / 1000}s`));
    }
    await Promise.all([edgeReady, ...workersReady]);
    abortIfAsked();
    started = true;
    say(`ready in ${((performance.now() - startedAt) / 1000).toFixed(1)}s (supervisor pid ${process.pid})`);

    return {
      edgeUrl,
      apiKey: keys.apiKey,
      adminKey: keys.adminKey,
      redisUrl,
      ownRedis: redis !== undefined,
      restUrl,
      restToken: keys.restToken,
      workerMetricsUrls,
      pids: [reaper.pid, ...[redis, rest, edge, ...workers.map((worker) => worker.current())].flatMap((child) => (child ? [child.pid] : []))],
      allPids: () => [reaper.pid, ...[redis, rest, edge].flatMap((child) => (child ? [child.pid] : [])), ...workers.flatMap((worker) => worker.pids())],
      workerPids: () => workers.map((worker) => worker.current().pid),
      failed,
      stop,
      kill,
    };
  } catch (error) {
    await stop();
    await bundled.catch(() => {}); // nothing keeps writing after a failed start
    throw error;
  }
}

function withTimeout(promise: Promise<void>, ms: number, message: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new NotReadyError(message)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function requireRedisServer(): string {
  try {
    return redisServerBinary();
  } catch (error) {
    throw new DevStackError(
      `${error instanceof Error ? error.message : String(error)}; or set REDIS_URL=redis://… to use a Redis you already run`,
    );
  }
}

function shortPath(path: string): string {
  const fromRoot = relative(REPO_ROOT, path);
  return fromRoot.startsWith("..") ? path : fromRoot;
}
