/**
 * Probes for bugs in the worker runtime (worker/src). Each sets up the exact Redis state or fault that triggers
 * the bug and reports whether it happened.
 */
import { fork } from "node:child_process";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { newLocalId } from "../../../shared/src/ids";
import { queueKeys } from "../../../shared/src/keys";
import { waitFor } from "../../test/wait-for";
import { bundleChaosWorker } from "../fleet";
import { startTcpProxy } from "../tcp-proxy";
import { noopWorker, probeRedis, whereIs, type Probe } from "./support";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Two claim lanes per queue (queue-worker.ts): lane 0 runs `recover` with the ids the process knows, while lane 1
 * keeps claiming. `recover` waits for the claims in flight when it starts, but when Redis answers its EVALSHA
 * with NOSCRIPT (always, the first time after a Redis restart or SCRIPT FLUSH) the runner re-sends the body one
 * round trip later; a claim lane 1 sent in between runs first, and `recover`, holding the older list of known
 * ids, hands the jobs that claim just took back to the wait list. They run twice, in one live worker that
 * neither crashed nor lost its lease. Came back once after the worker split (3abf1b7): the claim's "is a recovery
 * running?" check sat behind an `await`, which yields a turn in which the recovery can begin without it.
 */
export const recoverRacesClaimLane: Probe = {
  id: "recover-races-claim-lane",
  title: "Connection drops make a live worker run jobs twice: `recover` hands back jobs the other claim lane just claimed",
  area: "worker",
  status: "fixed",
  fixedBy: "ebbe31c, 3abf1b7",
  async run() {
    const r = await probeRedis();
    const proxy = await startTcpProxy({ port: r.server.port });
    const { worker, runs } = noopWorker(proxy.url, { concurrency: 8 });
    try {
      await worker.start();
      let producing = true;
      const producer = (async () => {
        for (let i = 0; producing; i += 1) {
          await Promise.all(Array.from({ length: 5 }, (_, k) => r.enqueueNoop({ i: i * 5 + k })));
          await sleep(20);
        }
      })();
      for (let drop = 0; drop < 20; drop += 1) {
        await sleep(150 + Math.random() * 300);
        await r.redis.script("FLUSH"); // as after a Redis restart: the next recover gets NOSCRIPT
        proxy.drop();
      }
      producing = false;
      await producer;
      await waitFor(async () => (await r.redis.llen(r.keys.wait)) === 0 && worker.activeCount() === 0, { timeoutMs: 30_000, what: "drain" });
      const twice = [...runs].filter(([, count]) => count > 1);
      const stalls = await r.redis.hget(r.keys.stats, "stalled");
      return {
        reproduced: twice.length > 0,
        evidence: `${twice.length} of ${runs.size} jobs ran more than once in one live worker (stalls recorded: ${stalls ?? 0}); e.g. ${twice.slice(0, 3).map(([id, n]) => `${id}×${n}`).join(", ")}`,
      };
    } finally {
      await worker.stop().catch(() => {});
      await proxy.close();
      await r.close();
    }
  },
};

/**
 * Recovery (blocking-pop.ts) first ends stale blocking connections on the server with `CLIENT KILL ID`. That one
 * call went out on the command connection without the close guard every other call has; with
 * `autoResendUnfulfilledCommands: false`, ioredis drops a command whose connection closes before the reply and
 * never settles its promise. A connection drop with CLIENT KILL in flight therefore hung recovery forever: lane 0
 * stopped claiming, the queue's backlog sat untouched in a worker that still looked healthy, and its stop hung.
 * Seen in CI as the connection-drops probe above timing out (1 run in 5 under load).
 */
export const recoverHangsOnLostClientKill: Probe = {
  id: "recover-hangs-on-lost-client-kill",
  title: "A connection drop while recovery's CLIENT KILL is in flight hangs the queue's fetch loop and the worker's stop forever",
  area: "worker",
  status: "fixed",
  fixedBy: "31bbb70",
  async run() {
    const r = await probeRedis();
    const proxy = await startTcpProxy({ port: r.server.port });
    const { worker, runs } = noopWorker(proxy.url, { concurrency: 8 });
    let stopped = false;
    try {
      await worker.start();
      await waitFor(async () => String(await r.redis.call("CLIENT", "LIST")).includes("cmd=blmove"), { what: "the worker to block" });
      // The first drop makes the blocking connection stale (recovery must CLIENT KILL it); the trap drops every
      // connection again the moment that CLIENT KILL is sent, so its reply never comes.
      const sprung = proxy.dropWhen("KILL");
      proxy.drop();
      await sprung;
      await r.enqueueNoop({}); // the only job of the run
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && runs.size === 0) await sleep(50);
      const ran = runs.size > 0;
      stopped = await Promise.race([worker.stop().then(() => true, () => true), sleep(10_000).then(() => false)]);
      return {
        reproduced: !ran || !stopped,
        evidence: `after the lost CLIENT KILL a job enqueued ${ran ? "ran" : "did not run within 15 s"}; stop ${stopped ? "finished" : "did not finish within 10 s"}`,
      };
    } finally {
      if (!stopped) void worker.stop().catch(() => {}); // with the bug it never settles
      await proxy.close();
      await r.close();
    }
  },
};

