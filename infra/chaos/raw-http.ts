/**
 * A minimal HTTP/1.1 client over a raw socket, for requests `fetch` refuses to send: header values with bytes
 * that are not valid UTF-8, obsolete line folding, duplicate framing headers. One request per connection.
 */
import { connect } from "node:net";

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `head` (request line and headers, without the blank line) and `body`; resolves with the answer. */
export function rawRequest(url: string, head: Buffer, body: Buffer, timeoutMs = 10_000): Promise<RawResponse | undefined> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    // Resolves as soon as the answer is complete: servers may keep the connection open despite `close`.
    socket.on("data", (chunk) => {
      chunks.push(chunk);
      const data = Buffer.concat(chunks);
      if (complete(data)) {
        resolve(parse(data));
        socket.destroy();
      }
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(parse(Buffer.concat(chunks))));
    socket.write(Buffer.concat([head, Buffer.from("\r\nconnection: close\r\n\r\n"), body]));
  });
}

function complete(data: Buffer): boolean {
  const end = data.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const head = data.subarray(0, end).toString("latin1").toLowerCase();
  const length = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (length) return data.length >= end + 4 + Number(length[1]);
  if (head.includes("transfer-encoding: chunked")) return data.subarray(end).includes("\r\n0\r\n\r\n");
  return false;
}

/** undefined when the server closed without answering (its HTTP parser may refuse a request outright). */
function parse(raw: Buffer): RawResponse | undefined {
  const text = raw.toString("latin1");
  const end = text.indexOf("\r\n\r\n");
  if (!text.startsWith("HTTP/") || end < 0) return undefined;
  const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(Buffer.byteLength(text.slice(0, end + 4), "latin1"));
  if (headers["transfer-encoding"]?.includes("chunked")) body = dechunk(body);
  return { status: Number(statusLine!.split(" ")[1]), headers, body: body.toString("utf8") };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < data.length) {
    const lineEnd = data.indexOf("\r\n", offset);
    if (lineEnd < 0) break;
    const size = parseInt(data.subarray(offset, lineEnd).toString("latin1"), 16);
    if (!size) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
