import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineJob } from "../job-definition";
import { prepareJob } from "../ops/enqueue";
import { webhookJob } from "../jobs/webhook";
import { derivedGroupKey, GROUP_KEY } from "./groups";

describe("group keys", () => {
  it("accepts 1-128 printable ASCII characters without spaces", () => {
    for (const key of ["a", "tenant-42", "hooks.example.com:8443", "#x", "x".repeat(128)]) expect(GROUP_KEY.test(key)).toBe(true);
    for (const key of ["", "a b", "x".repeat(129), "tab\t", "é"]) expect(GROUP_KEY.test(key)).toBe(false);
  });

  it("a derived value: itself when valid, a stable digest when not, none when empty", async () => {
    expect(await derivedGroupKey("t-1")).toBe("t-1");
    expect(await derivedGroupKey(42)).toBe("42");
    for (const none of [undefined, null, ""]) expect(await derivedGroupKey(none)).toBeUndefined();
    const odd = await derivedGroupKey("Zürich office");
    expect(odd).toMatch(/^#[0-9a-f]{32}$/);
    expect(await derivedGroupKey("Zürich office")).toBe(odd);
    expect(await derivedGroupKey("Zürich office 2")).not.toBe(odd);
  });
});

describe("groups in definitions and prepared jobs", () => {
  const schema = z.object({ tenant: z.string().optional() });
  it("the request's group wins over the definition's function; a throwing function leaves the job ungrouped", async () => {
    const byTenant = defineJob({ name: "t", schema, group: (data) => data.tenant });
    expect((await prepareJob(byTenant, { tenant: "a" })).group).toBe("a");
    expect((await prepareJob(byTenant, { tenant: "a" }, { group: "b" })).group).toBe("b");
    expect((await prepareJob(byTenant, {})).group).toBeUndefined();
    const throwing = defineJob({ name: "t", schema, group: () => { throw new Error("no"); } });
    expect((await prepareJob(throwing, {})).group).toBeUndefined();
  });

  it("a grouped job always carries its priority (the definition's default when none is asked)", async () => {
    const job = defineJob({ name: "t", schema, priority: 3 });
    expect((await prepareJob(job, {}, { group: "g" })).priority).toBe(3);
    expect((await prepareJob(job, {}, { group: "g", priority: 7 })).priority).toBe(7);
    expect((await prepareJob(job, {})).priority).toBe(0);
  });

  it("groupLimits are checked like the queue's limits", () => {
    expect(defineJob({ name: "t", schema, groupLimits: { concurrency: 2, rateLimit: { max: 10, per: "1s" } } }).groupLimits).toEqual({
      concurrency: 2,
      rateLimit: { max: 10, perMs: 1_000 },
    });
    expect(() => defineJob({ name: "t", schema, groupLimits: { concurrency: 0 } })).toThrow(/groupLimits.concurrency/);
    expect(() => defineJob({ name: "t", schema, groupLimits: { rateLimit: { max: 1, per: "soon" } } })).toThrow(/groupLimits.rateLimit/);
  });

  it("the webhook job groups by the destination's host (with its port)", async () => {
    expect((await prepareJob(webhookJob, { url: "https://Hooks.Example.com:8443/x", body: {} })).group).toBe("hooks.example.com:8443");
  });
});
