/**
 * Bugs the chaos suite found in the code under test, each as a probe that reproduces it in isolation (this folder
 * only tests; the fixes are in the commits named by `fixedBy`). `findings.test.ts` runs open ones as `it.fails`
 * and fixed ones as regression tests; `npm run chaos` lists whether each still reproduces in RESULTS.md.
 */
import { deepWebhookBody500, stalled503StillEnqueues, type EdgeProbe } from "./edge";
import { tickDropsUnclaimedEntries, wrongTypeBlocksQueue } from "./protocol";
import type { Probe } from "./support";
import { deepPayloadCrashesWorker, emptyEntryViaBlmove, nonUtf8Entry, recoverHangsOnLostClientKill, recoverRacesClaimLane, zombieBlmoveAtStop } from "./worker-runtime";

/** Probes that bring their own Redis (and worker). */
export const STANDALONE_PROBES: Probe[] = [
  recoverRacesClaimLane,
  recoverHangsOnLostClientKill,
  tickDropsUnclaimedEntries,
  zombieBlmoveAtStop,
  wrongTypeBlocksQueue,
  nonUtf8Entry,
  emptyEntryViaBlmove,
  deepPayloadCrashesWorker,
];

/** Probes that need the edge. */
export const EDGE_PROBES: EdgeProbe[] = [deepWebhookBody500, stalled503StillEnqueues];

export type { EdgeProbe, Probe };
