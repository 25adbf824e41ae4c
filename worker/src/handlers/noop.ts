import type { Handler } from "../handler";

/** `noop`: completes at once with `{ ok: true }`. */
export const noop: Handler<"noop"> = () => ({ ok: true });
