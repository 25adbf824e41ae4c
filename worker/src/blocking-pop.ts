/**
 * The blocking pop of one queue, and the recovery that makes it safe. Lane 0 of the fetch loop (queue-worker.ts)
 * calls `block()` when a claim found nothing: one BLMOVE from the wait list into our in-flight list, on a
 * connection of its own, which parks until a producer pushes (an idle worker sends one command a minute). The
 * entry it moves is claimed by lane 0's next claim call (`moved`).
 *
 * What can go wrong, and the answer to each:
 *   - The connection dies silently (a half-open TCP connection never answers): a watchdog a little longer than
 *     the block timeout declares it dead and reconnects.
 *   - The connection closes on our side while Redis still holds the BLMOVE open: Redis could move a job into our
 *     list long after we stopped waiting. We learn each connection's server-side id (`CLIENT ID`) and end stale
 *     ones on the server they live on (`CLIENT KILL ID`) before recovering, and the current one at stop.
 *   - On a Redis Cluster the queue's slot moves (resharding, failover): any failure, the watchdog or a closed
 *     connection asks blocking-connection.ts to find the owner again, and the next BLMOVE goes there.
 *   - Any call whose reply is lost (claim, BLMOVE) may have moved entries into our in-flight list that this
 *     process does not know about. `recover()` hands back every entry there that is not running, held, pending
 *     settlement or the moved one, attempt given back. It is exclusive: it waits out claims in flight and holds
 *     new claims until done, because a claim landing between "these are the ids I know" and the script (a
 *     NOSCRIPT retry is one such gap) would have its fresh jobs handed back while they run.
 */
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { BlockingClient, BlockingConnection } from "./blocking-connection";
import type { QueueKeys } from "../../shared/src/keys";
import { recoverCall } from "../../shared/src/ops/recover";
import { closeGuard } from "../../shared/src/runners/close-guard";
import type { ScriptRunner } from "../../shared/src/script-runner";
import type { WorkerObserver } from "./observer";

/** How much longer than the block timeout the watchdog waits before it declares the connection dead. */
const WATCHDOG_GRACE_MS = 5_000;

export interface BlockingPopOptions {
  keys: QueueKeys;
  workerId: string;
  runner: ScriptRunner;
  /** Connections of its own, on the node owning the queue's slot: they spend their life inside BLMOVE. */
  connection: BlockingConnection;
  /** How long one BLMOVE may block (seconds). */
  blockSeconds: number;
  /** Resolves when the queue stops fetching: a pending BLMOVE is abandoned. */
  stopped: Promise<"stopped">;
  isStopping(): boolean;
  observer: WorkerObserver;
  log: Logger;
}

export class BlockingPop {
  /** Set after any call whose reply was lost; lane 0 recovers before its next claim. */
  needsRecovery = false;
  /** An entry BLMOVE moved into our in-flight list, to be claimed by lane 0's next call. */
  private movedEntry: string | undefined;
  /** Server-side client id of each blocking connection we have sent a BLMOVE on, until it closes on our side. */
  private readonly clientIds = new Map<Redis, BlockingClient>();
  /** Of connections that closed on our side: Redis may still hold their BLMOVE open. */
  private readonly staleClients: BlockingClient[] = [];
  private readonly watched = new WeakSet<Redis>();
  private recovering: Promise<void> | undefined;

  constructor(private readonly o: BlockingPopOptions) {}

  /** Learns the connection's server-side id once per connection (a reconnect is a new client: `close` forgets it). */
  private async clientId(blocking: Redis, node: string): Promise<void> {
    if (!this.watched.has(blocking)) {
      this.watched.add(blocking);
      blocking.on("close", () => {
        const client = this.clientIds.get(blocking);
        if (client) this.staleClients.push(client);
        this.clientIds.delete(blocking);
        this.o.connection.reresolve();
      });
    }
    if (this.clientIds.has(blocking)) return;
    this.clientIds.set(blocking, { node, id: Number(await closeGuard(blocking)(blocking.client("ID"))) });
  }

  get moved(): string | undefined {
    return this.movedEntry;
  }

  /** The claim that carried `moved` returned (or failed: then recovery covers it). */
  clearMoved(): void {
    this.movedEntry = undefined;
  }

  /**
   * The recovery running now, if any: a claim awaits it and checks again. The check must be synchronous, right
   * before the claim is sent — an `await` on an already settled promise still yields a turn, in which lane 0 can
   * start a recovery that snapshots the claims in flight without this one, and then hands back the jobs it takes
   * (the recover-races-claim-lane finding, back after this check moved behind an async function).
   */
  get recovery(): Promise<void> | undefined {
    return this.recovering;
  }