/**
 * At a clean stop, `stopFetching` only disconnects the blocking connection; Redis may still hold that client's
 * BLMOVE for a moment. The stop `tick` (lease 0) that follows RPUSHes leftovers back to wait, the still-blocked
 * BLMOVE moves them straight into this worker's in-flight list again, and the tick has already removed the worker
 * from the registry: nobody will ever reap that list. Seen with leftovers in the in-flight list (entries whose
 * claim reply was lost) and nothing running, so the stop tick follows the disconnect within a millisecond.
 */
export const zombieBlmoveAtStop: Probe = {
  id: "zombie-blmove-at-stop",
  title: "Graceful stop: the worker's own still-blocked BLMOVE swallows what the stop tick hands back; the job is orphaned",
  area: "worker",
  status: "fixed",
  fixedBy: "af3478a",
  async run() {
    const r = await probeRedis();
    try {
      for (let attempt = 1; attempt <= 5; attempt += 1) {
        const { worker } = noopWorker(r.server.url);
        await worker.start();
        // Idle: lane 0 sits in BLMOVE. Plant a job as a claim whose reply was lost leaves it: active, attempt 1,
        // in this worker's in-flight list, unknown to the process.
        await waitFor(async () => String(await r.redis.call("CLIENT", "LIST")).includes("cmd=blmove"), { what: "the worker to block" });
        const planted = newLocalId();
        await r.redis.hset(r.keys.job(planted), { v: "1", n: "noop", d: "{}", s: "active", a: "1", m: "3", c: String(Date.now()) });
        await r.redis.lpush(r.keys.active(worker.id), planted);
        await worker.stop();
        const where = await whereIs(r.redis, r.keys, planted);
        const registered = await r.redis.zscore(r.keys.workers, worker.id);
        if (!where.lists.includes("wait") && registered === null && where.lists.length > 0) {
          return { reproduced: true, evidence: `attempt ${attempt}: after stop the handed-back job is in ${where.lists.join(", ")} (state ${where.state}) of a worker no longer registered` };
        }
      }
      return { reproduced: false, evidence: "5 stops: the handed-back job was in the wait list each time" };
    } finally {
      await r.close();
    }
  },
};

/**
 * ioredis decodes list entries as UTF-8 strings. A wait-list entry whose bytes are not UTF-8 comes back with
 * U+FFFD replacements; the worker dead-letters it under a fresh id, but `settle` then LREMs the decoded string,
 * which does not match the bytes in the in-flight list: the settlement is "dropped" (logged as a lost lease), no
 * dead-letter is written, and the entry stays in the in-flight list until shutdown, when it goes back to wait.
 */
export const nonUtf8Entry: Probe = {
  id: "non-utf8-wait-entry",
  title: "A wait-list entry that is not UTF-8 is never dead-lettered; it stays in the worker's in-flight list",
  area: "worker",
  status: "fixed",
  fixedBy: "6d95094",
  async run() {
    const r = await probeRedis();
    const { worker, logs } = noopWorker(r.server.url);
    try {
      await worker.start();
      await r.redis.lpush(r.keys.wait, Buffer.from([0xff, 0xfe, 0x41, 0xc3]));
      // Whichever comes first: the dead-letter (fixed) or the dropped settlement (the bug).
      await waitFor(async () => logs.some((line) => line.msg.startsWith("settlement dropped")) || (await r.redis.zcard(r.keys.dead)) > 0 || undefined, { timeoutMs: 10_000, what: "the poison settlement" }).catch(() => {});
      const dead = await r.redis.zcard(r.keys.dead);
      const inFlight = await r.redis.lrangeBuffer(r.keys.active(worker.id), 0, -1);
      const stuck = inFlight.some((entry) => entry.equals(Buffer.from([0xff, 0xfe, 0x41, 0xc3])));
      return {
        reproduced: dead === 0 && stuck,
        evidence: `dead-letters: ${dead}; entry still in the in-flight list: ${stuck}; worker log: ${logs.map((line) => line.msg).join(" / ").slice(0, 300)}`,
      };
    } finally {
      await worker.stop().catch(() => {});
      await r.close();
    }
  },
};

