import { describe, expect, it } from "vitest";
import { refusal } from "./command-policy";

describe("refusal", () => {
  it("lets ordinary commands through, whatever their case", () => {
    for (const argv of [["get", "k"], ["EVAL", "return 1", "0"], ["client", "list"], ["xread", "STREAMS", "BLOCK", "0"]]) {
      expect(refusal(argv as [string, ...string[]])).toBeUndefined();
    }
  });

  it("refuses commands that would change the shared connection", () => {
    expect(refusal(["hello", "3"])).toMatch(/^ERR Command is not available: 'HELLO'/);
    expect(refusal(["SELECT", "1"])).toMatch(/'SELECT'/);
    expect(refusal(["client", "reply", "off"])).toMatch(/'CLIENT REPLY'/);
    expect(refusal(["subscribe", "chan"])).toMatch(/'SUBSCRIBE'/);
  });

  it("sends transactions to /multi-exec", () => {
    expect(refusal(["MULTI"])).toMatch(/multi-exec/);
    expect(refusal(["watch", "k"])).toMatch(/multi-exec/);
  });

  it("refuses blocking commands, and XREAD only with BLOCK before STREAMS", () => {
    expect(refusal(["blpop", "q", "0"])).toMatch(/blocking/);
    expect(refusal(["BZPOPMIN", "z", "1"])).toMatch(/blocking/);
    expect(refusal(["xread", "block", "0", "STREAMS", "s", "$"])).toMatch(/blocking/);
  });
});
