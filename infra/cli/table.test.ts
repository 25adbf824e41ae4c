import { describe, expect, it } from "vitest";
import { renderTable } from "./table";

describe("renderTable", () => {
  it("pads columns to their widest cell and right-aligns numeric ones", () => {
    expect(renderTable(["QUEUE", "WAITING"], [["webhook", 3], ["noop", 120]])).toBe(
      ["QUEUE    WAITING", "webhook        3", "noop         120"].join("\n"),
    );
  });

  it("shows empty cells as '-', flattens whitespace and cuts long cells with an ellipsis", () => {
    const table = renderTable(["ID", "ERROR"], [["a", null], ["b", "line one\nline two"], ["c", "x".repeat(80)]], { maxCell: 10 });
    const rows = table.split("\n");
    expect(rows[1]).toBe("a   -");
    expect(rows[2]).toBe("b   line one…");
    expect(rows[3]).toBe(`c   ${"x".repeat(9)}…`);
  });

  it("prints the header alone for no rows", () => {
    expect(renderTable(["ID", "STATE"], [])).toBe("ID  STATE");
  });
});
