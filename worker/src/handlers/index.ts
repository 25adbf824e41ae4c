/**
 * The shipped handlers, one per job in the registry (`HandlerMap` makes a missing one a type error). Handlers
 * that need configuration are built here from the environment, and only when this process serves their queue:
 * a worker that serves `webhook` without WEBHOOK_SECRET stops at start with one clear line.
 */
import type { Logger } from "pino";
import type { HandlerMap } from "../handler";
import { digest } from "./digest";
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
  if (queues.includes("webhook")) {
    const config = parseWebhookConfig(env);
    if (config.allowPrivateNetworks) {
      log?.warn("WEBHOOK_ALLOW_PRIVATE_NETWORKS=true: webhooks may reach loopback and private addresses (local dev only)");
    }
    webhook = createWebhookHandler(config);
  }
  return {
    noop,
    // Runs in the thread pool (runIn: "thread"); this in-process binding is the type's witness.
    digest,
    webhook,
  };
}
