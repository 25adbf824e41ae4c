/**
 * Bugs the chaos suite found in the code under test, each as a probe that reproduces it in isolation. They are
 * not fixed here (this folder only tests); `findings.test.ts` runs each as `it.fails`, and `npm run chaos` lists
 * whether each still reproduces in RESULTS.md. When one is fixed, its `it.fails` starts failing: move it to a
 * plain `it` that asserts the fixed behaviour.
 */
import { deepWebhookBody500, stalled503StillEnqueues, type EdgeProbe } from "./edge";
import { tickDropsUnclaimedEntries, wrongTypeBlocksQueue } from "./protocol";
import type { Probe } from "./support";
import { deepPayloadCrashesWorker, nonUtf8Entry, recoverRacesClaimLane, zombieBlmoveAtStop } from "./worker-runtime";

/** Probes that bring their own Redis (and worker). */
export const STANDALONE_PROBES: Probe[] = [
  recoverRacesClaimLane,
  tickDropsUnclaimedEntries,
  zombieBlmoveAtStop,
  wrongTypeBlocksQueue,
  nonUtf8Entry,
  deepPayloadCrashesWorker,
];

/** Probes that need the edge. */
export const EDGE_PROBES: EdgeProbe[] = [deepWebhookBody500, stalled503StillEnqueues];

export type { EdgeProbe, Probe };