/**
 * runJob validates the payload with the job's schema before running; the webhook schema's `body: z.json()` is
 * recursive, and a body nested a few thousand levels deep makes it throw RangeError (stack overflow) instead of
 * returning a failure. Nothing catches it (`launch` keeps the rejected promise, there is no unhandledRejection
 * handler), so the worker process dies; the job is claimed again by the next worker, which dies too, until the
 * lease machinery dead-letters it as "stalled" — taking every other job those processes were running with it.
 */
export const deepPayloadCrashesWorker: Probe = {
  id: "deep-payload-crashes-worker",
  title: "A webhook record whose body is nested ~4,000 deep crashes the worker process (unhandled RangeError)",
  area: "worker",
  status: "fixed",
  fixedBy: "6d95094",
  async run() {
    const r = await probeRedis();
    const keys = queueKeys("webhook");
    const entry = await bundleChaosWorker();
    const child = fork(entry, [], {
      env: { ...process.env, REDIS_URL: r.server.url, CHAOS_QUEUES: "webhook", WEBHOOK_SECRET: `whsec_${randomBytes(32).toString("base64")}`, LOG_LEVEL: "silent" },
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, "exit");
    try {
      await new Promise<void>((resolve, reject) => {
        child.on("message", (message: { type?: string }) => message.type === "ready" && resolve());
        void exited.then(() => reject(new Error(`worker exited before ready: ${stderr.slice(-300)}`)));
      });
      const depth = 5_000;
      const data = `{"url":"https://example.com/hook","body":${"[".repeat(depth)}1${"]".repeat(depth)}}`;
      await r.redis.hset(keys.job("deepdeepdeep0001"), { v: "1", n: "webhook", d: data, s: "waiting", a: "0", m: "8", c: String(Date.now()) });
      await r.redis.lpush(keys.wait, "deepdeepdeep0001");
      const outcome = await Promise.race([
        exited.then(([code, signal]) => `exited (${signal ?? code})`),
        waitFor(async () => ["dead", "delayed"].includes((await r.redis.hget(keys.job("deepdeepdeep0001"), "s")) ?? "") || undefined, { timeoutMs: 15_000, what: "the job to fail" })
          .then(() => "survived")
          .catch(() => "neither"),
      ]);
      return {
        reproduced: outcome.startsWith("exited"),
        evidence: `worker ${outcome}; stderr: ${stderr.split("\n").find((line) => line.includes("RangeError")) ?? stderr.slice(-200)}`,
      };
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
      await r.close();
    }
  },
};

/**
 * The claim script takes ARGV[4] = "" to mean "BLMOVE moved nothing". A wait-list entry that is the empty string
 * (a producer bug) moved by BLMOVE therefore is never taken by the claim: it stays in the worker's in-flight list,
 * neither run nor dead-lettered, for as long as that worker lives (the same entry taken by a claim's own LMOVE is
 * dead-lettered correctly).
 */
export const emptyEntryViaBlmove: Probe = {
  id: "empty-entry-via-blmove",
  title: "An empty wait-list entry taken by BLMOVE is never dead-lettered; it sits in the in-flight list",
  area: "worker",
  status: "fixed",
  fixedBy: "6d95094",
  async run() {
    const r = await probeRedis();
    const { worker } = noopWorker(r.server.url);
    try {
      await worker.start();
      await waitFor(async () => String(await r.redis.call("CLIENT", "LIST")).includes("cmd=blmove"), { what: "the worker to block" });
      await r.redis.lpush(r.keys.wait, "");
      const dead = await waitFor(async () => (await r.redis.zcard(r.keys.dead)) > 0 || undefined, { timeoutMs: 3_000, what: "" })
        .then(() => true)
        .catch(() => false);
      const inFlight = await r.redis.lrange(r.keys.active(worker.id), 0, -1);
      return {
        reproduced: !dead && inFlight.includes(""),
        evidence: `dead-lettered within 3 s: ${dead}; in-flight list: ${JSON.stringify(inFlight)}`,
      };
    } finally {
      await worker.stop().catch(() => {});
      await r.close();
    }
  },
};
