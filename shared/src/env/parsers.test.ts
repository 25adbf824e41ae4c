import { describe, expect, it } from "vitest";
import { z } from "zod";
import { blankAsUnset, ConfigError, envDuration, envFlag, envPrefix, envWholeNumber, formatDuration, parseEnv } from "./index";

const message = (schema: z.ZodType, input: string | undefined) => {
  const parsed = schema.safeParse(input);
  if (parsed.success) throw new Error(`expected ${JSON.stringify(input)} to be refused`);
  return parsed.error.issues[0]!.message;
};

describe("envDuration", () => {
  const lease = envDuration({ fallback: "30s", minMs: 1_000 });

  it.each([
    ["30s", 30_000],
    ["1500", 1_500],
    ["5m", 300_000],
    [" 2h ", 7_200_000],
    [undefined, 30_000],
    ["", 30_000],
    ["   ", 30_000],
  ])("reads %j as %d ms", (text, ms) => {
    expect(lease.parse(text)).toBe(ms);
  });

  it("refuses a value under the minimum, naming the minimum and the likely meaning", () => {
    expect(message(lease, "30")).toBe('must be at least 1s; "30" is 30 ms (a bare number is milliseconds), did you mean "30s"?');
    expect(message(lease, "500ms")).toBe('must be at least 1s; "500ms" is 500ms');
  });

  it("refuses what is not a duration, and what is beyond the maximum", () => {
    expect(message(lease, "soon")).toMatch(/^expected a duration such as 30s, 5m or 1500 \(ms\), got "soon"$/);
    expect(message(lease, "-5s")).toMatch(/^expected a duration/);
    expect(message(lease, "30d")).toBe('must be at most 7d, got "30d"');
  });
});

describe("envFlag", () => {
  it.each([
    ["true", true],
    ["TRUE", true],
    ["1", true],
    ["false", false],
    ["0", false],
    ["", false],
    [undefined, false],
  ])("reads %j as %s", (text, value) => {
    expect(envFlag(false).parse(text)).toBe(value);
  });

  it("uses its default when blank, and refuses anything else", () => {
    expect(envFlag(true).parse("")).toBe(true);
    expect(message(envFlag(false), "yes")).toBe('expected true or false, got "yes"');
  });
});

describe("envWholeNumber", () => {
  const concurrency = envWholeNumber({ fallback: 10, min: 1, max: 1000 });

  it("reads digits within bounds, and blank as the default", () => {
    expect(concurrency.parse("25")).toBe(25);
    expect(concurrency.parse(" 7 ")).toBe(7);
    expect(concurrency.parse("")).toBe(10);
    expect(envWholeNumber({ fallback: undefined, min: 0, max: 5 }).parse(undefined)).toBeUndefined();
  });

  it.each(["0", "1001", "1e3", "0x10", "-1", "2.5", "lots"])("refuses %j", (text) => {
    expect(message(concurrency, text)).toBe(`expected a whole number from 1 to 1000, got ${JSON.stringify(text)}`);
  });
});

describe("envPrefix: the one REDIS_PREFIX rule", () => {
  it.each(["offload", "my_app", "My-App2", "a", "x".repeat(64)])("accepts %j", (prefix) => {
    expect(envPrefix("offload").parse(prefix)).toBe(prefix);
  });

  it.each(["Has:Colons", "{tag}", "-leading", "_leading", "with space", "x".repeat(65), "é"])("refuses %j", (prefix) => {
    expect(message(envPrefix("offload"), prefix)).toMatch(/^use 1 to 64 letters, digits, _ or -/);
  });

  it("blank is the default", () => {
    expect(envPrefix("offload").parse("")).toBe("offload");
  });
});

describe("parseEnv", () => {
  const schema = z.object({ LEASE: envDuration({ fallback: "30s", minMs: 1_000 }), LEVEL: z.enum(["info", "debug"]).default("info") });

  it("treats blank variables as unset, so every default applies", () => {
    expect(parseEnv(schema, { LEASE: "", LEVEL: " " })).toEqual({ LEASE: 30_000, LEVEL: "info" });
    expect(blankAsUnset({ A: "", B: " 1 ", C: undefined })).toEqual({ B: " 1 " });
  });

  it("throws one line naming the variable", () => {
    let error: unknown;
    try {
      parseEnv(schema, { LEASE: "30" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      'invalid config: LEASE: must be at least 1s; "30" is 30 ms (a bare number is milliseconds), did you mean "30s"?',
    );
    expect((error as Error).message).not.toContain("\n");
  });
});

describe("formatDuration", () => {
  it.each([
    [30_000, "30s"],
    [1_500, "1500ms"],
    [3_600_000, "1h"],
    [604_800_000, "7d"],
  ])("%d → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
