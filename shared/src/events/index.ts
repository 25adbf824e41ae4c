/**
 * The event registry: every event `POST /v1/events/{name}` accepts, beside `JOBS`. Each key must be its
 * event's name (`defineEventRegistry` checks it at compile time, `assertEventRegistry` at start, and also that
 * every fan-out target is a job of the registry).
 */
import { defineEventRegistry } from "../event-definition";
import { orderPaidEvent } from "./order-paid";

export const EVENTS = defineEventRegistry({
  "order-paid": orderPaidEvent,
});

export type EventName = keyof typeof EVENTS;
