import { describe, expect, it } from "vitest";
import { allowedMethods } from "./allowed-methods";

const routes = [
  { method: "ALL", path: "/v1/*" },
  { method: "POST", path: "/v1/jobs/noop" },
  { method: "POST", path: "/v1/jobs/:name" },
  { method: "GET", path: "/v1/jobs/:id" },
  { method: "DELETE", path: "/v1/jobs/:id" },
  { method: "POST", path: "/v1/jobs/:name/batch" },
  { method: "GET", path: "/openapi.json" },
];

describe("allowedMethods", () => {
  const allowed = allowedMethods(() => routes);

  it("lists every method of the routes a path matches, HEAD with GET, and skips middleware", () => {
    expect(allowed("/v1/jobs/noop")).toEqual(["DELETE", "GET", "HEAD", "POST"]);
    expect(allowed("/v1/jobs/noop/batch")).toEqual(["POST"]);
    expect(allowed("/openapi.json")).toEqual(["GET", "HEAD"]);
  });

  it("is empty for a path no route has (a 404, not a 405)", () => {
    expect(allowed("/v1/jobs")).toEqual([]);
    expect(allowed("/v1/anything")).toEqual([]);
    expect(allowed("/openapi-json")).toEqual([]); // the dot is literal
  });
});
