/**
 * One stream of output for the whole stack: every line prefixed with the piece it came from
 * (`[redis] [rest] [edge] [worker-1] [dev]`), the prefix colored when the terminal shows colors. Workers log
 * pino JSON; here those lines are shortened to `level message {fields}` so they read like the others.
 */

const COLORS = [36, 35, 33, 32, 34, 96, 95, 93, 92, 94]; // cyan, magenta, yellow, green, blue, then bright ones
const PINO_LEVELS: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };
const PINO_NOISE = new Set(["level", "time", "pid", "hostname", "service", "msg"]);

export type LineWriter = (name: string, line: string) => void;

/**
 * @example
 * const write = createPrefixedWriter({ color: false, write: console.log });
 * write("redis", "Ready to accept connections tcp"); // "[redis]    Ready to accept connections tcp"
 */
export function createPrefixedWriter(options: { color: boolean; write: (line: string) => void }): LineWriter {
  const assigned = new Map<string, number>();
  return (name, line) => {
    let color = assigned.get(name);
    if (color === undefined) {
      color = name === "dev" ? 1 : COLORS[assigned.size % COLORS.length]!;
      assigned.set(name, color);
    }
    const label = `[${name}]`.padEnd(11);
    options.write(options.color ? `\u001b[${color}m${label}\u001b[0m ${line}` : `${label} ${line}`);
  };
}

/** Colors only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function shouldColor(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true;
}

/**
 * @example
 * formatPinoLine('{"level":30,"time":1,"pid":7,"msg":"worker started","concurrency":10}')
 * // 'info  worker started {"concurrency":10}'
 * formatPinoLine("not json") // "not json"
 */
export function formatPinoLine(line: string): string {
  if (!line.startsWith("{")) return line;
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof record !== "object" || record === null || !("msg" in record) || !("level" in record)) return line;
  const fields = Object.fromEntries(Object.entries(record).filter(([key]) => !PINO_NOISE.has(key)));
  const level = PINO_LEVELS[Number(record.level)] ?? String(record.level);
  const rest = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
  return `${level.padEnd(5)} ${String(record.msg)}${rest}`;
}
