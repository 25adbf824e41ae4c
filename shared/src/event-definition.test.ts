import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { ConfigError } from "./env/index";
import { assertEventRegistry, defineEvent, defineEventRegistry } from "./event-definition";
import { clientEventLocalId, targetLocalId } from "./event-ids";
import { LOCAL_ID } from "./ids";
import { EVENTS } from "./events/index";
import { JOBS } from "./jobs/index";

const paid = defineEvent({
  name: "paid",
  schema: z.object({ orderId: z.string(), url: z.url() }),
  fanOut: { noop: (order) => ({ orderId: order.orderId }), webhook: (order) => ({ url: order.url, body: { id: order.orderId } }) },
});

describe("defineEvent", () => {
  it("keeps the name and the fan-out in order", () => {
    expectTypeOf(paid.name).toEqualTypeOf<"paid">();
    expect(Object.keys(paid.fanOut)).toEqual(["noop", "webhook"]);
    expect(paid.fanOut.webhook!({ orderId: "o1", url: "https://x.example" })).toEqual({ url: "https://x.example", body: { id: "o1" } });
  });

  it("makes a fan-out that builds an invalid payload, or names an unknown or internal job, a type error", () => {
    defineEvent({
      name: "bad-payload",
      schema: z.object({ orderId: z.string() }),
      // @ts-expect-error webhook's url must be a string, and body is required
      fanOut: { webhook: (order) => ({ url: 42, id: order.orderId }) },
    });
    defineEvent({
      name: "bad-target",
      schema: z.object({}),
      // @ts-expect-error "send-fax" is not a job in the registry
      fanOut: { "send-fax": () => ({}) },
    });
    defineEvent({
      name: "self",
      schema: z.object({}),
      // @ts-expect-error the internal event job is not a target
      fanOut: { event: () => ({ event: "x", data: {} }) },
    });
    expect(true).toBe(true);
  });

  it("rejects a bad name and an empty fan-out at definition time", () => {
    expect(() => defineEvent({ name: "Order Paid", schema: z.object({}), fanOut: { noop: () => ({}) } })).toThrow(/Invalid event name/);
    expect(() => defineEvent({ name: "empty", schema: z.object({}), fanOut: {} })).toThrow(/at least one target/);
  });
});

describe("the event registry", () => {
  it("requires each key to be its event's name, at compile time and at start", () => {
    // @ts-expect-error the key must be "paid"
    expect(() => defineEventRegistry({ orderPaid: paid })).toThrow(ConfigError);
    expect(() => assertEventRegistry({ orderPaid: paid }, JOBS)).toThrow(/key "orderPaid" holds the event named "paid"/);
  });

  it("rejects a target the job registry lacks (an event no worker could expand)", () => {
    const { noop: _noop, ...withoutNoop } = JOBS;
    expect(() => assertEventRegistry({ paid }, withoutNoop)).toThrow(/fans out to "noop", which is not a job/);
    expect(() => assertEventRegistry(EVENTS, JOBS)).not.toThrow();
  });

  it("ships order-paid fanning out to webhook and noop with payloads their schemas accept", () => {
    const order = { orderId: "ord_1", amountCents: 4200, currency: "EUR", partnerUrl: "https://partner.example/hooks" };
    const event = EVENTS["order-paid"];
    expect(event.schema.parse(order)).toEqual(order);
    for (const [target, build] of Object.entries(event.fanOut)) {
      expect(JOBS[target as keyof typeof JOBS].schema.safeParse(build(order)).success).toBe(true);
    }
  });
});

describe("derived ids", () => {
  it("are local ids, stable, and differ per target and per event", async () => {
    const a = await targetLocalId("mfz3k2x9q1a8b7c6", "webhook");
    expect(a).toMatch(LOCAL_ID);
    expect(await targetLocalId("mfz3k2x9q1a8b7c6", "webhook")).toBe(a);
    expect(await targetLocalId("mfz3k2x9q1a8b7c6", "noop")).not.toBe(a);
    expect(await targetLocalId("mfz3k2x9q1a8b7c7", "webhook")).not.toBe(a);
    expect(await clientEventLocalId("order-paid", "order-1")).toMatch(LOCAL_ID);
    expect(await clientEventLocalId("order-paid", "order-1")).not.toBe(await clientEventLocalId("order-shipped", "order-1"));
  });
});
