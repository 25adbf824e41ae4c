/**
 * JSON text with exact integers. Redis integers are 64-bit; a JS number keeps only 53 bits, so an integer reply
 * travels from ioredis as its decimal digits (`stringNumbers: true`) and is written into the JSON unchanged, the
 * way Upstash writes it. `JSON.stringify` cannot do that, hence this small writer.
 */

/**
 * An integer reply, kept as the digits Redis sent.
 *
 * @example
 * toJsonText(new JsonInteger("9007199254740993")); // "9007199254740993", where a number would print ...992
 */
export class JsonInteger {
  constructor(readonly digits: string) {}
}

export type JsonValue =
  | null
  | string
  | number
  | boolean
  | JsonInteger
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue | undefined };

/**
 * Serialises a value; object members whose value is `undefined` are left out, as `JSON.stringify` does.
 *
 * @example
 * toJsonText({ result: [new JsonInteger("9007199254740993"), "YQ==", null] });
 * // '{"result":[9007199254740993,"YQ==",null]}'
 */
export function toJsonText(value: JsonValue): string {
  if (value === null) return "null";
  if (value instanceof JsonInteger) return value.digits;
  if (typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(",")}]`;
  const members: string[] = [];
  for (const [key, member] of Object.entries(value)) {
    if (member !== undefined) members.push(`${JSON.stringify(key)}:${toJsonText(member)}`);
  }
  return `{${members.join(",")}}`;
}
