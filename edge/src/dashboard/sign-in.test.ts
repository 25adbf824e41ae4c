/**
 * The session cookie's attributes by host: `Secure` everywhere except loopback (where `wrangler dev` serves plain
 * HTTP; the browser tests cover that side in workerd). Sign-in and sign-out touch no Redis, so the dashboard's
 * Hono app answers them here directly.
 */
import { describe, expect, it } from "vitest";
import { JOBS } from "../../../shared/src/jobs/index";
import type { Bindings } from "../env";
import { dashboardRoutes } from "./index";
import { SESSION_COOKIE, SESSION_TTL_MS, sessionsFor } from "./session";

const ADMIN = "admin-key-for-cookie-tests";
const env: Bindings = { UPSTASH_REDIS_REST_URL: "http://127.0.0.1:1", UPSTASH_REDIS_REST_TOKEN: "t", API_KEYS: "producer-key", ADMIN_API_KEYS: ADMIN };
const app = dashboardRoutes(JOBS);

async function signIn(origin: string, key = ADMIN): Promise<Response> {
  const headers = { Origin: origin, "Content-Type": "application/x-www-form-urlencoded" };
  return app.request(`${origin}/dashboard/sign-in`, { method: "POST", headers, body: new URLSearchParams({ key }).toString() }, env);
}

const attributes = (setCookie: string | null) => (setCookie ?? "").split(";").map((part) => part.trim());

describe("the session cookie", () => {
  it.each(["https://offload.example.com", "http://ops.internal:8787"])("is Secure on %s, HttpOnly, SameSite=Strict, expiring", async (origin) => {
    const response = await signIn(origin);
    expect(response.status).toBe(303);
    const cookie = attributes(response.headers.get("Set-Cookie"));
    expect(cookie[0]).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$`));
    expect(cookie.slice(1)).toEqual([`Max-Age=${SESSION_TTL_MS / 1_000}`, "Path=/dashboard", "HttpOnly", "SameSite=Strict", "Secure"]);
    expect(cookie[0]).not.toContain(ADMIN);
  });

  it.each(["http://127.0.0.1:8787", "http://localhost:8787", "http://[::1]:8787"])("has no Secure on loopback %s", async (origin) => {
    const cookie = attributes((await signIn(origin)).headers.get("Set-Cookie"));
    expect(cookie).toContain("HttpOnly");
    expect(cookie).not.toContain("Secure");
  });

  it("a producer key sets no cookie", async () => {
    const response = await signIn("https://offload.example.com", "producer-key");
    expect(response.status).toBe(401);
    expect(response.headers.get("Set-Cookie")).toBeNull();
  });

  it("sign-out clears it with the same attributes (Max-Age=0, Secure off loopback)", async () => {
    const origin = "https://offload.example.com";
    const session = attributes((await signIn(origin)).headers.get("Set-Cookie"))[0]!;
    // The token the dashboard's pages put in their forms (pages read Redis, which this test has none of).
    const sessions = sessionsFor([ADMIN]);
    const csrf = await sessions.csrfToken((await sessions.verify(session.slice(SESSION_COOKIE.length + 1)))!);
    const response = await app.request(
      `${origin}/dashboard/sign-out`,
      { method: "POST", headers: { Cookie: session, Origin: origin, "Content-Type": "application/x-www-form-urlencoded" }, body: `_csrf=${encodeURIComponent(csrf!)}` },
      env,
    );
    expect(response.status).toBe(303);
    expect(attributes(response.headers.get("Set-Cookie"))).toEqual([`${SESSION_COOKIE}=`, "Max-Age=0", "Path=/dashboard", "HttpOnly", "SameSite=Strict", "Secure"]);
  });
});
