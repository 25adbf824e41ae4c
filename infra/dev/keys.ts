/**
 * The local stack's secrets: the API key and admin key the edge accepts, the token between the edge and the
 * local REST endpoint, and the workers' webhook signing secret. Made once per data directory and kept in
 * `<dataDir>/dev-keys.json` (mode 600), so a restarted stack accepts the same keys and curl commands in your
 * shell history keep working. They guard nothing but your own machine; never reuse them anywhere else.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

const DevKeysSchema = z.object({
  apiKey: z.string().regex(/^[A-Za-z0-9_-]{16,}$/),
  adminKey: z.string().regex(/^[A-Za-z0-9_-]{16,}$/),
  restToken: z.string().regex(/^[A-Za-z0-9_-]{16,}$/),
  webhookSecret: z.string().regex(/^whsec_[A-Za-z0-9+/]{43}=$/),
});

export type DevKeys = z.output<typeof DevKeysSchema>;

const token = (prefix: string) => `${prefix}${randomBytes(18).toString("base64url")}`;

export function generateDevKeys(): DevKeys {
  return {
    apiKey: token("ofl_dev_"),
    adminKey: token("ofl_admin_dev_"),
    restToken: token("rest_dev_"),
    // Standard Webhooks: whsec_ + base64 of 24–64 random bytes.
    webhookSecret: `whsec_${randomBytes(32).toString("base64")}`,
  };
}

/**
 * @example
 * const keys = loadDevKeys(".data"); // same keys on every call for the same directory
 */
export function loadDevKeys(dataDir: string): DevKeys {
  const file = join(dataDir, "dev-keys.json");
  try {
    const parsed = DevKeysSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
    if (parsed.success) return parsed.data;
  } catch {
    // Missing or unreadable: make new ones below.
  }
  const keys = generateDevKeys();
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  return keys;
}
