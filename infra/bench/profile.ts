/**
 * Profiles one system's worker process draining pre-enqueued jobs: `node --cpu-prof` on the worker, INFO
 * commandstats and Redis CPU on the server. What the analysis in analysis.md is based on.
 *
 *   npx tsx infra/bench/profile.ts offload 1 30000           # system, concurrency, jobs
 *   npx tsx infra/bench/profile.ts offload 100 50000 --alloc # where the allocations (GC pressure) come from
 *
 * Prints jobs/s, worker CPU and Redis CPU per job, Redis commands per job, then time by package/area and the
 * functions with the most self time (or, with --alloc, bytes allocated per job by function). The profile stays
 * in infra/bench/.build/profile-<system>-c<n>/ for Chrome DevTools or speedscope.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { startRedisServer } from "../runtime/redis-server";
import { PAYLOAD, SYSTEMS, type SystemName } from "./bench-job";
import { RedisAdmin } from "./redis-admin";
import { PRODUCERS } from "./systems/index";
import { BUILD_DIR, bundleWorkers, removeBundles, startWorkerProcess } from "./worker-process";
import { ALLOC_PROFILE_ENV } from "./workers/protocol";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function and per package/area, as shares of all samples (idle included). */
function summarizeProfile(profile: CpuProfile): { byArea: [string, number][]; byFunction: [string, number][] } {
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const time = self.get(node.id) ?? 0;
    total += time;
    const { functionName, url, lineNumber } = node.callFrame;
    const fn = `${functionName || "(anonymous)"} ${url.split("/").slice(-2).join("/")}:${lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + time);
    const area =
      /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
      (url.includes("/workers-") ? "the worker bundle (system code)" : url.startsWith("node:") ? `node:${url.slice(5).split("/")[0]}` : url || functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + time);
  }
  const share = (m: Map<string, number>) => [...m].map(([k, v]): [string, number] => [k, v / total]).sort((a, b) => b[1] - a[1]);
  return { byArea: share(byArea), byFunction: share(byFunction) };
}

interface AllocationNode {
  callFrame: ProfileNode["callFrame"];
  selfSize: number;
  children: AllocationNode[];
}

/** Bytes allocated per function (sampled), biggest first. */
function summarizeAllocations(head: AllocationNode): [string, number][] {
  const byFunction = new Map<string, number>();
  const walk = (node: AllocationNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const fn = `${functionName || "(anonymous)"} ${url.split("/").slice(-2).join("/")}:${lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + node.selfSize);
    node.children.forEach(walk);
  };
  walk(head);
  return [...byFunction].sort((a, b) => b[1] - a[1]);
}

async function main(): Promise<void> {
  const alloc = process.argv.includes("--alloc");
  const [system, concurrencyText = "1", jobsText = "30000"] = process.argv.slice(2).filter((a) => !a.startsWith("--"));
  if (!SYSTEMS.includes(system as SystemName)) throw new Error(`usage: profile.ts <${SYSTEMS.join("|")}> [concurrency] [jobs]`);
  const concurrency = Number(concurrencyText);
  const jobs = Number(jobsText);
  const dir = join(BUILD_DIR, `profile-${system}-c${concurrency}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  const [redis] = await Promise.all([startRedisServer(), bundleWorkers()]);
  const admin = new RedisAdmin(redis.url);
  try {
    const producer = await PRODUCERS[system as SystemName](redis.url);
    for (let done = 0; done < jobs; done += 1_000) await producer.enqueueBatch(new Array(Math.min(1_000, jobs - done)).fill(PAYLOAD));
    await producer.close();
    await admin.resetStats();
    const cpuBefore = await admin.info("cpu");
    const worker = await startWorkerProcess(
      { system: system as SystemName, redisUrl: redis.url, concurrency, expected: jobs, reportEachCall: false },
      alloc
        ? { env: { [ALLOC_PROFILE_ENV]: join(dir, "allocations.heapprofile") } }
        : { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${dir}`] },
    );
    const [first, done] = await Promise.all([worker.next("first"), worker.next("done")]);
    const workerCpuMs = await worker.cpuMs();
    const cpuAfter = await admin.info("cpu");
    const stats = await admin.commandStats();
    await worker.stop();

    const redisCpuS = ["used_cpu_sys", "used_cpu_user"].reduce((s, k) => s + Number(cpuAfter[k]) - Number(cpuBefore[k]), 0);
    const perJob = (n: number) => (n / jobs).toFixed(2);
    console.log(`${system} c=${concurrency}, ${jobs} jobs: ${((jobs * 1_000) / (done.at - first.at)).toFixed(0)} jobs/s`);
    console.log(
      `worker CPU ${(((done.cpuMs - first.cpuMs) * 1_000) / jobs).toFixed(1)} µs/job first call → last completion, as the bench reports it ` +
        `(${((workerCpuMs * 1_000) / jobs).toFixed(1)} with start-up); Redis CPU ${((redisCpuS * 1e6) / jobs).toFixed(1)} µs/job`,
    );
    const total = Object.values(stats).reduce((a, b) => a + b, 0);
    const top = Object.entries(stats).sort((a, b) => b[1] - a[1]).slice(0, 14);
    console.log(`Redis commands per job: ${perJob(total)} (${top.map(([name, n]) => `${name} ${perJob(n)}`).join(", ")})`);

    if (alloc) {
      const { head } = JSON.parse(readFileSync(join(dir, "allocations.heapprofile"), "utf8")) as { head: AllocationNode };
      const rows = summarizeAllocations(head);
      const total = rows.reduce((sum, [, bytes]) => sum + bytes, 0);
      console.log(`\nallocated ≈ ${(total / jobs).toFixed(0)} bytes per job (sampled; start-up included); by function:`);
      for (const [fn, bytes] of rows.slice(0, 25)) console.log(`  ${(bytes / jobs).toFixed(0).padStart(6)} B/job  ${fn}`);
      return;
    }
    const file = readdirSync(dir).find((name) => name.endsWith(".cpuprofile"));
    if (!file) throw new Error(`no .cpuprofile in ${dir}`);
    const { byArea, byFunction } = summarizeProfile(JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile);
    const pct = (share: number) => `${(share * 100).toFixed(1).padStart(5)}%`;
    console.log("\nworker time by area (share of all samples):");
    for (const [area, share] of byArea.slice(0, 12)) console.log(`  ${pct(share)}  ${area}`);
    console.log("\nfunctions with the most self time:");
    for (const [fn, share] of byFunction.slice(0, 25)) console.log(`  ${pct(share)}  ${fn}`);
    console.log(`\nprofile: ${join(dir, file)}`);
  } finally {
    await admin.close();
    await redis.stop();
    removeBundles();
  }
}

await main();
