import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../context";
import { problemHandler } from "./problem";
import { rateLimit, type Limiter } from "./rate-limit";

const NOW = 1_700_000_000_000;

function app(limiter: Limiter | undefined, seen: string[] = []) {
  const hono = new Hono<AppEnv>();
  hono.onError(problemHandler({ log: () => {} }));
  hono.use(
    "*",
    rateLimit({
      limiter: () => limiter,
      identify: (c) => {
        const id = c.req.header("X-Key") ?? "anonymous";
        seen.push(id);
        return id;
      },
      now: () => NOW,
    }),
  );
  hono.get("/", (c) => c.text("ok"));
  return hono;
}

const fixed = (outcome: Awaited<ReturnType<Limiter["limit"]>>): Limiter => ({ limit: async () => outcome });

describe("rateLimit", () => {
  it("does nothing when limiting is off", async () => {
    const seen: string[] = [];
    expect((await app(undefined, seen).request("/")).status).toBe(200);
    expect(seen).toEqual([]);
  });

  it("lets a request within budget through, counted against its key", async () => {
    const seen: string[] = [];
    const response = await app(fixed({ success: true, limit: 10, remaining: 9, reset: NOW + 5_000 }), seen).request("/", {
      headers: { "X-Key": "key-a" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("RateLimit-Remaining")).toBe("9");
    expect(seen).toEqual(["key-a"]);
  });

  it("answers 429 with Retry-After rounded up to whole seconds", async () => {
    const response = await app(fixed({ success: false, limit: 10, remaining: 0, reset: NOW + 4_200 })).request("/");
    expect(response.status).toBe(429);
    expect(response.headers.get("Retry-After")).toBe("5");
    expect(response.headers.get("Content-Type")).toBe("application/problem+json");
    expect(await response.json()).toMatchObject({ code: "rate_limited", status: 429 });
  });

  it("turns a limiter failure into the storage 503, not a 500", async () => {
    const broken: Limiter = { limit: async () => Promise.reject(new Error("fetch failed")) };
    const response = await app(broken).request("/");
    expect(response.status).toBe(503);
    expect(response.headers.get("Retry-After")).not.toBeNull();
  });
});
