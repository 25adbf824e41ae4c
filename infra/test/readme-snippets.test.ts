/**
 * The README's TypeScript snippets run as pasted: each names the file it belongs in (`// shared/src/jobs/x.ts` as
 * its first line; a later such line starts the next file of the same snippet) and shows its imports, and all of
 * them typecheck together at those paths against the real code — with the jobs they define added to `JOBS`, as
 * the README tells the reader to. A snippet that drifts from the API (a renamed option, a missing import) fails
 * here instead of failing a new user.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");
// "// path.ts" alone, or followed by a remark after a comma or space; "// path.ts: add …" is an instruction, not a file.
const FILE_LINE = /^\/\/ ([\w./-]+\.ts)(?:$|[ ,])/;

interface SnippetFile {
  path: string;
  text: string;
  /** README line of the file's first line. */
  line: number;
}

interface Snippet {
  line: number;
  firstLine: string;
  files: SnippetFile[];
}

function snippetsOf(markdown: string): Snippet[] {
  const snippets: Snippet[] = [];
  for (const match of markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    const line = markdown.slice(0, match.index).split("\n").length + 1;
    const lines = match[1]!.replace(/\n$/, "").split("\n");
    const files: SnippetFile[] = [];
    lines.forEach((text, i) => {
      const path = FILE_LINE.exec(text)?.[1];
      if (path) files.push({ path, text: "", line: line + i });
      else if (files.length > 0) files[files.length - 1]!.text += `${text}\n`;
    });
    snippets.push({ line, firstLine: lines[0] ?? "", files });
  }
  return snippets;
}

/** The real registry with every job a snippet defines under shared/src/jobs/ added, as the README says to. */
function registryWith(files: readonly SnippetFile[]): string {
  let registry = readFileSync(join(ROOT, "shared/src/jobs/index.ts"), "utf8");
  const imports: string[] = [];
  for (const file of files) {
    if (!/^shared\/src\/jobs\/[\w-]+\.ts$/.test(file.path) || file.path.endsWith("/index.ts")) continue;
    for (const [, ident, name] of file.text.matchAll(/export const (\w+) = defineJob\(\{\s*name: "([^"]+)"/g)) {
      imports.push(`import { ${ident} } from "./${file.path.split("/").pop()!.replace(/\.ts$/, "")}";`);
      registry = registry.replace("\nexport const JOBS = defineRegistry({", `\nexport const JOBS = defineRegistry({\n  "${name}": ${ident},`);
    }
  }
  return `${imports.join("\n")}\n${registry}`;
}

const snippets = snippetsOf(README);

describe("README snippets", () => {
  it("finds the snippets, and each says in its first line which file it is", () => {
    expect(snippets.length).toBeGreaterThanOrEqual(8);
    const unnamed = snippets.filter((s) => !FILE_LINE.test(s.firstLine)).map((s) => `README.md:${s.line}: ${s.firstLine}`);
    expect(unnamed).toEqual([]);
  });

  it("typecheck at the paths they name, with the imports they show", () => {
    const files = snippets.flatMap((s) => s.files);
    const overlay = new Map<string, string>(files.map((f) => [resolve(ROOT, f.path), f.text]));
    // A snippet may stand for a whole file that exists (the shipped order-paid event); new files must not exist.
    for (const file of files) if (!file.path.startsWith("shared/src/events/")) expect(existsSync(join(ROOT, file.path)), file.path).toBe(false);
    overlay.set(resolve(ROOT, "shared/src/jobs/index.ts"), registryWith(files));

    const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, "tsconfig.json"), {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    })!;
    const host = ts.createCompilerHost(config.options);
    const getSourceFile = host.getSourceFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    host.getSourceFile = (name, language, ...rest) => {
      const text = overlay.get(resolve(name));
      return text === undefined ? getSourceFile(name, language, ...rest) : ts.createSourceFile(name, text, language, true);
    };
    host.fileExists = (name) => overlay.has(resolve(name)) || fileExists(name);
    const roots = files.map((f) => resolve(ROOT, f.path));
    const program = ts.createProgram(roots, config.options, host);

    const where = new Map(files.map((f) => [resolve(ROOT, f.path), f.line]));
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && where.has(resolve(d.file.fileName)))
      .map((d) => {
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
        const path = relative(ROOT, d.file!.fileName);
        return `README.md:${where.get(resolve(d.file!.fileName))! + 1 + line} (${path}): ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
      });
    expect(problems).toEqual([]);
  });
});
