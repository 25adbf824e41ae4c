/**
 * The shipped handlers, one per job in the registry (`HandlerMap` makes a missing one a type error). Handlers
 * that need configuration are built here from the environment, and only when this process serves their queue:
 * a worker that serves `webhook` without WEBHOOK_SECRET stops at start with one clear line.
 */
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { assertEventRegistry, EVENTS, JOBS } from "../../../shared/src/index";
import { envFlag } from "../../../shared/src/env/index";
import { ioredisRunner } from "../../../shared/src/runners/ioredis-runner";
import { createCommandConnection } from "../redis-connections";
import type { HandlerMap } from "../handler";
import { digest } from "./digest";
import { createCallbackHandler } from "./callback";
import { createEventHandler } from "./event";
import { noop } from "./noop";
import { createWebhookHandler, parseWebhookConfig } from "./webhook";

const notServed = (name: string) => () => {
  throw new Error(`job "${name}" is not served by this worker (WORKER_QUEUES)`);
};

export function createHandlers(
  env: Record<string, string | undefined>,
  queues: readonly string[],
  log?: Logger,
): HandlerMap {
  let webhook: HandlerMap["webhook"] = notServed("webhook");
  let callback: HandlerMap["callback"] = notServed("callback");
  // Completion callbacks are sent by the webhook job's code, with its secret and its SSRF policy.
  if (queues.includes("webhook") || queues.includes("callback")) {
    const config = parseWebhookConfig(env);
    if (config.allowPrivateNetworks) {
      log?.warn("WEBHOOK_ALLOW_PRIVATE_NETWORKS=true: webhooks may reach loopback and private addresses (local dev only)");
    }
    if (queues.includes("webhook")) webhook = createWebhookHandler(config);
    if (queues.includes("callback")) callback = createCallbackHandler(config);
  }
  let event: HandlerMap["event"] = notServed("event");
  if (queues.includes("event")) {
    assertEventRegistry(EVENTS, JOBS); // a target no registry job serves: one line at start, not dead events later
    // Its own connection for the targets' enqueues (the worker's are busy blocking and settling); it lives as
    // long as the process.
    // REDIS_CLUSTER=true: a Cluster like the worker's own command connection (each target queue has its slot).
    const url = env.REDIS_URL ?? "redis://127.0.0.1:6379";
    const redis = envFlag(false).parse(env.REDIS_CLUSTER)
      ? createCommandConnection(url, "offload:event-fan-out", { cluster: true })
      : new Redis(url, { protocol: 2 });
    redis.on("error", (error) => log?.warn({ err: error }, "event fan-out connection error"));
    event = createEventHandler({ runner: ioredisRunner(redis), prefix: env.REDIS_PREFIX || undefined, jobs: JOBS, events: EVENTS });
  }
  return {
    noop,
    // Runs in the thread pool (runIn: "thread"); this in-process binding is the type's witness.
    digest,
    webhook,
    event,
    callback,
  };
}
