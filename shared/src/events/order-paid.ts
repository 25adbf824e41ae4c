import { z } from "zod";
import { defineEvent } from "../event-definition";

/**
 * The example event: an order was paid. One publish notifies the partner's webhook and records the order for
 * the stats pipeline (`noop` stands in for a real stats job here); each target is its own job with its own
 * retries, so a partner that is down does not hold the stats back.
 */
export const orderPaidEvent = defineEvent({
  name: "order-paid",
  description: "An order was paid: notifies the partner webhook and records the order (noop stands in for stats).",
  schema: z.object({
    orderId: z.string().min(1).max(128),
    amountCents: z.number().int().nonnegative(),
    currency: z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 code such as EUR"),
    partnerUrl: z.url({ protocol: /^https?$/ }).max(2048),
  }),
  fanOut: {
    webhook: (order) => ({
      url: order.partnerUrl,
      body: { type: "order.paid", orderId: order.orderId, amountCents: order.amountCents, currency: order.currency },
    }),
    noop: (order) => ({ orderId: order.orderId, amountCents: order.amountCents }),
  },
});