  /** One BLMOVE, raced against a watchdog: a silently dead connection must not park the loop forever. */
  async block(): Promise<void> {
    const { keys, workerId, blockSeconds } = this.o;
    let watchdog: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"watchdog">((resolve) => {
      watchdog = setTimeout(() => resolve("watchdog"), blockSeconds * 1_000 + WATCHDOG_GRACE_MS);
    });
    try {
      const { redis: blocking, node } = await this.o.connection.current();
      // Learn this connection's id once per connection, so a later recovery or stop can end it server-side.
      await this.clientId(blocking, node);
      const result = await Promise.race([
        closeGuard(blocking)(blocking.blmove(keys.wait, keys.active(workerId), "RIGHT", "LEFT", blockSeconds)),
        timedOut,
        this.o.stopped,
      ]);
      if (result === "stopped") return;
      if (result === "watchdog") {
        this.o.log.warn({ queue: keys.queue }, "blocking connection unresponsive; reconnecting");
        blocking.disconnect(true);
        this.o.connection.reresolve();
        this.needsRecovery = true;
        return;
      }
      if (result !== null) {
        this.movedEntry = result;
        this.o.observer.popped?.({ queue: keys.queue, entry: result });
      }
    } catch (error) {
      if (this.o.isStopping()) return;
      this.o.observer.redisError?.({ queue: keys.queue, op: "pop", error });
      // The BLMOVE may have moved an id before the connection died: recovery hands it back. The error may be
      // MOVED/UNBLOCKED (the slot left this node): find its owner before the next BLMOVE.
      this.o.connection.reresolve();
      this.needsRecovery = true;
      throw error;
    } finally {
      clearTimeout(watchdog);
    }
  }

  /**
   * While the flow gate is closed (flow_gate.lua): park on the gate's wake-up list instead of the wait list (a
   * BLMOVE there would take a job the gate then sends back, again and again) until `reopenAt`, or until a freed
   * slot's marker arrives (null: no known time; at most one block timeout). BLPOP moves no job, so a lost reply
   * needs no recovery: at worst we wake at the timeout.
   */
  async waitForCapacity(reopenAt: number | null): Promise<void> {
    const { keys, blockSeconds } = this.o;
    const ms = Math.min(reopenAt === null ? Infinity : reopenAt - Date.now(), blockSeconds * 1_000);
    if (ms <= 0) return;
    let watchdog: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"watchdog">((resolve) => {
      watchdog = setTimeout(() => resolve("watchdog"), ms + WATCHDOG_GRACE_MS);
    });
    try {
      const { redis: blocking, node } = await this.o.connection.current();
      await this.clientId(blocking, node);
      // Redis takes a timeout in seconds with decimals; 1 ms is its resolution here.
      const result = await Promise.race([closeGuard(blocking)(blocking.blpop(keys.gateWake, Math.max(ms, 1) / 1_000)), timedOut, this.o.stopped]);
      if (result === "watchdog") {
        this.o.log.warn({ queue: keys.queue }, "blocking connection unresponsive; reconnecting");
        blocking.disconnect(true);
        this.o.connection.reresolve();
      }
    } catch (error) {
      if (this.o.isStopping()) return;
      this.o.observer.redisError?.({ queue: keys.queue, op: "pop", error });
      this.o.connection.reresolve(); // MOVED/UNBLOCKED: the slot may have left this node
      throw error;
    } finally {
      clearTimeout(watchdog);
    }
  }

  /**
   * Hands back what sits in our in-flight list unknown to this process. Runs on lane 0 only, never during its own
   * BLMOVE. `known` is read after the claims in flight have landed, so it includes what they started or held.
   */
  async recover(claimsInFlight: Iterable<Promise<unknown>>, known: () => string[]): Promise<void> {
    let done!: () => void;
    this.recovering = new Promise<void>((resolve) => (done = resolve));
    try {
      await Promise.allSettled([...claimsInFlight]);
      await this.killBlockingClients(false);
      const entries = known();
      if (this.movedEntry !== undefined) entries.push(this.movedEntry);
      const count = Number(await this.o.runner.run(recoverCall(this.o.keys, this.o.workerId, entries)));
      this.needsRecovery = false;
      this.o.observer.recovered?.({ queue: this.o.keys.queue, count });
      if (count > 0) this.o.log.warn({ queue: this.o.keys.queue, handedBack: count }, "handed back entries whose claim reply was lost");
    } finally {
      this.recovering = undefined;
      done();
    }
  }

  /**
   * At stop. Closing our socket is not enough: Redis may keep the BLMOVE blocked a moment longer and move what the
   * stop tick hands back straight into a list nobody will reap. Killing the client on the server ends it for sure.
   */
  async stop(): Promise<void> {
    await this.killBlockingClients(true);
    this.o.connection.close();
  }

  /**
   * Ends, on the server, blocking connections that are gone on our side (or, at stop, the current one): a
   * half-open connection's BLMOVE could otherwise still move a job into our list long after we stopped waiting.
   */
  private async killBlockingClients(includeCurrent: boolean): Promise<void> {
    const clients = this.staleClients.splice(0);
    if (includeCurrent) clients.push(...this.clientIds.values());
    await Promise.all(clients.map((client) => this.o.connection.kill(client).catch(() => {})));
  }
}
