import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../context";
import { requireJson } from "./content-type";
import { problemHandler } from "./problem";

const app = new Hono<AppEnv>();
app.onError(problemHandler({ log: () => {} }));
app.post("/", requireJson(), (c) => c.text("ok"));

const post = (contentType?: string) =>
  app.request("/", { method: "POST", body: "{}", headers: contentType ? { "Content-Type": contentType } : {} });

describe("requireJson", () => {
  it.each(["application/json", "application/json; charset=utf-8", "Application/JSON", "application/vnd.api+json"])(
    "accepts %s",
    async (contentType) => {
      expect((await post(contentType)).status).toBe(200);
    },
  );

  it.each(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx"])(
    "answers 415 problem+json to %s",
    async (contentType) => {
      const response = await post(contentType);
      expect(response.status).toBe(415);
      expect(response.headers.get("Content-Type")).toBe("application/problem+json");
      expect(await response.json()).toMatchObject({ code: "unsupported_media_type", status: 415 });
    },
  );

  it("answers 415 when there is no Content-Type at all", async () => {
    const response = await app.request("/", { method: "POST", body: new Uint8Array([123, 125]) });
    expect(response.status).toBe(415);
  });
});
