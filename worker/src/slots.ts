/**
 * The process-wide concurrency budget shared by every queue's fetch loop: at most `size` jobs run at once.
 * Loops reserve slots before claiming (so two loops cannot over-claim) and give back what they did not use.
 */
export class Slots {
  private used = 0;
  private waiters: (() => void)[] = [];

  constructor(readonly size: number) {}

  get free(): number {
    return this.size - this.used;
  }

  get inUse(): number {
    return this.used;
  }

  /** Takes up to `max` free slots (at least 1 if any are free); returns how many were taken. */
  reserve(max: number = this.free): number {
    const taken = Math.max(0, Math.min(max, this.free));
    this.used += taken;
    return taken;
  }

  release(count = 1): void {
    this.used -= count;
    if (this.used < 0) throw new Error("released more slots than reserved");
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves when at least one slot is free. */
  available(): Promise<void> {
    if (this.free > 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
