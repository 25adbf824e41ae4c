/**
 * The benchmark's own view of Redis: wiping between measurements, memory, INFO commandstats, and a MONITOR
 * tap that tells commands a client sent apart from commands a Lua script ran (commandstats counts both).
 */
import { Redis } from "ioredis";

/** Commands the benchmark itself sends while measuring; left out of every count. */
const OWN_COMMANDS = new Set(["info", "echo", "config|resetstat", "client|list", "monitor", "flushall", "ping", "memory|purge"]);

/** Commands that run a script; their commandstats usec includes the commands the script ran. */
const SCRIPT_CALLS = new Set(["eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"]);

export class RedisAdmin {
  readonly redis: Redis;

  constructor(readonly url: string) {
    this.redis = new Redis(url, { protocol: 2 });
  }

  /** A clean slate: no keys, and scripts are kept (every system loads its own again when needed). */
  async flush(): Promise<void> {
    await this.redis.flushall("SYNC");
  }

  async info(section: string): Promise<Record<string, string>> {
    const text = await this.redis.info(section);
    const fields: Record<string, string> = {};
    for (const line of text.split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon > 0 && !line.startsWith("#")) fields[line.slice(0, colon)] = line.slice(colon + 1);
    }
    return fields;
  }

  async usedMemory(): Promise<number> {
    return Number((await this.info("memory")).used_memory);
  }

  async resetStats(): Promise<void> {
    await this.redis.config("RESETSTAT");
  }

  /** calls per command since the last reset, without the benchmark's own commands. */
  async commandStats(): Promise<Record<string, number>> {
    const stats: Record<string, number> = {};
    for (const [key, value] of Object.entries(await this.info("commandstats"))) {
      const name = key.replace(/^cmdstat_/, "");
      if (OWN_COMMANDS.has(name)) continue;
      stats[name] = Number(/calls=(\d+)/.exec(value)?.[1] ?? 0);
    }
    return stats;
  }

  /**
   * Microseconds Redis spent in script calls since the last reset (INFO commandstats `usec` of EVAL, EVALSHA,
   * FCALL and their _RO forms). A script's usec includes every command it ran; those commands are also listed
   * under their own names, so summing all of commandstats would count them twice. Commands a client sent outside
   * any script are not in this figure (they are in `cpuUs`, which is everything the server did).
   */
  async scriptUsec(): Promise<number> {
    let total = 0;
    for (const [key, value] of Object.entries(await this.info("commandstats"))) {
      if (!SCRIPT_CALLS.has(key.replace(/^cmdstat_/, ""))) continue;
      total += Number(/usec=(\d+)/.exec(value)?.[1] ?? 0);
    }
    return total;
  }

  /** Redis's own CPU time (used_cpu_user + used_cpu_sys, the whole server process) in µs. */
  async cpuUs(): Promise<number> {
    const cpu = await this.info("cpu");
    return (Number(cpu.used_cpu_user) + Number(cpu.used_cpu_sys)) * 1e6;
  }

  /** addr of every connected client ("127.0.0.1:port"). */
  async clientAddrs(): Promise<string[]> {
    const list = (await this.redis.client("LIST")) as string;
    return list
      .split("\n")
      .map((line) => /(?:^| )addr=(\S+)/.exec(line)?.[1])
      .filter((addr): addr is string => addr !== undefined);
  }

  /** Resolves once only the benchmark's own connections are left (a closed producer's memory is gone). */
  async untilClients(max: number): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if ((await this.clientAddrs()).length <= max) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`clients still connected: ${(await this.clientAddrs()).join(", ")}`);
  }

  /** Starts a MONITOR tap; see CommandTap. */
  async tap(): Promise<CommandTap> {
    const monitor = await this.redis.monitor();
    const self = (this.redis.stream as { localPort?: number } | undefined)?.localPort;
    return new CommandTap(monitor, self === undefined ? "" : `127.0.0.1:${self}`, this.redis);
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

export interface TapCounts {
  /** Commands sent by clients, by source address: round trips' worth of work as each client sees it. */
  bySource: Map<string, Map<string, number>>;
  /** Commands run inside Lua scripts, by name. */
  insideScripts: Map<string, number>;
}

/**
 * Counts what MONITOR shows between two markers the benchmark sends through its own connection, so nothing that
 * happened before `start()` or after `stop()` is counted however late its monitor line arrives.
 */
export class CommandTap {
  private counting = false;
  private counts: TapCounts = { bySource: new Map(), insideScripts: new Map() };
  private waiters = new Map<string, () => void>();

  constructor(
    private readonly monitor: Redis,
    private readonly selfAddr: string,
    private readonly admin: Redis,
  ) {
    monitor.on("monitor", (_time: string, args: string[], source: string) => {
      const name = (args[0] ?? "").toLowerCase();
      if (source === this.selfAddr || name === "echo") {
        if (name === "echo") this.waiters.get(args[1] ?? "")?.();
        return;
      }
      if (!this.counting) return;
      const bucket =
        source === "lua"
          ? this.counts.insideScripts
          : this.counts.bySource.get(source) ?? this.counts.bySource.set(source, new Map()).get(source)!;
      bucket.set(name, (bucket.get(name) ?? 0) + 1);
    });
  }

  /** Sends a marker and runs `atMarker` synchronously when MONITOR shows it, before any line after it. */
  private async marker(text: string, atMarker: () => void): Promise<void> {
    const seen = new Promise<void>((resolve) =>
      this.waiters.set(text, () => {
        atMarker();
        resolve();
      }),
    );
    await this.admin.echo(text);
    await seen;
    this.waiters.delete(text);
  }

  async start(): Promise<void> {
    await this.marker("offload-bench:start", () => {
      this.counts = { bySource: new Map(), insideScripts: new Map() };
      this.counting = true;
    });
  }

  async stop(): Promise<TapCounts> {
    await this.marker("offload-bench:stop", () => (this.counting = false));
    return this.counts;
  }

  close(): void {
    this.monitor.disconnect();
  }
}

export const sum = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);
