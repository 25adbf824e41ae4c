/** `npm run dev`'s env: the shared parsers (blank = default, the one REDIS_PREFIX rule) and the one-line exit. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DevConfigError, readDevConfig } from "./config";

describe("readDevConfig", () => {
  it("uses the defaults for unset and blank variables", () => {
    expect(readDevConfig({ WORKERS: "", PORT: " " })).toMatchObject({ workers: 1, edgePort: 8787, redisPort: 6380, healthPort: 9091 });
  });

  it("applies the REDIS_PREFIX rule the edge and the workers apply", () => {
    expect(() => readDevConfig({ REDIS_PREFIX: "my_app" })).not.toThrow();
    expect(() => readDevConfig({ REDIS_PREFIX: "a:b" })).toThrow(DevConfigError);
    expect(() => readDevConfig({ REDIS_PREFIX: "a:b" })).toThrow(/^invalid config: REDIS_PREFIX: use 1 to 64 letters/);
  });

  it.each([
    ["WORKERS", "0", "expected a whole number from 1 to 32"],
    ["PORT", "http", "expected a whole number from 1 to 65535"],
    ["HEALTH_PORT", "65536", "expected a whole number from 0 to 65535"],
  ])("names %s when it is %j", (name, value, text) => {
    expect(() => readDevConfig({ [name]: value })).toThrow(`invalid config: ${name}: ${text}, got ${JSON.stringify(value)}`);
  });
});

describe("npm run dev", () => {
  it("stops at start with one line naming a bad variable", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", join(import.meta.dirname, "dev.ts")], {
      env: { ...process.env, WORKERS: "lots" },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual(['invalid config: WORKERS: expected a whole number from 1 to 32, got "lots"']);
  });
});
