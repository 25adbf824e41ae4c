/**
 * Dashboard sessions: a signed, expiring cookie issued for an admin key, and the CSRF token bound to it.
 *
 * The signing key is derived from the configured admin keys (HMAC-SHA-256 keyed with SHA-256 of a label and
 * every ADMIN_API_KEYS entry), so the dashboard needs no secret of its own. What that choice costs: changing
 * ADMIN_API_KEYS in any way (rotating or removing a key) signs everyone out, which is also what an operator
 * revoking a leaked key wants. With no admin keys configured no session is ever valid (the derived key would
 * otherwise be a constant anyone can compute).
 *
 * Cookie value: base64url(JSON { k: keyId, n: nonce, e: expiry ms }) "." base64url(HMAC(value)). The key itself
 * is never stored in the cookie; `k` is the same digest prefix the API middleware logs. The CSRF token is
 * HMAC("csrf" + nonce): a page can only have been rendered for the session it is submitted with.
 */
import { z } from "zod";
import { digestsEqual } from "../middleware/auth";

export const SESSION_COOKIE = "offload_session";
/** A working day; not sliding, so a stolen cookie is useful for at most this long. */
export const SESSION_TTL_MS = 8 * 3_600_000;

export interface Session {
  keyId: string;
  nonce: string;
  expiresAt: number;
}

const PayloadSchema = z.object({ k: z.string().max(64), n: z.string().max(64), e: z.number().int() });

const encoder = new TextEncoder();

export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

const toHex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** Signs and checks sessions for one admin key list. Built once per configuration (see `sessionsFor`). */
export interface Sessions {
  /** Whether `key` is one of the admin keys; compares digests of every key, in constant time each. */
  isAdminKey(key: string): Promise<{ admin: boolean; keyId: string }>;
  issue(keyId: string, now?: number): Promise<{ cookie: string; session: Session }>;
  /** undefined for a missing, forged, malformed or expired cookie. */
  verify(cookie: string | undefined, now?: number): Promise<Session | undefined>;
  csrfToken(session: Session): Promise<string>;
  checkCsrf(session: Session, token: string | undefined): Promise<boolean>;
}

const cache = new WeakMap<readonly string[], Sessions>();

/**
 * @example
 * const sessions = sessionsFor(c.var.config.adminApiKeys);
 * const session = await sessions.verify(getCookie(c, SESSION_COOKIE));
 */
export function sessionsFor(adminKeys: readonly string[]): Sessions {
  let sessions = cache.get(adminKeys);
  if (!sessions) {
    sessions = createSessions(adminKeys);
    cache.set(adminKeys, sessions);
  }
  return sessions;
}

function createSessions(adminKeys: readonly string[]): Sessions {
  const digests = Promise.all(adminKeys.map(sha256));
  const signingKey = sha256(["offload dashboard session v1", ...adminKeys].join("\n")).then((raw) =>
    crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]),
  );
  const sign = async (text: string) => new Uint8Array(await crypto.subtle.sign("HMAC", await signingKey, encoder.encode(text)));
  // crypto.subtle.verify compares the MAC in constant time.
  const verifyMac = async (text: string, mac: Uint8Array) =>
    crypto.subtle.verify("HMAC", await signingKey, mac, encoder.encode(text));
  const enabled = adminKeys.length > 0;

  return {
    async isAdminKey(key) {
      const presented = await sha256(key);
      let admin = false;
      for (const digest of await digests) admin = digestsEqual(presented, digest) || admin;
      return { admin, keyId: toHex(presented.subarray(0, 16)) };
    },
    async issue(keyId, now = Date.now()) {
      const session: Session = { keyId, nonce: toHex(crypto.getRandomValues(new Uint8Array(16))), expiresAt: now + SESSION_TTL_MS };
      const payload = toBase64Url(encoder.encode(JSON.stringify({ k: session.keyId, n: session.nonce, e: session.expiresAt })));
      return { cookie: `${payload}.${toBase64Url(await sign(payload))}`, session };
    },
    async verify(cookie, now = Date.now()) {
      if (!enabled || !cookie || cookie.length > 512) return undefined;
      const [payload, mac, extra] = cookie.split(".");
      if (!payload || !mac || extra !== undefined) return undefined;
      const macBytes = fromBase64Url(mac);
      if (!macBytes || !(await verifyMac(payload, macBytes))) return undefined;
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder().decode(fromBase64Url(payload)));
      } catch {
        return undefined;
      }
      const fields = PayloadSchema.safeParse(parsed);
      if (!fields.success || fields.data.e <= now) return undefined;
      return { keyId: fields.data.k, nonce: fields.data.n, expiresAt: fields.data.e };
    },
    async csrfToken(session) {
      return toBase64Url(await sign(`csrf\n${session.nonce}`));
    },
    async checkCsrf(session, token) {
      const mac = token ? fromBase64Url(token) : undefined;
      return mac !== undefined && mac.length === 32 && verifyMac(`csrf\n${session.nonce}`, mac);
    },
  };
}
