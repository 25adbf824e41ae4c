/** Where and with what a run happened: machine, versions, commit, date. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import type { RedisAdmin } from "./redis-admin";

const root = join(import.meta.dirname, "../..");

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "not installed";
  }
}

function git(args: string[]): string {
  try {
    return execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();
  } catch {
    return "";
  }
}

export interface MachineInfo {
  date: string;
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  platform: string;
  node: string;
  redis: string;
  versions: Record<string, string>;
  commit: string;
  /** 1-minute load average when the run started and when it ended: how busy the machine was besides us. */
  loadAverage: { start: number; end?: number };
}

export const loadAverage1m = () => Math.round(loadavg()[0]! * 100) / 100;

export async function machineInfo(admin: RedisAdmin): Promise<MachineInfo> {
  const dirty = git(["status", "--porcelain", "--", "shared", "worker", "edge"]) !== "";
  return {
    date: new Date().toISOString(),
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${process.platform} ${process.arch}`,
    node: process.version,
    redis: (await admin.info("server")).redis_version ?? "unknown",
    versions: Object.fromEntries(["bullmq", "bee-queue", "ioredis", "@upstash/redis", "autocannon", "wrangler"].map((n) => [n, packageVersion(n)])),
    commit: `${git(["rev-parse", "--short", "HEAD"])}${dirty ? " + uncommitted changes in shared/worker/edge" : ""}`,
    loadAverage: { start: loadAverage1m() },
  };
}
