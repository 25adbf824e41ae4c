/**
 * Whether this process can reach its Redis, said once and clearly. Without it, a worker whose Redis is down
 * logged "worker started" and then one "retrying" warning per attempt of every loop, none of which named the
 * address or the cause.
 *
 * It watches the command connection (the blocking ones follow the same fate and stay quiet):
 *   - the first failure after start or after a good spell logs ONE error naming the address (password
 *     redacted) and the cause in words: connection refused, DNS lookup failed, TLS handshake failed,
 *     authentication failed, timed out;
 *   - while it stays down, ioredis keeps dialling with backoff (redis-connections.ts); a changed cause is said
 *     again at once (it is news), the same cause at most once per `remindEveryMs` with the number of attempts;
 *   - when the connection is ready again, one line says so and how long it was down.
 * `down` is what /healthz answers 503 on, and what the loops read to keep their own retry warnings quiet (they
 * log at debug while the outage is already reported here).
 */
import type { Cluster, Redis } from "ioredis";
import { stdSerializers, type Logger } from "pino";
import { redactUrl } from "../../shared/src/redact-url";

/** Commands whose arguments carry credentials. */
const SECRET_COMMANDS = new Set(["auth", "hello", "migrate"]);

/**
 * The `err` serializer of the worker's logger: pino's own, except that ioredis attaches the failed command to
 * its errors, and for AUTH that is the password in clear text (`command: { name: "auth", args: [password] }`).
 */
export function redactingErrSerializer(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const serialized = stdSerializers.err(error) as { command?: { name?: unknown; args?: unknown } };
  const command = serialized.command;
  if (command && typeof command.name === "string" && SECRET_COMMANDS.has(command.name.toLowerCase())) {
    serialized.command = { name: command.name, args: ["(redacted)"] };
  }
  return serialized;
}

/** What went wrong, in words a person acts on, and a stable code for logs and /healthz. */
export function describeRedisError(error: unknown): { code: string; cause: string } {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === "string" ? e.code : "";
  const message = typeof e?.message === "string" ? e.message : String(error);
  if (code === "ECONNREFUSED") return { code, cause: "connection refused: nothing is listening at that address" };
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME") {
    return { code, cause: "DNS lookup failed: the host name does not resolve" };
  }
  if (code === "ETIMEDOUT" || /ETIMEDOUT|timed? ?out/i.test(message)) return { code: code || "ETIMEDOUT", cause: "connection timed out" };
  if (/^(WRONGPASS|NOAUTH)|invalid password|AUTH.*(failed|without any password)/i.test(message)) {
    return { code: message.split(" ")[0]!, cause: "authentication failed: wrong password or user (check REDIS_URL)" };
  }
  if (/TLS|SSL|certificate|CERT_|self[- ]signed/i.test(`${code} ${message}`)) {
    return { code: code || "TLS", cause: `TLS handshake failed (${message})` };
  }
  if (code === "ECONNRESET") return { code, cause: "connection reset by the server" };
  return { code: code || "ERROR", cause: message };
}

export interface ReachabilityOptions {
  url: string;
  log: Logger;
  /** The same cause is repeated at most this often while Redis stays unreachable. */
  remindEveryMs?: number;
}

export class RedisReachability {
  readonly address: string;
  private downSince: number | undefined;
  private lastCause: string | undefined;
  private lastSaidAt = 0;
  private failures = 0;
  private everReady = false;

  constructor(private readonly o: ReachabilityOptions) {
    this.address = redactUrl(o.url, "REDIS_URL");
  }

  /** True from the first failure until the connection is ready again (and before it was ever ready). */
  get down(): boolean {
    return !this.everReady || this.downSince !== undefined;
  }

  /** The current cause while down, for /healthz. */
  get cause(): string | undefined {
    return this.down ? (this.lastCause ?? "not connected yet") : undefined;
  }

  watch(connection: Redis | Cluster): void {
    connection.on("error", (error) => this.failed(error));
    connection.on("ready", () => this.ready());
  }

  private failed(error: unknown): void {
    const { code, cause } = describeRedisError(error);
    const now = Date.now();
    this.failures += 1;
    const first = this.downSince === undefined;
    if (first) this.downSince = now;
    const fields = { redis: this.address, code, cause, failedAttempts: this.failures };
    if (first || cause !== this.lastCause) {
      this.o.log.error(fields, `cannot reach Redis at ${this.address}: ${cause}; retrying with backoff`);
      this.lastSaidAt = now;
    } else if (now - this.lastSaidAt >= (this.o.remindEveryMs ?? 60_000)) {
      this.o.log.warn(fields, `still cannot reach Redis at ${this.address}: ${cause} (${this.failures} failed attempts so far)`);
      this.lastSaidAt = now;
    }
    this.lastCause = cause;
  }

  private ready(): void {
    const wasDown = this.downSince;
    if (wasDown !== undefined) {
      this.o.log.info(
        { redis: this.address, downMs: Date.now() - wasDown, failedAttempts: this.failures },
        `connected to Redis at ${this.address} after ${this.failures} failed attempts`,
      );
    } else if (!this.everReady) {
      this.o.log.info({ redis: this.address }, `connected to Redis at ${this.address}`);
    }
    this.everReady = true;
    this.downSince = undefined;
    this.lastCause = undefined;
    this.failures = 0;
  }
}
