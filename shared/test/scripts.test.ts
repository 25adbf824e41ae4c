/** Static checks of the Lua scripts: single-slot keys, documented headers, generated module in sync. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SCRIPTS } from "../src/generated/scripts";
import { queueKeys } from "../src/keys";
import { enqueueCall } from "../src/ops/enqueue";
import { claimCall } from "../src/ops/claim";
import { settleCall } from "../src/ops/settle";
import { tickCall } from "../src/ops/tick";
import { cancelCall, deadListCall, progressCall, statsCall, statusCall } from "../src/ops/read";
import { recoverCall } from "../src/ops/recover";
import {
  listJobsCall, pauseCall, promoteJobCall, purgeDeadCall, queueDetailCall, replayDeadCall, resumeCall, retryJobCall,
} from "../src/ops/admin";
import type { ScriptCall } from "../src/script-runner";
import { keySlot } from "../../infra/test/crc16";
import { compileScripts, GENERATED_FILE, renderModule } from "../../infra/scripts/lua-scripts";

const keys = queueKeys("webhook");
const id = "mfz3k2x9q1a8b7c6";
const calls: ScriptCall[] = [
  enqueueCall(keys, []),
  claimCall(keys, "worker-1", 10),
  settleCall(keys, "worker-1", []),
  tickCall(keys, { workerId: "worker-1", leaseMs: 30_000, maxStalls: 3, deadTtlMs: 1 }),
  cancelCall(keys, id),
  progressCall(keys, "worker-1", id, 50),
  statsCall(keys),
  statusCall(keys, id),
  recoverCall(keys, "worker-1", []),
  deadListCall(keys, 0, 10),
  // Operator operations (h2).
  pauseCall(keys),
  resumeCall(keys),
  queueDetailCall(keys, 29_000_000, 60),
  listJobsCall(keys, "waiting", 50),
  replayDeadCall(keys, { all: true }),
  purgeDeadCall(keys),
  retryJobCall(keys, id),
  promoteJobCall(keys, id),
];

describe("Lua scripts", () => {
  it("every script has a call wrapper in this list", () => {
    expect(new Set(calls.map((call) => call.script.name))).toEqual(new Set(Object.keys(SCRIPTS)));
  });

  it.each(calls.map((call) => [call.script.name, call] as const))("%s: all KEYS hash to one cluster slot", (_, call) => {
    expect(call.keys.length).toBeGreaterThan(0);
    const slots = new Set(call.keys.map(keySlot));
    expect(slots.size).toBe(1);
    // Keys the script builds from prefixes (job, active, idem) share the same tag.
    expect(keySlot(keys.jobPrefix + id)).toBe([...slots][0]);
    expect(keySlot(keys.active("w"))).toBe([...slots][0]);
  });

  it("the keys a wrapper passes match the script header, in order", () => {
    for (const call of calls) expect(call.keys).toHaveLength(call.script.keys.length);
  });

  it("the generated module is up to date with the .lua sources (run `npm run gen`)", () => {
    expect(readFileSync(GENERATED_FILE, "utf8")).toBe(renderModule(compileScripts()));
  });

  it("computes Redis's slot for a known key", () => {
    // Values from `CLUSTER KEYSLOT` on a real cluster.
    expect(keySlot("foo")).toBe(12182);
    expect(keySlot("{user1000}.following")).toBe(keySlot("{user1000}.followers"));
  });
});
