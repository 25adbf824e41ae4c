import { describe, expect, it } from "vitest";
import { z } from "zod";
import { callbackLocalId, callbackOverrides, callbackWebhookId } from "./callbacks";
import { defineJob } from "./job-definition";
import { prepareJob } from "./ops/enqueue";

const schema = z.object({});

describe("completion callback facts", () => {
  it("derives one callback id per job and outcome", async () => {
    const a = await callbackLocalId("webhook.mfz3k2x9q1a8b7c6", "completed");
    expect(a).toMatch(/^[0-9a-z]{16}$/);
    expect(await callbackLocalId("webhook.mfz3k2x9q1a8b7c6", "completed")).toBe(a);
    expect(await callbackLocalId("webhook.mfz3k2x9q1a8b7c6", "dead")).not.toBe(a);
    expect(await callbackLocalId("webhook.mfz3k2x9q1a8b7c7", "completed")).not.toBe(a);
    expect(callbackWebhookId("webhook.mfz3k2x9q1a8b7c6", "dead")).toBe("webhook.mfz3k2x9q1a8b7c6:dead");
  });

  it("stores callbackOn only when it names one outcome", () => {
    expect(callbackOverrides(undefined, ["dead"])).toEqual({});
    expect(callbackOverrides("https://a.example/x", undefined)).toEqual({ callback: "https://a.example/x" });
    expect(callbackOverrides("https://a.example/x", ["dead", "completed"])).toEqual({ callback: "https://a.example/x" });
    expect(callbackOverrides("https://a.example/x", ["dead", "dead"])).toEqual({ callback: "https://a.example/x", callbackOn: ["dead"] });
  });

  it("a definition's default is checked when it is defined, and written into each job unless the request names one", async () => {
    expect(() => defineJob({ name: "x", schema, callback: { url: "ftp://a.example/" } })).toThrow(/callback\.url is refused: only http and https/);
    expect(() => defineJob({ name: "x", schema, callback: { url: "https://u:p@a.example/" } })).toThrow(/credentials/);
    expect(() => defineJob({ name: "x", schema, callback: { url: "https://a.example/", on: [] } })).toThrow(/callback\.on/);
    const job = defineJob({ name: "x", schema, callback: { url: "https://a.example/d", on: ["dead"] } });
    expect(JSON.parse((await prepareJob(job, {})).optionsJson)).toEqual({ callback: "https://a.example/d", callbackOn: ["dead"] });
    expect(JSON.parse((await prepareJob(job, {}, { callback: "https://b.example/" })).optionsJson)).toEqual({ callback: "https://b.example/" });
    expect(JSON.parse((await prepareJob(job, {}, { callback: "https://b.example/", callbackOn: ["completed"] })).optionsJson)).toEqual({
      callback: "https://b.example/",
      callbackOn: ["completed"],
    });
    expect((await prepareJob(defineJob({ name: "y", schema }), {})).optionsJson).toBe("");
  });
});
