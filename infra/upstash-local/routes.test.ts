import { describe, expect, it } from "vitest";
import { matchRoute } from "./routes";

const at = (path: string) => new URL(path, "http://localhost");

describe("matchRoute", () => {
  it("routes JSON bodies to /, /pipeline and /multi-exec on POST and PUT", () => {
    expect(matchRoute("POST", at("/"))).toEqual({ kind: "command" });
    expect(matchRoute("PUT", at("/pipeline"))).toEqual({ kind: "pipeline" });
    expect(matchRoute("POST", at("/multi-exec"))).toEqual({ kind: "multi-exec" });
  });

  it("refuses other methods on them with the allowed list", () => {
    expect(matchRoute("GET", at("/"))).toEqual({ kind: "method-not-allowed", allow: "POST, PUT" });
    expect(matchRoute("GET", at("/pipeline"))).toEqual({ kind: "method-not-allowed", allow: "POST, PUT" });
    expect(matchRoute("DELETE", at("/get/k"))).toEqual({ kind: "method-not-allowed", allow: "GET, HEAD, POST, PUT" });
  });

  it("reads path-style commands, URL-decoding each segment, with query parameters apart", () => {
    expect(matchRoute("GET", at("/set/a%2Fb/h%C3%A9llo%20you?EX=100&_token=t"))).toEqual({
      kind: "path",
      argv: ["set", "a/b", "héllo you"],
      query: [["EX", "100"]],
    });
    expect(matchRoute("POST", at("/get/k/"))).toMatchObject({ argv: ["get", "k"] });
  });

  it("answers 404 for what is not a route", () => {
    expect(matchRoute("POST", at("/pipeline/extra"))).toMatchObject({ kind: "not-found" });
    expect(matchRoute("GET", at("/%E0%A4%A/x"))).toMatchObject({ kind: "not-found" });
    expect(matchRoute("GET", at("/1abc"))).toMatchObject({ kind: "not-found" });
    expect(matchRoute("POST", at("/subscribe/chat"))).toMatchObject({ kind: "not-found" });
    expect(matchRoute("POST", at("/monitor"))).toMatchObject({ kind: "not-found" });
  });
});
