/**
 * Bearer authentication against the producer and admin key lists.
 *
 * Keys are compared as SHA-256 digests, every configured key every time, with a constant-time equality: the
 * time a request takes does not depend on how much of a key it guessed, nor on which key matched. Keys are
 * never logged, never stored and never echoed; later middleware sees only a `keyId` (a digest prefix).
 */
import type { Context, MiddlewareHandler } from "hono";
import { OffloadError } from "../../../shared/src/index";
import type { AppEnv, Principal } from "../context";

export interface KeyLists {
  producer: readonly string[];
  admin: readonly string[];
}

export interface BearerAuthOptions {
  /** Where the configured keys come from; by default the validated config (`API_KEYS`, `ADMIN_API_KEYS`). */
  keys?: (c: Context<AppEnv>) => KeyLists;
}

interface Digests {
  producer: Uint8Array[];
  admin: Uint8Array[];
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

type SubtleWithTimingSafeEqual = typeof crypto.subtle & { timingSafeEqual?: (a: ArrayBufferView, b: ArrayBufferView) => boolean };

/**
 * Equal-length digests only. workerd has `crypto.subtle.timingSafeEqual`; elsewhere an XOR fold.
 * @example
 * digestsEqual(await sha256(presented), configuredDigest) // true or false, in time independent of the bytes
 */
export function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  const subtle = crypto.subtle as SubtleWithTimingSafeEqual;
  if (typeof subtle.timingSafeEqual === "function") return subtle.timingSafeEqual(a, b);
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

/** Compares against every digest without stopping at a match, so timing does not reveal which one matched. */
function matchesAny(candidate: Uint8Array, digests: readonly Uint8Array[]): boolean {
  let found = false;
  for (const digest of digests) found = digestsEqual(candidate, digest) || found;
  return found;
}

const toHex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");

/** RFC 6750 syntax: `Bearer` then a token68. Anything else counts as no credentials. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Sets `principal` for the routes after it, or answers 401 (with `WWW-Authenticate: Bearer`).
 * @example
 * app.use("/v1/*", bearerAuth());
 */
export function bearerAuth(options: BearerAuthOptions = {}): MiddlewareHandler<AppEnv> {
  const keysOf = options.keys ?? ((c) => ({ producer: c.var.config.apiKeys, admin: c.var.config.adminApiKeys }));
  // Digests of the configured keys, computed once per key list (per isolate and config in practice).
  const digestCache = new WeakMap<object, Promise<Digests>>();
  const digestsOf = (lists: KeyLists) => {
    let digests = digestCache.get(lists.producer);
    if (!digests) {
      digests = Promise.all([Promise.all(lists.producer.map(sha256)), Promise.all(lists.admin.map(sha256))]).then(
        ([producer, admin]) => ({ producer, admin }),
      );
      digestCache.set(lists.producer, digests);
    }
    return digests;
  };

  return async function bearerAuth(c, next) {
    const match = BEARER.exec(c.req.header("Authorization") ?? "");
    if (!match) throw new OffloadError("unauthorized", "Send an API key as `Authorization: Bearer <key>`");
    const presented = await sha256(match[1]!);
    const digests = await digestsOf(keysOf(c));
    const admin = matchesAny(presented, digests.admin);
    const producer = matchesAny(presented, digests.producer);
    if (!admin && !producer) throw new OffloadError("unauthorized", "Unknown API key");
    const principal: Principal = { role: admin ? "admin" : "producer", keyId: toHex(presented.subarray(0, 16)) };
    c.set("principal", principal);
    await next();
  };
}

/**
 * 403 for any key that is not an admin key. Runs after `bearerAuth`.
 * @example
 * admin.use("*", requireAdmin());
 */
export function requireAdmin(): MiddlewareHandler<AppEnv> {
  return async function requireAdmin(c, next) {
    if (c.var.principal?.role !== "admin") {
      throw new OffloadError("forbidden", "This route needs an admin key (ADMIN_API_KEYS)");
    }
    await next();
  };
}
