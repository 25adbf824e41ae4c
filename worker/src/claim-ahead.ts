/**
 * Claim-ahead for one queue: jobs claimed (active in Redis, in our in-flight list) beyond the free slots, held
 * here until a slot frees, plus the policy that decides how many to claim ahead.
 *
 * The trade-off, as graphile-worker's localQueue.ts states it for its batch fetch:
 *   + Quick jobs stop paying one round trip each. At 1 ms per run and 0.3 ms per round trip, a process that claims
 *     exactly its free slots spends much of its time waiting for Redis; claiming ten ahead turns ten round trips
 *     into one, and the slot of a finished job passes straight to a held one without asking Redis.
 *   − Held jobs are invisible to other workers. A slow job held here waits behind our running ones while another
 *     worker sits idle, and the latency of every held job grows by our runs ahead of it.
 *   − A process that dies holding jobs delays them by up to one lease (the lease reaper hands them back); at stop
 *     they are handed back at once, attempt given back (`drain`).
 * So claim-ahead runs only while both sides of the bet hold: runs are quick (moving average under
 * MAX_RUN_MS — unknown until a job has run, so nothing is claimed ahead blind) and the queue is busy (the last
 * claim was filled, so there is more waiting). Slow or sparse queues claim exactly their free slots.
 */
import type { ClaimedEntry } from "../../shared/src/ops/claim";

/** Above this average run time, claiming ahead costs other workers more than the round trips it saves. */
export const MAX_RUN_MS = 20;
/** Weight of the newest run in the moving average: about the last ten runs count. */
const AVERAGE_WEIGHT = 0.1;

export class ClaimAhead {
  private readonly held: ClaimedEntry[] = [];
  /** Moving average of run time; Infinity until a job has run. */
  private averageRunMs = Infinity;
  private lastClaimFilled = false;

  /** @param limit jobs this queue may hold beyond its slots (WORKER_PREFETCH); 0 turns claim-ahead off. */
  constructor(readonly limit: number) {}

  /** How many jobs to ask for beyond the reserved slots in the next claim. */
  wanted(stopping: boolean): number {
    const worthIt = this.limit > 0 && this.lastClaimFilled && this.averageRunMs < MAX_RUN_MS && !stopping;
    return worthIt ? Math.max(0, this.limit - this.held.length) : 0;
  }

  /** Feeds the policy with a claim's result: `asked` jobs requested, `got` returned. */
  claimed(asked: number, got: number): void {
    this.lastClaimFilled = got >= asked;
  }

  /** Feeds the policy with one run's wall time. */
  ran(ms: number): void {
    this.averageRunMs = this.averageRunMs === Infinity ? ms : this.averageRunMs * (1 - AVERAGE_WEIGHT) + ms * AVERAGE_WEIGHT;
  }

  get averageMs(): number {
    return this.averageRunMs;
  }

  hold(entries: readonly ClaimedEntry[]): void {
    this.held.push(...entries);
  }

  /** The next held job, oldest first, for a slot that just freed. */
  next(): ClaimedEntry | undefined {
    return this.held.shift();
  }

  /** Entries held: still ours in Redis, so recovery must not hand them back. */
  entries(): string[] {
    return this.held.map((claimed) => claimed.entry);
  }

  get size(): number {
    return this.held.length;
  }

  /** Empties the buffer (at stop: the caller hands each one back). */
  drain(): ClaimedEntry[] {
    return this.held.splice(0);
  }
}
