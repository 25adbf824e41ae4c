import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineJob } from "../../shared/src/index";
import { createApp } from "./app";

describe("createApp", () => {
  it("refuses, at start, a registry whose key is not its job's name", () => {
    const sendReceipt = defineJob({ name: "send-receipt", schema: z.object({}) });
    expect(() => createApp({ jobs: { sendReceipt } })).toThrow(/^invalid registry: key "sendReceipt" holds the job named "send-receipt"/);
    expect(() => createApp({ jobs: { "send-receipt": sendReceipt } })).not.toThrow();
  });
});
