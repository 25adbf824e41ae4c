import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../context";
import { bodyLimit } from "./body-limit";
import { problemHandler } from "./problem";

function app(maxBytes: number, drainBytes = 0) {
  const hono = new Hono<AppEnv>();
  hono.onError(problemHandler({ log: () => {} }));
  hono.post("/", bodyLimit({ maxBytes, drainBytes }), async (c) => c.text(await c.req.text()));
  return hono;
}

/** A chunked body (no Content-Length) that records how many chunks were pulled from it. */
function countingStream(chunks: number, chunkBytes: number) {
  const state = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled === chunks) return controller.close();
      state.pulled += 1;
      controller.enqueue(new Uint8Array(chunkBytes).fill(97));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

const post = (hono: Hono<AppEnv>, body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
  hono.request("/", { method: "POST", body, headers, duplex: "half" } as RequestInit);

describe("bodyLimit", () => {
  it("passes a body within the limit through, readable downstream", async () => {
    const response = await post(app(10), "0123456789");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("0123456789");
  });

  it("refuses a declared Content-Length over the limit before reading anything", async () => {
    const { stream, state } = countingStream(100, 1024);
    const response = await post(app(1024), stream, { "Content-Length": String(100 * 1024) });
    expect(response.status).toBe(413);
    expect(response.headers.get("Content-Type")).toBe("application/problem+json");
    expect(await response.json()).toMatchObject({ code: "payload_too_large", status: 413 });
    expect(state.pulled).toBeLessThanOrEqual(1); // a stream may pre-fill one chunk; nothing is consumed
  });

  it("counts a chunked body and cancels the upload at the first chunk past the limit", async () => {
    const { stream, state } = countingStream(1000, 1024);
    const response = await post(app(4 * 1024), stream);
    expect(response.status).toBe(413);
    expect(state.pulled).toBeLessThan(10);
    expect(state.cancelled).toBe(true);
  });

  it("reads at most drainBytes past the limit, then cancels", async () => {
    const { stream, state } = countingStream(1000, 1024);
    const response = await post(app(4 * 1024, 16 * 1024), stream);
    expect(response.status).toBe(413);
    expect(state.pulled).toBeGreaterThan(16);
    expect(state.pulled).toBeLessThan(4 + 16 + 5);
    expect(state.cancelled).toBe(true);
  });

  it("drains a body that ends within drainBytes without cancelling it (the connection stays usable)", async () => {
    const { stream, state } = countingStream(8, 1024);
    const response = await post(app(4 * 1024, 16 * 1024), stream);
    expect(response.status).toBe(413);
    expect(state.pulled).toBe(8);
    expect(state.cancelled).toBe(false);
  });

  it("accepts a chunked body exactly at the limit", async () => {
    const { stream } = countingStream(4, 1024);
    const response = await post(app(4 * 1024), stream);
    expect(response.status).toBe(200);
    expect((await response.text()).length).toBe(4 * 1024);
  });
});
