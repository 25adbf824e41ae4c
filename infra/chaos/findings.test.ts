/**
 * The bugs the chaos suite found (findings/), each reproduced in isolation. An `open` one runs as `it.fails`: it
 * asserts the correct behaviour, which the code does not have yet, so when it gets fixed this test starts
 * failing — mark the probe `fixed` (with the commit) and it becomes a regression test that it stays fixed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EDGE_PROBES, STANDALONE_PROBES } from "./findings/index";
import { bundleChaosWorker } from "./fleet";
import { startChaosStack, type ChaosStack } from "./stack";

const title = (probe: { area: string; title: string; status: string; fixedBy?: string }) =>
  probe.status === "open" ? `open (${probe.area}): ${probe.title}` : `fixed in ${probe.fixedBy} (${probe.area}), stays fixed: ${probe.title}`;

describe("findings", () => {
  beforeAll(() => bundleChaosWorker(), 60_000);

  for (const probe of STANDALONE_PROBES) {
    (probe.status === "open" ? it.fails : it)(title(probe), async () => {
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
      (probe.status === "open" ? it.fails : it)(title(probe), async () => {
        const { reproduced, evidence } = await probe.run(stack);
        expect(reproduced, evidence).toBe(false);
      }, 60_000);
    }
  });
});
