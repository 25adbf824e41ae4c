/**
 * The `offload` CLI as users run it: a child process (`node infra/cli/bin.mjs …`, what `npx offload` runs) against
 * a real redis-server started for this file. Each test has its own REDIS_PREFIX, so tests cannot see each other's
 * queues. Dead letters are made the way a worker makes them: enqueue, claim, settle as dead (shared ops).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimCall, parseClaimReply } from "../../shared/src/ops/claim";
import { enqueue, prepareJob } from "../../shared/src/ops/enqueue";
import { settleCall } from "../../shared/src/ops/settle";
import { readRecord } from "../../shared/src/ops/read";
import { noopJob } from "../../shared/src/jobs/noop";
import { queueKeys, type QueueKeys } from "../../shared/src/keys";
import { ioredisRunner } from "../../shared/src/runners/ioredis-runner";
import type { ScriptRunner } from "../../shared/src/script-runner";
import { REPO_ROOT } from "../dev/config";
import { freePort } from "../runtime/free-port";
import { startRedisServer, type RedisServerHandle } from "../runtime/redis-server";

const BIN = join(REPO_ROOT, "infra/cli/bin.mjs");
let server: RedisServerHandle;
let redis: Redis;
let runner: ScriptRunner;
let prefixCount = 0;

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { protocol: 2 } as never);
  runner = ioredisRunner(redis);
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, OFFLOAD_DEBUG: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A fresh prefix, and the CLI bound to it and to this file's Redis. */
function scope() {
  const prefix = `cli${++prefixCount}`;
  return {
    prefix,
    keys: (queue: string): QueueKeys => queueKeys(queue, prefix),
    run: (...args: string[]) => cli(args, { REDIS_URL: server.url, REDIS_PREFIX: prefix }),
  };
}

/** Enqueues `count` noop jobs and dead-letters them as a worker would; returns their job ids. */
async function makeDead(keys: QueueKeys, count: number, message = "boom"): Promise<string[]> {
  const jobs = await Promise.all(Array.from({ length: count }, (_, i) => prepareJob(noopJob, { i })));
  const results = await enqueue(runner, keys, jobs);
  const { claimed } = parseClaimReply(await runner.run(claimCall(keys, "cli-test-worker", count)));
  expect(claimed).toHaveLength(count);
  const now = Date.now();
  await runner.run(
    settleCall(
      keys,
      "cli-test-worker",
      claimed.map(({ entry }) => ({
        entry,
        recordId: entry,
        kind: "dead" as const,
        payload: JSON.stringify({ message, reason: "failed", stack: `Error: ${message}\n    at handler (noop.ts:1:1)` }),
        runAt: now,
        ttlMs: 3_600_000,
        runMs: 1,
      })),
      now,
    ),
  );
  return results.map((result) => result.id);
}

