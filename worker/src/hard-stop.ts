/**
 * "Hand running jobs back now": one per worker process. A plain listener set rather than an AbortSignal because
 * every running job subscribes, and EventTarget listeners cost more than the no-op jobs they would guard.
 */
export class HardStop {
  private readonly listeners = new Set<() => void>();
  private stopped = false;

  abort(): void {
    if (this.stopped) return;
    this.stopped = true;
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) listener();
  }

  /** Calls `listener` on abort (at once if already aborted); returns the unsubscribe. */
  onAbort(listener: () => void): () => void {
    if (this.stopped) {
      listener();
      return () => {};
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
