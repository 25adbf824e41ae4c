/**
 * The shipped handlers, one per job in the registry (`HandlerMap` makes a missing one a type error). Handlers
 * that need configuration are built here from the environment, so a worker that serves them fails at start
 * with one clear line when their configuration is missing.
 */
import type { HandlerMap } from "../handler";
import { digest } from "./digest";
import { noop } from "./noop";

export function createHandlers(_env: Record<string, string | undefined>, _queues: readonly string[]): HandlerMap {
  return {
    noop,
    // Runs in the thread pool in production (runIn: "thread"); this in-process binding is the type's witness.
    digest,
    webhook: () => {
      throw new Error("webhook handler not wired yet");
    },
  };
}
