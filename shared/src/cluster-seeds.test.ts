import { describe, expect, it } from "vitest";
import { clusterSeeds } from "./cluster-seeds";

describe("clusterSeeds", () => {
  it("reads every seed node, and the first URL's credentials and TLS for all", () => {
    expect(clusterSeeds("rediss://app:p%40ss@10.0.0.1:7000, redis://10.0.0.2")).toEqual({
      seeds: [{ host: "10.0.0.1", port: 7000 }, { host: "10.0.0.2", port: 6379 }],
      node: { username: "app", password: "p@ss", tls: {} },
    });
    expect(clusterSeeds("redis://127.0.0.1:7001")).toEqual({ seeds: [{ host: "127.0.0.1", port: 7001 }], node: {} });
  });
});
