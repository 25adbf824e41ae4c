/**
 * What the WORKER_PROCESSES supervisor (supervisor.ts) and its worker processes say to each other over the
 * IPC channel Node opens between them, and the worker's side of it. A child says `ready` once its leases are
 * registered (the supervisor's crash-loop count resets, as the dev stack's does on "worker started"), and
 * answers `health` and `metrics` requests, from which the supervisor serves the machine's one HEALTH_PORT.
 *
 * IPC rather than a health port per child: Fly checks and scrapes one port per machine, and `auto` makes the
 * number of children unknown to fly.toml. The cost is one JSON message per child per scrape.
 */
import { z } from "zod";
import type { Registry } from "prom-client";

export const SupervisorRequest = z.object({ type: z.enum(["health", "metrics"]), id: z.number().int() });
export type SupervisorRequest = z.infer<typeof SupervisorRequest>;

export const ChildHealth = z.object({ healthy: z.boolean(), redis: z.string(), cause: z.string().optional() });

export const ChildMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready") }),
  z.object({ type: z.literal("health"), id: z.number().int(), health: ChildHealth }),
  // prom-client's getMetricsAsJSON() output, handed as is to AggregatorRegistry.aggregate.
  z.object({ type: z.literal("metrics"), id: z.number().int(), metrics: z.array(z.unknown()) }),
]);
export type ChildMessage = z.infer<typeof ChildMessage>;

/** Set by the supervisor in its children's environment; nothing else should set it. */
export const SUPERVISED_ENV = "OFFLOAD_SUPERVISED";

/**
 * In a worker started by the supervisor: answers its requests, says `ready` when told to, and stops gracefully
 * (as on SIGTERM) if the supervisor goes away without stopping it (SIGKILL, OOM), so no worker outlives it
 * unseen — from the start, not only once ready (a worker still connecting would otherwise be orphaned). Does
 * nothing in a worker that was started on its own (WORKER_PROCESSES=1).
 * @example
 * const supervisor = answerSupervisor({ health: worker.health, registry: metrics.registry });
 * await worker.start();
 * supervisor.ready();
 */
export function answerSupervisor(options: { health: () => z.input<typeof ChildHealth>; registry: Registry }): { ready(): void } {
  if (process.env[SUPERVISED_ENV] !== "1" || !process.send) return { ready() {} };
  const send = (message: ChildMessage) => process.connected && process.send!(message, undefined, {}, () => {});
  process.on("message", async (raw: unknown) => {
    const request = SupervisorRequest.safeParse(raw);
    if (!request.success) return;
    const { type, id } = request.data;
    if (type === "health") send({ type, id, health: options.health() });
    else send({ type, id, metrics: await options.registry.getMetricsAsJSON() });
  });
  process.once("disconnect", () => process.kill(process.pid, "SIGTERM"));
  return { ready: () => send({ type: "ready" }) };
}
