import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { describe, expect, it } from "vitest";
import { OffloadError } from "../../../shared/src/index";
import { problemHandler, problemNotFound } from "./problem";

function app(thrown: unknown, logged: unknown[] = []) {
  const hono = new Hono();
  hono.onError(problemHandler({ log: (message, details) => logged.push({ message, ...details }) }));
  hono.notFound(problemNotFound());
  hono.get("/boom", () => {
    throw thrown;
  });
  return hono;
}

describe("problemHandler", () => {
  it("renders an OffloadError as RFC 9457 problem+json with its code", async () => {
    const issues = [{ path: "url", message: "Invalid URL" }];
    const response = await app(new OffloadError("validation_failed", "url: Invalid URL", { issues })).request("/boom");
    expect(response.status).toBe(400);
    expect(response.headers.get("Content-Type")).toBe("application/problem+json");
    expect(await response.json()).toEqual({
      type: "https://offload.dev/problems/validation-failed",
      title: "Request validation failed",
      status: 400,
      detail: "url: Invalid URL",
      code: "validation_failed",
      errors: issues,
    });
  });

  it("adds Retry-After for errors that carry one, and logs storage failures without the command", async () => {
    const logged: Record<string, unknown>[] = [];
    const cause = new Error('connection refused, command was: ["evalsha","secret-payload"]');
    const error = new OffloadError("redis_unavailable", "Queue storage is unavailable", { retryAfterSeconds: 2, cause });
    const response = await app(error, logged).request("/boom");
    expect(response.status).toBe(503);
    expect(response.headers.get("Retry-After")).toBe("2");
    expect(JSON.stringify(logged)).toContain("connection refused");
    expect(JSON.stringify(logged)).not.toContain("secret-payload");
  });

  it("maps Hono's HTTPExceptions (malformed JSON from the validator) to our codes", async () => {
    const response = await app(new HTTPException(400, { message: "Malformed JSON in request body" })).request("/boom");
    expect(await response.json()).toMatchObject({ status: 400, code: "malformed_json" });
  });

  it("turns anything else into a 500 that says nothing about internals, and logs the stack", async () => {
    const logged: Record<string, unknown>[] = [];
    const response = await app(new TypeError("secret internals at line 3"), logged).request("/boom");
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain("secret internals");
    expect(JSON.parse(text)).toMatchObject({ code: "internal", status: 500, title: "Internal error" });
    expect(JSON.stringify(logged)).toContain("secret internals");
  });

  it("answers unknown routes with a not_found problem", async () => {
    const response = await app(null).request("/nowhere");
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: "not_found", detail: "No route for GET /nowhere" });
  });
});
