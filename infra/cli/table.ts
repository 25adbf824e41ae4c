/**
 * Plain-text tables for people: a header row, columns padded to their widest cell, numbers right-aligned. No
 * borders and no colour, so the output pastes cleanly into an issue and still greps and `awk`s (scripts should use
 * `--json` anyway). Long cells are cut with "…" at `maxCell` characters so one error message cannot push every
 * other column off the screen; `inspect` prints the full text.
 */

export type Cell = string | number | null | undefined;

export interface TableOptions {
  /** Longest cell, in characters, before it is cut. Default 60. */
  maxCell?: number;
}

/**
 * @example
 * renderTable(["QUEUE", "WAITING"], [["webhook", 3]])
 * // "QUEUE    WAITING\nwebhook        3"
 */
export function renderTable(header: readonly string[], rows: readonly (readonly Cell[])[], options: TableOptions = {}): string {
  const maxCell = options.maxCell ?? 60;
  const text = (cell: Cell) => {
    const value = cell === null || cell === undefined ? "-" : String(cell).replace(/\s+/g, " ");
    return value.length > maxCell ? `${value.slice(0, maxCell - 1).trimEnd()}…` : value;
  };
  const body = rows.map((row) => header.map((_, i) => text(row[i])));
  // A column is numeric (right-aligned) when every cell in it is a number or empty.
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((row) => typeof row[i] === "number" || row[i] === null || row[i] === undefined));
  const widths = header.map((title, i) => Math.max(title.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...body.map(line)].join("\n");
}
