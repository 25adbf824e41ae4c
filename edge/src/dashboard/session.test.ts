import { describe, expect, test } from "vitest";
import { SESSION_TTL_MS, sessionsFor } from "./session";

const ADMIN = ["admin-key-one", "admin-key-two"];

describe("sessions", () => {
  test("admin keys are recognised, others are not", async () => {
    const sessions = sessionsFor(ADMIN);
    expect((await sessions.isAdminKey("admin-key-two")).admin).toBe(true);
    expect((await sessions.isAdminKey("admin-key-thre")).admin).toBe(false);
    expect((await sessions.isAdminKey("")).admin).toBe(false);
  });

  test("an issued cookie verifies until it expires, and never contains the key", async () => {
    const sessions = sessionsFor(ADMIN);
    const { keyId } = await sessions.isAdminKey("admin-key-one");
    const now = 1_800_000_000_000;
    const { cookie, session } = await sessions.issue(keyId, now);
    expect(cookie).not.toContain("admin-key-one");
    expect(await sessions.verify(cookie, now + 1_000)).toEqual(session);
    expect(await sessions.verify(cookie, now + SESSION_TTL_MS)).toBeUndefined();
  });

  test("a tampered, truncated, garbled or foreign cookie is refused", async () => {
    const sessions = sessionsFor(ADMIN);
    const now = 1_800_000_000_000;
    const { cookie } = await sessions.issue("k", now);
    const [payload, mac] = cookie.split(".") as [string, string];
    const longer = btoa(JSON.stringify({ k: "k", n: "n", e: now + 10 * SESSION_TTL_MS })).replace(/=+$/, "");
    for (const bad of [`${longer}.${mac}`, payload, `${payload}.`, `${payload}.${mac}x`, `${payload}.${mac}.x`, "%%%.%%%", "a.b", ""]) {
      expect(await sessions.verify(bad, now), bad).toBeUndefined();
    }
    // Signed under other admin keys: a rotation signs everyone out.
    expect(await sessionsFor(["admin-key-one"]).verify(cookie, now)).toBeUndefined();
  });

  test("with no admin keys nothing verifies, not even a cookie signed with the empty-list key", async () => {
    const none = sessionsFor([]);
    const { cookie } = await none.issue("k");
    expect(await none.verify(cookie)).toBeUndefined();
  });

  test("the CSRF token belongs to one session", async () => {
    const sessions = sessionsFor(ADMIN);
    const a = (await sessions.issue("k")).session;
    const b = (await sessions.issue("k")).session;
    const token = await sessions.csrfToken(a);
    expect(await sessions.checkCsrf(a, token)).toBe(true);
    expect(await sessions.checkCsrf(b, token)).toBe(false);
    expect(await sessions.checkCsrf(a, undefined)).toBe(false);
    expect(await sessions.checkCsrf(a, token.slice(1))).toBe(false);
  });
});
