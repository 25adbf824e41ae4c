/**
 * The registry's keys must be the jobs' names: checked by tsc (the `@ts-expect-error` lines below fail the
 * typecheck if the mistake ever compiles again) and at run time for registries built without defineRegistry.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { ConfigError } from "../env/index";
import { defineJob } from "../job-definition";
import { assertRegistry, defineRegistry, JOBS, type JobName, type PayloadOf } from "./index";

const sendReceipt = defineJob({ name: "send-receipt", schema: z.object({ orderId: z.string() }) });

describe("defineRegistry", () => {
  it("rejects, at compile time, a key that is not the job's name", () => {
    // The idiomatic shorthand: its key is "sendReceipt", its name "send-receipt".
    // @ts-expect-error the key must be the job's name
    expect(() => defineRegistry({ sendReceipt })).toThrow(ConfigError);
    // @ts-expect-error the key must be the job's name
    expect(() => defineRegistry({ receipts: sendReceipt, noop: JOBS.noop })).toThrow(/key "receipts" holds the job named "send-receipt"/);
  });

  it("accepts keys equal to the names and keeps the precise types", () => {
    const registry = defineRegistry({ "send-receipt": sendReceipt });
    expect(Object.keys(registry)).toEqual(["send-receipt"]);
    expectTypeOf(registry["send-receipt"].name).toEqualTypeOf<"send-receipt">();
    expectTypeOf<JobName>().toEqualTypeOf<"webhook" | "noop" | "digest" | "event" | "callback">();
    expectTypeOf<PayloadOf<"digest">>().toMatchTypeOf<object>();
  });
});

describe("assertRegistry", () => {
  it("throws one line naming the key and the name", () => {
    expect(() => assertRegistry({ sendReceipt })).toThrow(
      'invalid registry: key "sendReceipt" holds the job named "send-receipt"; the key must be the job\'s name (write "send-receipt": <definition>)',
    );
    expect(() => assertRegistry(JOBS)).not.toThrow();
  });
});
