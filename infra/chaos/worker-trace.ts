/**
 * Optional tracing for the chaos worker (CHAOS_TRACE=1): logs every fetch-loop step of the real QueueWorker
 * (claim, recover, blocking pop, pause: enter / exit / throw) with what the process holds at that moment, so a
 * duplicate or a loss can be traced to the step that caused it. Patches the prototype; changes no behaviour.
 */
import { QueueWorker } from "../../worker/src/queue-worker";

export function traceFetchLoop(write: (line: string) => void): void {
  const prototype = QueueWorker.prototype as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of ["recover", "claim", "blockForWork", "pause"]) {
    const original = prototype[name]!;
    prototype[name] = async function (this: { running: Map<string, unknown>; moved: string }, ...args: unknown[]) {
      const held = () => `running=[${[...this.running.keys()].join(",")}] moved=${this.moved}`;
      write(`${Date.now()} ${name} enter ${held()}`);
      try {
        const result = await original.apply(this, args);
        write(`${Date.now()} ${name} exit ${typeof result === "number" ? result : ""} ${held()}`);
        return result;
      } catch (error) {
        write(`${Date.now()} ${name} throw ${(error as Error).message}`);
        throw error;
      }
    };
  }
}
