import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../context";
import { bearerAuth, digestsEqual, requireAdmin } from "./auth";
import { problemHandler } from "./problem";

const keys = { producer: ["producer-1", "producer-2"], admin: ["admin-1"] };

function app() {
  const hono = new Hono<AppEnv>();
  hono.onError(problemHandler({ log: () => {} }));
  hono.use("*", bearerAuth({ keys: () => keys }));
  hono.get("/who", (c) => c.json(c.var.principal));
  hono.get("/admin", requireAdmin(), (c) => c.text("ok"));
  return hono;
}

const get = (path: string, authorization?: string) =>
  app().request(path, { headers: authorization === undefined ? {} : { Authorization: authorization } });

describe("bearerAuth", () => {
  it.each([
    ["no header", undefined],
    ["another scheme", "Basic cHJvZHVjZXItMQ=="],
    ["an empty token", "Bearer "],
    ["an unknown key", "Bearer producer-3"],
    ["a prefix of a key", "Bearer producer-"],
  ])("answers 401 with WWW-Authenticate for %s", async (_, authorization) => {
    const response = await get("/who", authorization);
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer\b/);
    expect(response.headers.get("Content-Type")).toBe("application/problem+json");
    const body = await response.json() as any;
    expect(body).toMatchObject({ status: 401, code: "unauthorized" });
    // The presented credential is never echoed back.
    if (authorization) expect(JSON.stringify(body)).not.toContain(authorization.split(" ")[1] || "\u0000");
  });

  it("accepts every producer key and identifies it by a digest prefix, not the key", async () => {
    for (const key of keys.producer) {
      const principal = await (await get("/who", `Bearer ${key}`)).json() as any;
      expect(principal.role).toBe("producer");
      expect(principal.keyId).toMatch(/^[0-9a-f]{32}$/);
      expect(principal.keyId).not.toContain(key);
    }
    const [a, b] = await Promise.all(keys.producer.map(async (key) => (await (await get("/who", `Bearer ${key}`)).json() as any).keyId));
    expect(a).not.toBe(b);
  });

  it("treats the scheme case-insensitively, as RFC 7235 says", async () => {
    expect((await get("/who", "bearer producer-1")).status).toBe(200);
  });

  it("gives admin keys the admin role", async () => {
    expect((await (await get("/who", "Bearer admin-1")).json() as any).role).toBe("admin");
  });
});

describe("requireAdmin", () => {
  it("answers 403 to a producer key and lets an admin key through", async () => {
    const forbidden = await get("/admin", "Bearer producer-1");
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json() as any).toMatchObject({ code: "forbidden", status: 403 });
    expect((await get("/admin", "Bearer admin-1")).status).toBe(200);
  });
});

describe("digestsEqual", () => {
  it("compares byte for byte and refuses different lengths", () => {
    expect(digestsEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(digestsEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
    expect(digestsEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(false);
  });
});
