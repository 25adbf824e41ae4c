/**
 * Sign-in (admin key → session cookie) and sign-out. The key arrives in a form field, is compared as a digest
 * against every admin key (constant time per comparison, see session.ts) and is never logged, stored or
 * echoed; a producer key is refused like an unknown one. The cookie: HttpOnly, SameSite=Strict, Path
 * /dashboard, Secure except on loopback hosts (wrangler dev serves plain HTTP), Max-Age = the session's life.
 */
import { Hono, type Context } from "hono";
import { sessionCookie } from "./cookie";
import { isLocalhost, type DashboardEnv } from "./guard";
import { render } from "./render";
import { noticeFrom } from "./notices";
import { SESSION_COOKIE, SESSION_TTL_MS, sessionsFor } from "./session";
import { SignInPage } from "./views/sign-in";

const cookie = (c: Context<DashboardEnv>, value: string, maxAge: number) =>
  sessionCookie(SESSION_COOKIE, value, { path: "/dashboard", secure: !isLocalhost(c.req.url), maxAge });

export function signInRoutes(): Hono<DashboardEnv> {
  const app = new Hono<DashboardEnv>();

  app.get("/dashboard/sign-in", (c) => {
    const configured = c.var.config.adminApiKeys.length > 0;
    const notice = noticeFrom(c.req.query());
    return render(c, <SignInPage configured={configured} notice={notice} />);
  });

  app.post("/dashboard/sign-in", async (c) => {
    const key = c.var.form.key?.[0] ?? "";
    const configured = c.var.config.adminApiKeys.length > 0;
    const { admin, keyId } = key.length > 0 && key.length <= 512 ? await sessionsFor(c.var.config.adminApiKeys).isAdminKey(key) : { admin: false, keyId: "" };
    if (!configured || !admin) {
      return render(c, <SignInPage configured={configured} error="That is not an admin key. The dashboard needs an entry of ADMIN_API_KEYS." />, 401);
    }
    const session = await sessionsFor(c.var.config.adminApiKeys).issue(keyId);
    c.header("Set-Cookie", cookie(c, session.cookie, SESSION_TTL_MS / 1_000));
    return c.redirect("/dashboard", 303);
  });

  return app;
}

/** Sign-out is an action like the others: POST, session and CSRF token required (mounted behind the guard). */
export function signOutRoutes(): Hono<DashboardEnv> {
  const app = new Hono<DashboardEnv>();
  app.post("/dashboard/sign-out", (c) => {
    c.header("Set-Cookie", cookie(c, "", 0));
    return c.redirect("/dashboard/sign-in?notice=signed-out", 303);
  });
  return app;
}
