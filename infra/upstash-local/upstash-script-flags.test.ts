import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { adaptScriptCommand } from "./upstash-script-flags";

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

describe("Upstash-only script flags", () => {
  const body = "#!lua flags=allow-key-locking,no-writes\nreturn 1";

  it("drops allow-key-locking from EVAL and keeps the other flags", () => {
    expect(adaptScriptCommand(["EVAL", body, "0"]).argv).toEqual(["EVAL", "#!lua flags=no-writes\nreturn 1", "0"]);
  });

  it("maps EVALSHA of the original body to the rewritten script", () => {
    adaptScriptCommand(["EVAL", body, "0"]);
    expect(adaptScriptCommand(["EVALSHA", sha1(body), "0"]).argv).toEqual(["EVALSHA", sha1("#!lua flags=no-writes\nreturn 1"), "0"]);
  });

  it("SCRIPT LOAD answers the SHA of the body the client sent", () => {
    const only = "#!lua flags=allow-key-locking\nreturn 2";
    const adapted = adaptScriptCommand(["SCRIPT", "LOAD", only]);
    expect(adapted.argv).toEqual(["SCRIPT", "LOAD", "#!lua\nreturn 2"]);
    expect(adapted.reply(sha1("#!lua\nreturn 2"))).toBe(sha1(only));
  });

  it("leaves other scripts alone", () => {
    const argv = ["EVAL", "return 1", "0"] as const;
    expect(adaptScriptCommand(argv).argv).toBe(argv);
  });
});
