/** Static checks of the Lua scripts: single-slot keys, documented headers, generated module in sync. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SCRIPTS } from "../src/generated/scripts";
import { queueKeys } from "../src/keys";
import { enqueueCall, shortEnqueueCall } from "../src/ops/enqueue";
import { claimCall, shortClaimCall } from "../src/ops/claim";
import { countThrottleCall, settleCall } from "../src/ops/settle";
import { tickCall } from "../src/ops/tick";
import { cancelCall, deadListCall, progressCall, statsCall, statusCall } from "../src/ops/read";
import { recoverCall } from "../src/ops/recover";
import {
  listJobsCall, pauseCall, promoteJobCall, purgeDeadCall, queueDetailCall, replayDeadCall, resumeCall, retryJobCall,
  setLimitsCall,
} from "../src/ops/admin";
import { scheduleDeleteCall, scheduleFireCall, scheduleReadCall, scheduleUpsertCall } from "../src/ops/schedules";
import { takeCallbacksCall } from "../src/ops/callbacks";
import type { ScriptCall } from "../src/script-runner";
import { keySlot } from "../src/key-slot";
import { compileScripts, GENERATED_FILE, renderModule, SCRIPTS_DIR } from "../build/lua-scripts";
import { renderPrelude } from "../build/lua-prelude";

const keys = queueKeys("webhook");
const id = "mfz3k2x9q1a8b7c6";
const calls: ScriptCall[] = [
  enqueueCall(keys, []),
  shortEnqueueCall(keys, []),
  claimCall(keys, "worker-1", 10),
  shortClaimCall(keys, "worker-1", { moved: id })!,
  settleCall(keys, "worker-1", []),
  countThrottleCall(keys, "worker-1", id),
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
  setLimitsCall(keys, { rate: { max: 10, perMs: 1_000 }, concurrency: null }),
  // Recurring schedules.
  scheduleUpsertCall(keys, ["code", 0]),
  scheduleDeleteCall(keys, "nightly"),
  scheduleReadCall(keys, { mode: "all" }),
  scheduleFireCall(keys, []),
  // Completion callbacks.
  takeCallbacksCall(keys, [`${id}:completed`]),
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

  it("no .lua file retypes a fact the prelude generates from TypeScript", () => {
    const files = [
      ...readdirSync(SCRIPTS_DIR).filter((f) => f.endsWith(".lua")).map((f) => join(SCRIPTS_DIR, f)),
      ...readdirSync(join(SCRIPTS_DIR, "includes")).map((f) => join(SCRIPTS_DIR, "includes", f)),
    ];
    for (const file of files) {
      const lua = readFileSync(file, "utf8");
      expect(lua, file).not.toMatch(/'~'/); // MARKER
      expect(lua, file).not.toMatch(/\[0-9a-z\]/); // LOCAL_ID
      expect(lua, file).not.toMatch(/24 \* 3600|86400000|10000\b/); // history TTL, index cap
      // Record fields by letter in hash commands: F.<name> instead.
      expect(lua, file).not.toMatch(/redis\.p?call\('H(SET|GET|MGET|INCRBY)'[^\n]*, '[a-z]'/);
    }
  });

  it("the prelude carries only the facts a script uses, and refuses a field record.ts does not have", () => {
    expect(renderPrelude("return MARKER")).toContain("local MARKER = '~'");
    expect(renderPrelude("return MARKER")).not.toContain("HISTORY_BINS_MS");
    expect(renderPrelude("return isLocalId(x)")).toContain("LOCAL_ID_PATTERN");
    expect(renderPrelude("redis.call('HGET', k, F.state)")).toContain("local F = { state = 's' }");
    expect(() => renderPrelude("redis.call('HGET', k, F.nope)")).toThrow(/F\.nope/);
  });

  it("computes Redis's slot for a known key", () => {
    // Values from `CLUSTER KEYSLOT` on a real cluster.
    expect(keySlot("foo")).toBe(12182);
    expect(keySlot("{user1000}.following")).toBe(keySlot("{user1000}.followers"));
  });
});