describe("offload: usage, help and exit codes", () => {
  it("--help lists every command and the exit codes (exit 0); no command prints it to stderr (exit 2)", async () => {
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    for (const command of ["stats", "jobs", "inspect", "replay", "purge", "pause", "resume", "enqueue"]) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\s`, "m"));
    }
    expect(help.stdout).toMatch(/^  3  Redis unreachable/m);
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe("");
    expect(none.stderr).toContain("Usage: offload <command>");
  });

  it("<command> --help shows its usage without connecting (exit 0, even with Redis unreachable)", async () => {
    const run = await cli(["jobs", "--help"], { REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: offload jobs <queue> \[--state <state>\]/);
  });

  it.each([
    [["frobnicate"], /^offload: unknown command "frobnicate"/],
    [["stats", "--bogus"], /^offload: stats: Unknown option '--bogus'/],
    [["stats", "extra"], /^offload: stats: unexpected argument "extra"/],
    [["jobs"], /^offload: jobs: missing <queue> \(one of: webhook, noop, digest, event, callback\)/],
    [["jobs", "webhok"], /^offload: jobs: unknown queue "webhok" \(known: webhook, noop, digest, event, callback\)/],
    [["jobs", "webhook", "--state", "lost"], /^offload: jobs: --state: expected one of waiting, delayed, active, completed, dead, cancelled, got "lost"/],
    [["jobs", "webhook", "--limit", "0"], /^offload: jobs: --limit: expected a whole number from 1 to 500, got "0"/],
    [["jobs", "webhook", "--limit", "2.5"], /--limit: expected a whole number/],
    [["enqueue", "noop", "{}", "--priority", "11"], /^offload: enqueue: --priority: expected a whole number from 1 to 10, got "11"/],
    [["inspect", "nonsense"], /^offload: inspect: "nonsense" is not a job id/],
    [["replay", "noop"], /^offload: replay: give --all or the ids/],
    [["replay", "noop", "--all", "noop.0000000000000000"], /^offload: replay: give --all or ids, not both/],
    [["replay", "noop", "webhook.0123456789abcdef"], /belongs to queue "webhook", not "noop"/],
    [["purge", "noop", "--before", "yesterday"], /^offload: purge: --before: expected an ISO time/],
    [["enqueue", "nope", "{}"], /^offload: enqueue: unknown job "nope"/],
    [["enqueue", "noop"], /^offload: enqueue: missing '<json>' payload/],
  ])("%j is a usage error: one line, exit 2, checked before connecting", async (args, message) => {
    // Redis is unreachable on purpose: a usage error must win (exit 2, not 3).
    const run = await cli(args, { REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("an invalid REDIS_URL or REDIS_PREFIX is one line naming the variable, exit 2", async () => {
    const url = await cli(["stats"], { REDIS_URL: "http://127.0.0.1:6379" });
    expect(url.code).toBe(2);
    expect(url.stderr).toBe("offload: invalid config: REDIS_URL: expected a redis:// or rediss:// URL\n");
    const prefix = await cli(["stats"], { REDIS_URL: server.url, REDIS_PREFIX: "has space" });
    expect(prefix.code).toBe(2);
    expect(prefix.stderr).toMatch(/^offload: invalid config: REDIS_PREFIX: /);
  });
});

describe("offload: Redis unreachable", () => {
  it("refused: one line with the address and the reason, no stack, exit 3", async () => {
    const port = await freePort();
    const run = await cli(["stats"], { REDIS_URL: `redis://:secret@127.0.0.1:${port}` });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(`offload: cannot reach Redis at redis://:***@127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port} (set REDIS_URL)\n`);
  });

  it("DNS failure: names the host, exit 3; --json gives the error as JSON on stderr", async () => {
    const run = await cli(["stats", "--json"], { REDIS_URL: "redis://no-such-host.invalid:6379" });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe("");
    const body = JSON.parse(run.stderr) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("redis_unreachable");
    expect(body.error.message).toMatch(/^cannot reach Redis at redis:\/\/no-such-host\.invalid:6379: .*(ENOTFOUND|EAI_AGAIN)/);
  });

  it("wrong password: exit 3 with Redis's reason", async () => {
    // The default user takes any password (nopass); a user with one does not.
    await redis.call("ACL", "SETUSER", "cli-user", "on", ">right", "~*", "+@all");
    const run = await cli(["stats"], { REDIS_URL: server.url.replace("redis://", "redis://cli-user:wrong@") });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^offload: cannot reach Redis at redis:\/\/cli-user:\*\*\*@127\.0\.0\.1:\d+: WRONGPASS/);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("offload enqueue and stats", () => {
  it("enqueue validates against the registry's schema, writes the job, and prints its id (exit 0)", async () => {
    const { keys, run } = scope();
    const text = await run("enqueue", "noop", '{"hello":"world"}');
    expect(text.code, text.stderr).toBe(0);
    const id = /^enqueued (noop\.[0-9a-z]{16}) \(waiting\)\n$/.exec(text.stdout)?.[1];
    expect(id, text.stdout).toBeDefined();

    const json = await run("enqueue", "noop", "{}", "--json");
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout) as { id: string; localId: string; state: string; outcome: string };
    expect(result).toEqual({ id: `noop.${result.localId}`, localId: expect.stringMatching(/^[0-9a-z]{16}$/), state: "waiting", outcome: "created" });
    expect(await redis.lrange(keys("noop").wait, 0, -1)).toEqual([result.localId, id!.slice("noop.".length)]);
    expect((await readRecord(ioredisRunner(redis), keys("noop"), result.localId)).d).toBe("{}");

    const later = await run("enqueue", "noop", "{}", "--delay", "1h", "--json");
    expect(JSON.parse(later.stdout)).toMatchObject({ state: "delayed" });
    expect(await redis.zcard(keys("noop").delayed)).toBe(1);
    const urgent = await run("enqueue", "noop", "{}", "--priority", "1", "--json");
    expect(JSON.parse(urgent.stdout)).toMatchObject({ state: "waiting" });
    expect(await redis.zcard(keys("noop").prio)).toBe(1);
  });

  it("stores the parsed payload, defaults applied, as the edge does", async () => {
    const { keys, run } = scope();
    const result = await run("enqueue", "digest", '{"text":"abc"}', "--json");
    expect(result.code, result.stderr).toBe(0);
    const { localId } = JSON.parse(result.stdout) as { localId: string };
    expect(JSON.parse((await readRecord(ioredisRunner(redis), keys("digest"), localId)).d!)).toEqual({ text: "abc", rounds: 100_000 });
  });

  it("invalid JSON: exit 2, the parser's reason, nothing written", async () => {
    const { keys, run } = scope();
    const result = await run("enqueue", "noop", "{hello}");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^offload: enqueue: invalid JSON: .+\n$/);
    expect(await redis.exists(keys("noop").wait)).toBe(0);
    const json = await run("enqueue", "noop", "{hello}", "--json");
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: "malformed_json" } });
  });

  it("schema failure: exit 2 with each zod issue path, nothing written; --json carries the issues", async () => {
    const { keys, run } = scope();
    const text = await run("enqueue", "digest", '{"text":5,"rounds":0}');
    expect(text.code).toBe(2);
    const lines = text.stderr.trim().split("\n");
    expect(lines[0]).toBe('offload: enqueue: payload does not match the "digest" schema');
    expect(lines.slice(1).map((line) => line.trim().split(":")[0]).sort()).toEqual(["rounds", "text"]);

    const json = await run("enqueue", "webhook", '{"url":"not a url","body":{}}', "--json");
    expect(json.code).toBe(2);
    const body = JSON.parse(json.stderr) as { error: { code: string; issues: { path: string; message: string }[] } };
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.issues.map((issue) => issue.path)).toContain("url");
    expect(await redis.exists(keys("digest").wait, keys("webhook").wait)).toBe(0);
  });

  it("stats: one row per registry queue as a table; --json gives the numbers", async () => {
    const { keys, run } = scope();
    await run("enqueue", "noop", "{}");
    await run("enqueue", "noop", "{}");
    await makeDead(keys("webhook"), 1);

    const text = await run("stats");
    expect(text.code, text.stderr).toBe(0);
    const [header, ...rows] = text.stdout.trim().split("\n");
    expect(header!.split(/\s+/)).toEqual(["QUEUE", "PAUSED", "WAITING", "ACTIVE", "DELAYED", "DEAD", "WORKERS", "COMPLETED", "FAILED", "STALLED"]);
    const byQueue = Object.fromEntries(rows.map((row) => [row.split(/\s+/)[0], row.split(/\s+/).slice(1)]));
    expect(byQueue.noop).toEqual(["no", "2", "0", "0", "0", "0", "0", "0", "0"]);
    expect(byQueue.webhook?.[4]).toBe("1"); // dead
    expect(byQueue.webhook?.[8]).toBe("0"); // FAILED counts failed attempts that were retried
    expect(Object.keys(byQueue).sort()).toEqual(["callback", "digest", "event", "noop", "webhook"]);

    // A paused queue's waiting jobs sit in its paused list: still counted, and the queue says it is paused.
    expect((await run("pause", "noop")).code).toBe(0);
    const json = await run("stats", "--json");
    const { queues } = JSON.parse(json.stdout) as { queues: { name: string; paused: boolean; counts: { waiting: number; dead: number }; totals: { dead: number }; workers: unknown[] }[] };
    expect(queues.map((queue) => queue.name).sort()).toEqual(["callback", "digest", "event", "noop", "webhook"]);
    expect(queues.find((queue) => queue.name === "noop")).toMatchObject({ paused: true, counts: { waiting: 2, dead: 0 }, workers: [] });
    expect(queues.find((queue) => queue.name === "webhook")).toMatchObject({ paused: false, counts: { waiting: 0, dead: 1 }, totals: { dead: 1 } });
  });
});

