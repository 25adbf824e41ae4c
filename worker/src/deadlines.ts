/**
 * Run timeouts of one queue on ONE timer, instead of a `setTimeout` (and its clearTimeout) per run: at 10k jobs/s
 * the per-run timers were a measurable share of the worker's CPU and garbage (infra/bench/analysis.md).
 *
 * Runs of one job type share their timeout, so their deadlines arrive in the order they were set: each distinct
 * timeout gets a FIFO list (doubly linked, so a run that ends removes itself in O(1) from anywhere in it), and the
 * one timer is armed for the earliest head among the lists. A run that ends early just unlinks itself; the timer
 * is not re-armed for that (it fires at the old head's deadline, finds nothing due, and re-arms for the new head),
 * so a busy queue of quick jobs touches the timer about once per timeout period, not once per job. Per-job
 * overrides (`options.timeoutMs`) just make another list; there are few distinct values.
 *
 * The cost: a deadline fires when the timer does, which Node may run a little late under load (as any timer);
 * the lists hold one small node per running job.
 */

interface Node {
  deadline: number;
  fire: () => void;
  prev: Node | undefined;
  next: Node | undefined;
  list: List | undefined;
}

interface List {
  head: Node | undefined;
  tail: Node | undefined;
}

export class Deadlines {
  private readonly lists = new Map<number, List>();
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;
  private size = 0;

  /** Calls `fire` after `ms` unless the returned cancel is called first. */
  schedule(ms: number, fire: () => void): () => void {
    let list = this.lists.get(ms);
    if (!list) this.lists.set(ms, (list = { head: undefined, tail: undefined }));
    const node: Node = { deadline: Date.now() + ms, fire, prev: list.tail, next: undefined, list };
    if (list.tail) list.tail.next = node;
    else list.head = node;
    list.tail = node;
    this.size += 1;
    if (node.deadline < this.armedFor) this.arm(node.deadline);
    return () => this.remove(node);
  }

  /** Runs pending (for tests and diagnostics). */
  get pending(): number {
    return this.size;
  }

  private remove(node: Node): void {
    const list = node.list;
    if (!list) return;
    if (node.prev) node.prev.next = node.next;
    else list.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else list.tail = node.prev;
    node.list = node.prev = node.next = undefined;
    this.size -= 1;
    if (this.size === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.armedFor = Infinity;
    }
  }

  private arm(at: number): void {
    clearTimeout(this.timer);
    this.armedFor = at;
    this.timer = setTimeout(() => this.fireDue(), Math.max(0, at - Date.now()));
  }

  private fireDue(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = Date.now();
    const due: (() => void)[] = [];
    let next = Infinity;
    for (const list of this.lists.values()) {
      while (list.head && list.head.deadline <= now) {
        const node = list.head;
        due.push(node.fire);
        this.remove(node);
      }
      if (list.head && list.head.deadline < next) next = list.head.deadline;
    }
    if (next < Infinity) this.arm(next);
    for (const fire of due) fire();
  }
}
