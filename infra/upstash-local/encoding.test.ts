import { describe, expect, it } from "vitest";
import { encodeResult } from "./encoding";
import { JsonInteger, toJsonText } from "./json-text";

const b = (text: string) => Buffer.from(text);
const json = (value: Parameters<typeof encodeResult>[0], encoding: "base64" | "utf8") =>
  toJsonText(encodeResult(value, encoding));

describe("encodeResult with Upstash-Encoding: base64", () => {
  it("sends a top-level OK plain, since the client special-cases exactly that", () => {
    expect(encodeResult(b("OK"), "base64")).toBe("OK");
  });

  it("base64-encodes every other string, simple ones (PONG) included", () => {
    expect(encodeResult(b("bar"), "base64")).toBe("YmFy");
    expect(encodeResult(b("PONG"), "base64")).toBe("UE9ORw==");
    expect(encodeResult(b(""), "base64")).toBe("");
  });

  it("base64-encodes an OK nested in an array: the client decodes every string inside arrays", () => {
    expect(json([b("OK"), [b("OK")]], "base64")).toBe('["T0s=",["T0s="]]');
  });

  it("keeps integers as numbers, nil as null, and nesting as Redis nested it", () => {
    expect(json([b("a"), "1", null, ["-2", [b("b")]]], "base64")).toBe('["YQ==",1,null,[-2,["Yg=="]]]');
  });

  it("writes integers beyond 2^53 exactly", () => {
    expect(json("9007199254740993", "base64")).toBe("9007199254740993");
  });

  it("turns an error nested in an array into its message", () => {
    expect(encodeResult([new Error("ERR boom")], "base64")).toEqual([Buffer.from("ERR boom").toString("base64")]);
  });

  it("keeps arbitrary bytes exactly", () => {
    const bytes = Buffer.from([0x00, 0xff, 0xc3, 0x28, 0x80]);
    expect(Buffer.from(encodeResult(bytes, "base64") as string, "base64")).toEqual(bytes);
  });
});

describe("encodeResult without base64", () => {
  it("sends UTF-8 text, with invalid bytes replaced by U+FFFD as Upstash documents", () => {
    expect(encodeResult(b("héllo"), "utf8")).toBe("héllo");
    expect(encodeResult(Buffer.from([0x61, 0xff, 0x62]), "utf8")).toBe("a\uFFFDb");
  });

  it("has the same shapes for arrays, integers and nil", () => {
    expect(json([b("OK"), "3", null], "utf8")).toBe('["OK",3,null]');
  });
});

describe("toJsonText", () => {
  it("writes what JSON.stringify writes, plus exact integers", () => {
    const value = { result: ["a\"\n", 1.5, true, null, new JsonInteger("-12345678901234567890")], error: undefined };
    expect(toJsonText(value)).toBe('{"result":["a\\"\\n",1.5,true,null,-12345678901234567890]}');
  });
});
