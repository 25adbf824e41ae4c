/** The Hono environment every edge module shares: bindings in, per-request values set by middleware. */
import type { EdgeConfig, Bindings } from "./env";
import type { Storage } from "./storage";

export type Role = "producer" | "admin";

/** Who is calling, as far as the edge needs to know. `keyId` identifies a key without revealing it. */
export interface Principal {
  role: Role;
  /** Hex of the first 16 bytes of SHA-256(key): safe for logs and rate-limit buckets. */
  keyId: string;
}

export interface AppEnv {
  Bindings: Bindings;
  Variables: {
    config: EdgeConfig;
    storage: Storage;
    principal: Principal;
  };
}
