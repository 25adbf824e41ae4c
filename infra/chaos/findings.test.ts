/**
 * Minimal reproductions of the bugs the chaos suite found (findings/). Each is `it.fails`: it asserts the correct
 * behaviour, which the code under test does not have yet. When a bug is fixed its test starts failing here —
 * turn that `it.fails` into `it` and drop the `[known: …]` tag from the scenario check that points to it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EDGE_PROBES, STANDALONE_PROBES } from "./findings/index";
import { bundleChaosWorker } from "./fleet";
import { startChaosStack, type ChaosStack } from "./stack";

describe("findings: open bugs, reproduced", () => {
  beforeAll(() => bundleChaosWorker(), 60_000);

  for (const probe of STANDALONE_PROBES) {
    it.fails(`${probe.area}: ${probe.title}`, async () => {
      const { reproduced, evidence } = await probe.run();
      expect(reproduced, evidence).toBe(false);
    }, 60_000);
  }

  describe("through the edge", () => {
    let stack: ChaosStack;
    beforeAll(async () => {
      stack = await startChaosStack();
    }, 90_000);
    afterAll(async () => {
      await stack?.stop();
    });

    for (const probe of EDGE_PROBES) {
      it.fails(`${probe.area}: ${probe.title}`, async () => {
        const { reproduced, evidence } = await probe.run(stack);
        expect(reproduced, evidence).toBe(false);
      }, 60_000);
    }
  });
});