describe("offload admin commands", () => {
  it("pause and resume a queue (exit 0; --json { name, paused })", async () => {
    const { keys, run } = scope();
    await run("enqueue", "noop", "{}");
    const paused = await run("pause", "noop", "--json");
    expect(paused.code, paused.stderr).toBe(0);
    expect(JSON.parse(paused.stdout)).toEqual({ name: "noop", paused: true });
    expect(await redis.hget(keys("noop").meta, "paused")).toBe("1");
    expect(await redis.llen(keys("noop").paused)).toBe(1);

    const resumed = await run("resume", "noop");
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toBe("noop resumed\n");
    expect(await redis.hget(keys("noop").meta, "paused")).toBeNull();
    expect(await redis.llen(keys("noop").wait)).toBe(1);
  });

  it("jobs lists dead jobs as a table, pages with --limit/--cursor, and --json is the page", async () => {
    const { keys, run } = scope();
    const ids = await makeDead(keys("noop"), 3, "handler exploded");
    const text = await run("jobs", "noop", "--state", "dead");
    expect(text.code, text.stderr).toBe(0);
    const [header, ...rows] = text.stdout.trim().split("\n");
    expect(header!.split(/\s+/)).toEqual(["ID", "STATE", "ATTEMPT", "AT", "ERROR"]);
    expect(rows.map((row) => row.split(/\s+/)[0]).sort()).toEqual([...ids].sort());
    expect(rows.every((row) => row.includes("dead") && row.includes("handler exploded"))).toBe(true);

    const first = await run("jobs", "noop", "--limit", "2", "--json");
    const page = JSON.parse(first.stdout) as { jobs: { id: string; state: string; error: { message: string } }[]; nextCursor: string | null };
    expect(page.jobs).toHaveLength(2);
    expect(page.jobs[0]).toMatchObject({ state: "dead", error: { message: "handler exploded" } });
    expect(page.nextCursor).toEqual(expect.any(String));
    const firstText = await run("jobs", "noop", "--limit", "2");
    expect(firstText.stdout).toContain(`more: offload jobs noop --state dead --limit 2 --cursor ${page.nextCursor}`);
    const second = JSON.parse((await run("jobs", "noop", "--limit", "2", "--cursor", page.nextCursor!, "--json")).stdout) as typeof page;
    expect(second.jobs).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    expect([...page.jobs, ...second.jobs].map((job) => job.id).sort()).toEqual([...ids].sort());

    const empty = await run("jobs", "webhook");
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe("no dead jobs in webhook\n");
  });

  it("inspect shows one job (exit 0), --json is its detail; an unknown id is exit 1", async () => {
    const { keys, run } = scope();
    const [id] = await makeDead(keys("noop"), 1, "it broke");
    const text = await run("inspect", id!);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^id\\s+${id!.replace(".", "\\.")}$`, "m"));
    expect(text.stdout).toMatch(/^state\s+dead$/m);
    expect(text.stdout).toMatch(/^error\s+\[failed\] it broke$/m);
    expect(text.stdout).toContain("at handler (noop.ts:1:1)");

    const json = JSON.parse((await run("inspect", id!, "--json")).stdout) as { id: string; state: string; data: unknown };
    expect(json).toMatchObject({ id, state: "dead", data: { i: 0 } });

    const missing = await run("inspect", "noop.0000000000000000");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("offload: no job noop.0000000000000000 (unknown, or its record has expired)\n");
    const missingJson = await run("inspect", "noop.0000000000000000", "--json");
    expect(JSON.parse(missingJson.stderr)).toMatchObject({ error: { code: "not_found" } });
  });

  it("replay by id and --all moves dead jobs back to waiting; nothing to replay is exit 1", async () => {
    const { keys, run } = scope();
    const ids = await makeDead(keys("noop"), 3);
    const one = await run("replay", "noop", ids[0]!, "--json");
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toEqual({ replayed: 1, skipped: [] });
    expect(await redis.zcard(keys("noop").dead)).toBe(2);

    // Again: already replayed, so skipped with a reason; bare local ids are accepted too.
    const again = await run("replay", "noop", ids[0]!.slice("noop.".length));
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/^replayed 0 dead jobs of noop\n  skipped noop\.[0-9a-z]{16}: \S+\n$/);

    const all = await run("replay", "noop", "--all");
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toBe("replayed 2 dead jobs of noop\n");
    expect(await redis.zcard(keys("noop").dead)).toBe(0);
    expect((await redis.lrange(keys("noop").wait, 0, -1)).sort()).toEqual(ids.map((id) => id.slice("noop.".length)).sort());

    const none = await run("replay", "noop", "--all");
    expect(none.code).toBe(1);
  });

  it("purge deletes dead letters (all, or --before a time); nothing to purge is exit 1", async () => {
    const { keys, run } = scope();
    const ids = await makeDead(keys("noop"), 2);
    const early = await run("purge", "noop", "--before", "2000-01-01T00:00:00Z", "--json");
    expect(early.code).toBe(1);
    expect(JSON.parse(early.stdout)).toEqual({ purged: 0 });
    expect(await redis.zcard(keys("noop").dead)).toBe(2);

    const all = await run("purge", "noop");
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toBe("purged 2 dead jobs from noop\n");
    expect(await redis.zcard(keys("noop").dead)).toBe(0);
    expect(await redis.exists(...ids.map((id) => keys("noop").job(id.slice("noop.".length))))).toBe(0);

    const none = await run("purge", "noop");
    expect(none.code).toBe(1);
    expect(none.stdout).toBe("nothing to purge: no dead jobs in noop\n");
  });
});
