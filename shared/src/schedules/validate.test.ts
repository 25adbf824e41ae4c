/** Code schedules' options are checked at worker start: a bad priority or callback stops it naming the path. */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineJob } from "../job-definition";
import { codeSchedules } from "./validate";

const withOptions = (options: unknown) =>
  defineJob({ name: "report", schema: z.object({}), schedules: [{ id: "nightly", every: "1m", data: {}, options: options as never }] });

describe("code schedule options", () => {
  it.each([
    [{ priority: 0 }, "options.priority"],
    [{ priority: 11 }, "options.priority"],
    [{ callback: "ftp://example.com/" }, "options.callback"],
    [{ callback: "https://user:pw@example.com/" }, "options.callback"],
    [{ callback: "https://example.com/", callbackOn: [] }, "options.callbackOn"],
    [{ callbackOn: ["dead"] }, "options.callbackOn"],
  ])("%j is a ConfigError at %s", (options, path) => {
    expect(() => codeSchedules(withOptions(options))).toThrow(new RegExp(`schedules\\[0\\]: ${path.replace(".", "\\.")}`));
  });

  it("a priority and a callback are kept in the stored spec (callbackOn deduplicated)", () => {
    const [stored] = codeSchedules(withOptions({ priority: 1, callback: "https://example.com/done", callbackOn: ["dead", "dead"] }));
    expect(stored!.spec.options).toEqual({ priority: 1, callback: "https://example.com/done", callbackOn: ["dead"] });
  });
});
