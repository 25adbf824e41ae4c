/**
 * The alert rules behave as their names say: `promtool test rules` runs alerts.test.yml, where each of the four
 * alerts issue 11 asks for (depth growing for 10 min, dead letters growing, failure rate above 10 %, no live
 * workers) fires on its situation and stays quiet on look-alikes. promtool comes from Debian's `prometheus`
 * package (`.ci/run` installs it; PROMTOOL_PATH points elsewhere). worker/test/metrics.test.ts checks the other
 * half: every metric the rules name is one a real worker exports.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";

const PROMTOOL = process.env.PROMTOOL_PATH ?? "/usr/bin/promtool";

describe("infra/prometheus/alerts.yml", () => {
  it("passes promtool's syntax check and its unit tests (alerts.test.yml)", () => {
    if (!existsSync(PROMTOOL)) throw new Error(`no promtool at ${PROMTOOL}: apt-get install prometheus (or set PROMTOOL_PATH)`);
    const check = spawnSync(PROMTOOL, ["check", "rules", "alerts.yml"], { cwd: import.meta.dirname, encoding: "utf8" });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/SUCCESS: \d+ rules found/);
    const unit = spawnSync(PROMTOOL, ["test", "rules", "alerts.test.yml"], { cwd: import.meta.dirname, encoding: "utf8" });
    expect(unit.status, unit.stdout + unit.stderr).toBe(0);
    expect(unit.stdout).toContain("SUCCESS");
  });
});
