import { randomBytes } from "node:crypto";
import { createServer as createTlsServer } from "node:tls";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { JobContext } from "../handler";
import { RateLimitedError, RetryAfterError, UnrecoverableError } from "../job-errors";
import { createWebhookHandler, type WebhookHandlerConfig } from "./webhook";
import { startTestReceiver, type TestReceiver } from "../../test/support/webhook-receiver";

const secret = `whsec_${randomBytes(32).toString("base64")}`;
const jobId = "webhook.01JTESTJOB";

function context(overrides: Partial<JobContext> = {}): JobContext & { controller: AbortController } {
  const controller = new AbortController();
  return {
    controller,
    jobId,
    attempt: 1,
    maxAttempts: 8,
    signal: controller.signal,
    progress: async () => {},
    log: pino({ level: "silent" }),
    ...overrides,
  };
}

function handler(config: Partial<WebhookHandlerConfig> = {}) {
  return createWebhookHandler({ secret, allowPrivateNetworks: true, maxRetryAfterMs: 3_600_000, ...config });
}

/** Resolves with what the promise rejected with; fails the test if it resolved. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: Error) => error,
  );
}

function expectRetryable(error: Error) {
  expect(error).not.toBeInstanceOf(UnrecoverableError);
  expect(error).not.toBeInstanceOf(RetryAfterError);
}

let receiver: TestReceiver;
beforeEach(async () => {
  receiver = await startTestReceiver();
});
afterEach(async () => {
  await receiver.close();
});

describe("webhook handler", () => {
  it("POSTs the JSON body signed per Standard Webhooks and returns status and duration", async () => {
    const body = { event: "order.paid", order: { id: "ord_1", total: 42.5, tags: ["a", "é"] }, note: null };
    const result = await handler()(
      { url: `${receiver.origin}/hooks/orders?v=1`, body, headers: { Authorization: "Bearer t0k3n", "X-Tenant": "acme" } },
      context(),
    );

    expect(result.status).toBe(200);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    const [delivery] = receiver.deliveries;
    expect(delivery).toMatchObject({ method: "POST", path: "/hooks/orders?v=1" });
    expect(delivery!.headers).toMatchObject({
      "content-type": "application/json",
      "webhook-id": jobId,
      authorization: "Bearer t0k3n",
      "x-tenant": "acme",
      host: `127.0.0.1:${receiver.port}`,
    });
    expect(new Webhook(secret).verify(delivery!.body, delivery!.headers as Record<string, string>)).toEqual(body);
    expect(() => new Webhook(`whsec_${randomBytes(32).toString("base64")}`).verify(delivery!.body, delivery!.headers as Record<string, string>)).toThrow();
  });

  it("fails retryably on 503 and succeeds on the next attempt with the same webhook-id", async () => {
    receiver.reply({ status: 503, body: "down for maintenance" });
    const deliver = handler();
    const data = { url: `${receiver.origin}/in`, body: { n: 1 } };

    const failure = await rejection(deliver(data, context({ attempt: 1 })));
    expectRetryable(failure);
    expect(failure.message).toBe("receiver answered 503: down for maintenance");
    await expect(deliver(data, context({ attempt: 2 }))).resolves.toMatchObject({ status: 200 });

    expect(receiver.deliveries).toHaveLength(2);
    for (const delivery of receiver.deliveries) {
      expect(delivery.headers["webhook-id"]).toBe(jobId);
      expect(new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>)).toEqual({ n: 1 });
    }
  });

  it("aborts a slow receiver when the run's signal fires (timeout or shutdown), retryably", async () => {
    receiver.reply("hang");
    const ctx = context();
    const arrived = receiver.nextDelivery();
    const run = rejection(handler()({ url: receiver.origin, body: {} }, ctx));
    await arrived;
    ctx.controller.abort(new Error("job timed out after 15000 ms"));

    const failure = await run;
    expectRetryable(failure);
    expect(failure.message).toBe(`delivery to 127.0.0.1:${receiver.port} aborted: job timed out after 15000 ms`);
  });

  it("does not start when the signal is already aborted", async () => {
    const ctx = context();
    ctx.controller.abort(new Error("shutting down"));
    const failure = await rejection(handler()({ url: `http://localhost:${receiver.port}/`, body: {} }, ctx));
    expectRetryable(failure);
    expect(failure.message).toMatch(/aborted: shutting down/);
    expect(receiver.deliveries).toHaveLength(0);
  });

  it("a 429 with Retry-After (seconds) is back-pressure: RateLimitedError", async () => {
    receiver.reply({ status: 429, headers: { "retry-after": "3" }, body: "slow down" });
    const failure = await rejection(handler()({ url: receiver.origin, body: {} }, context()));
    expect(failure).toBeInstanceOf(RateLimitedError);
    expect((failure as RateLimitedError).retryAfterMs).toBe(3000);
    expect(failure.message).toBe("receiver answered 429 with Retry-After: 3: slow down");
  });

  it("caps Retry-After at maxRetryAfterMs", async () => {
    receiver.reply({ status: 503, headers: { "retry-after": "7200" } });
    const failure = await rejection(handler({ maxRetryAfterMs: 60_000 })({ url: receiver.origin, body: {} }, context()));
    expect((failure as RetryAfterError).retryAfterMs).toBe(60_000);
    expect(failure.message).toBe("receiver answered 503 with Retry-After: 7200, capped at 60000 ms with an empty body");
  });

  it("dead-letters a 410 at once, keeping the first 1 KB of the body", async () => {
    receiver.reply({ status: 410, body: "x".repeat(1020) + "ééé" + "TAIL".repeat(500) });
    const failure = await rejection(handler()({ url: receiver.origin, body: {} }, context()));
    expect(failure).toBeInstanceOf(UnrecoverableError);
    // 1020 + 2 bytes of "é", then the next "é" is cut in half at byte 1024 and dropped rather than mangled.
    expect(failure.message).toBe(`receiver answered 410: ${"x".repeat(1020)}éé`);
  });

  it("does not follow redirects: a 3xx is dead at once", async () => {
    receiver.reply({ status: 302, headers: { location: `${receiver.origin}/elsewhere` } });
    const failure = await rejection(handler()({ url: receiver.origin, body: {} }, context()));
    expect(failure).toBeInstanceOf(UnrecoverableError);
    expect(failure.message).toBe(
      `receiver answered 302 redirecting to ${receiver.origin}/elsewhere; redirects are not followed, use the final URL`,
    );
    expect(receiver.deliveries).toHaveLength(1);
  });

  it("retries connection errors", async () => {
    const closed = await startTestReceiver();
    await closed.close();
    const failure = await rejection(handler()({ url: closed.origin, body: {} }, context()));
    expectRetryable(failure);
    expect(failure.message).toMatch(new RegExp(`^could not deliver to 127.0.0.1:${closed.port}: .*ECONNREFUSED`));
  });
});

describe("webhook handler SSRF guard", () => {
  it("refuses a private destination unless private networks are allowed", async () => {
    const strict = handler({ allowPrivateNetworks: false });
    const failure = await rejection(strict({ url: receiver.origin, body: {} }, context()));
    expect(failure).toBeInstanceOf(UnrecoverableError);
    expect(failure.message).toBe(
      "refused webhook URL: destination 127.0.0.1 is not allowed: loopback address (127.0.0.0/8) " +
        "(set WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow private destinations in development)",
    );
    expect(receiver.deliveries).toHaveLength(0);

    await expect(handler({ allowPrivateNetworks: true })({ url: receiver.origin, body: {} }, context())).resolves.toMatchObject({
      status: 200,
    });
  });

  it("refuses a host name if any address it resolves to is forbidden", async () => {
    const lookup = async (hostname: string) =>
      hostname === "hooks.example.test"
        ? [
            { address: "93.184.215.14", family: 4 },
            { address: "10.0.0.7", family: 4 },
          ]
        : [{ address: "fd12:3456::1", family: 6 }];
    const strict = handler({ allowPrivateNetworks: false, lookup });

    const failure = await rejection(strict({ url: "https://hooks.example.test/in", body: {} }, context()));
    expect(failure).toBeInstanceOf(UnrecoverableError);
    expect(failure.message).toBe(
      "refused to deliver to hooks.example.test, which resolves to 10.0.0.7: private address (10.0.0.0/8) " +
        "(set WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow private destinations in development)",
    );
    const v6 = await rejection(strict({ url: "https://v6.example.test/in", body: {} }, context()));
    expect(v6.message).toMatch(/resolves to fd12:3456::1: unique-local address \(fc00::\/7\)/);
  });

  it("refuses cloud metadata even when private networks are allowed", async () => {
    const failure = await rejection(handler()({ url: "http://169.254.169.254/latest/meta-data/", body: {} }, context()));
    expect(failure).toBeInstanceOf(UnrecoverableError);
    expect(failure.message).toBe(
      "refused webhook URL: destination 169.254.169.254 is not allowed: cloud metadata address (169.254.169.254/32)",
    );
    const rebound = handler({ lookup: async () => [{ address: "169.254.169.254", family: 4 }] });
    const viaDns = await rejection(rebound({ url: "http://evil.example.test/", body: {} }, context()));
    expect(viaDns.message).toBe(
      "refused to deliver to evil.example.test, which resolves to 169.254.169.254: cloud metadata address (169.254.169.254/32)",
    );
  });

  it("connects to the vetted address, resolving once, with the URL's host name in Host", async () => {
    const asked: string[] = [];
    const deliver = handler({
      lookup: async (hostname) => {
        asked.push(hostname);
        return [{ address: "127.0.0.1", family: 4 }];
      },
    });
    // receiver.test exists in no DNS: the connection can only have gone to the address the guard vetted.
    await expect(deliver({ url: `http://receiver.test:${receiver.port}/in`, body: {} }, context())).resolves.toMatchObject({
      status: 200,
    });
    expect(asked).toEqual(["receiver.test"]);
    expect(receiver.deliveries[0]!.headers.host).toBe(`receiver.test:${receiver.port}`);
  });

  it("falls back across vetted addresses of both families (happy eyeballs)", async () => {
    // The receiver listens on 127.0.0.1 only, so ::1 (listed first) is refused and the IPv4 address must be tried.
    const deliver = handler({
      lookup: async () => [
        { address: "::1", family: 6 },
        { address: "127.0.0.1", family: 4 },
      ],
    });
    await expect(deliver({ url: `http://dual.example.test:${receiver.port}/`, body: {} }, context())).resolves.toMatchObject({
      status: 200,
    });
  });

  it("uses the system resolver by default", async () => {
    await expect(handler()({ url: `http://localhost:${receiver.port}/`, body: {} }, context())).resolves.toMatchObject({
      status: 200,
    });
  });

  it("sends the URL's host name as TLS SNI, not the vetted address", async () => {
    const servernames: string[] = [];
    const tls = createTlsServer({
      SNICallback: (servername, callback) => {
        servernames.push(servername);
        callback(new Error("test server has no certificate"));
      },
    });
    await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
    const { port } = tls.address() as AddressInfo;
    try {
      const deliver = handler({ lookup: async () => [{ address: "127.0.0.1", family: 4 }] });
      const failure = await rejection(deliver({ url: `https://secure.example.test:${port}/`, body: {} }, context()));
      expectRetryable(failure);
      expect(failure.message).toMatch(new RegExp(`^could not deliver to secure.example.test:${port}: `));
      expect(servernames).toEqual(["secure.example.test"]);
    } finally {
      await new Promise((resolve) => tls.close(resolve));
    }
  });
});
