/**
 * fast-check generators for requests a careless or hostile client could send the edge: wrong routes, methods,
 * content types and auth; malformed, oversized, deeply nested, non-UTF-8 bodies; huge numbers; `__proto__` and
 * `constructor` keys; unknown options, bad durations and dates; header bytes `fetch` would not even send (those
 * go over a raw socket). Most are invalid; some are valid on purpose, so that "202 means written and readable
 * by a worker" is exercised too.
 */
import fc from "fast-check";

/** Replaced by the real producer key when the request is sent. */
export const KEY = "$KEY";

export interface BadRequest {
  /** What family of input this is, for the tally in the results. */
  kind: string;
  method: string;
  /** Path and query. */
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  /** Sent over a raw socket instead of fetch (header bytes fetch would refuse). */
  raw?: boolean;
}

const MAX_BODY_BYTES = 262_144;
const text = (value: string) => new TextEncoder().encode(value);
const latin1 = (value: string) => Uint8Array.from(Buffer.from(value, "latin1"));

const jobName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("noop", "webhook", "digest") },
  { weight: 1, arbitrary: fc.constantFrom("NOOP", "no-such-job", "__proto__", "constructor", "toString", "noop%00", "..%2Fadmin", "a".repeat(300), "%F0%9F%92%A5", "noop.", "hasOwnProperty") },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 20 }).map(encodeURIComponent) },
);

const badDuration = fc.constantFrom(
  "-1", "1y", "1e999", "NaN", "Infinity", "-Infinity", "0x10", "1.5s", "", " ", "9".repeat(400), "999999999d", "366d",
  "5m5s", "1_000", "1 s", "\u00a01s", "1ms", "0", "1", "30s", "1e3", "٣٠s", "PT30S", "null", "[]", "{}", "1d",
);
const badDate = fc.constantFrom(
  "2030-13-45T00:00:00Z", "2030-01-01", "yesterday", "0", "-271821-04-20T00:00:00Z", "+275760-09-13T00:00:01Z",
  "2030-01-01T00:00:00+25:00", "1970-01-01T00:00:00Z", "2030-02-30T00:00:00Z", "2030-01-01T24:00:00Z", "9999-12-31T23:59:59.999Z",
  "2030-01-01T00:00:00.123456789Z", "2030-01-01 00:00:00Z", "2030-01-01T00:00:00z", "",
);
const badCount = fc.constantFrom("0", "26", "-1", "3.5", "1e1", "03", "", "abc", "25", "1", "99999999999999999999", "0x3");

const queryPair = fc.oneof(
  fc.tuple(fc.constantFrom("delay", "backoff", "timeout"), badDuration),
  fc.tuple(fc.constant("runAt"), badDate),
  fc.tuple(fc.constantFrom("maxAttempts", "priority"), badCount),
  fc.tuple(fc.constantFrom("dealy", "priorty", "__proto__", "constructor", "__proto__[polluted]", "delay[]", "toString"), fc.constantFrom("1", "true", "5m")),
);
const query = fc.oneof(
  { weight: 3, arbitrary: fc.constant("") },
  {
    weight: 2,
    arbitrary: fc.array(queryPair, { minLength: 1, maxLength: 4 }).map((pairs) => `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")}`),
  },
);

const contentType = fc.oneof({ weight: 3, arbitrary: fc.constant("application/json") }, { weight: 2, arbitrary: fc.constantFrom(
  "application/json; charset=utf-8", "application/json; charset=latin1",
  "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/problem+json",
  "application/vnd.api+json", "APPLICATION/JSON", "", "json", "application/jsonp", "application/json, text/plain", undefined,
) });
const authorization = fc.oneof(
  { weight: 8, arbitrary: fc.constant(`Bearer ${KEY}`) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, "Bearer", `Bearer  ${KEY}`, `bearer ${KEY}`, "Basic dXNlcjpwYXNz", `Bearer ${KEY}x`, `Bearer ${KEY},${KEY}`, "Bearer =", `Token ${KEY}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).filter((s) => /^[\x20-\x7e]*$/.test(s)).map((s) => `Bearer ${s}`) },
);
const idempotencyKey = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom("", "a".repeat(255), "a".repeat(256), "x".repeat(5_000), " ", "key with spaces", "__proto__", "../../etc") },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 64 }).filter((s) => /^[\x21-\x7e]*$/.test(s)) },
);

// Bodies -------------------------------------------------------------------------------------------------------

const protoKeys = fc.constantFrom(
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"a":1,"__proto__":null}',
  '{"__proto__":[]}',
  '{"toString":"x","valueOf":1,"hasOwnProperty":false}',
  '{"prototype":{"__proto__":{"x":1}}}',
  '{"data":{"__proto__":{"x":1}},"options":{"__proto__":{"delay":1}}}',
);
const hugeNumber = fc.constantFrom("1e400", "-1e400", "1e-400", "9007199254740993", "123456789012345678901234567890", "1.7976931348623157e309", "-0", "0.1e99999999999", "1" + "0".repeat(400));
const deep = fc.tuple(fc.integer({ min: 50, max: 120_000 }), fc.constantFrom("[", '{"a":')).map(([depth, open]) => {
  const close = open === "[" ? "]" : "}";
  return `${open.repeat(depth)}1${close.repeat(depth)}`;
});
const brokenJson = fc.constantFrom("", " ", "{", "}", "{}x", "{,}", '{"a":1,}', "[1,2,]", "NaN", "{a:1}", "'{}'", "\ufeff{}", "{} {}", "/* c */ {}", "\u0000", "null", "true", "[]", "{}", '"{}"', '{"a":"\\ud800"}', '{"a":"\\u0000"}', '{"a":"\\x41"}');
const invalidUtf8 = fc.constantFrom(
  [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d], // {"a":"\xff\xfe"}
  [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d], // overlong "/"
  [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d], // encoded surrogate
  [0x7b, 0x22, 0xf8, 0x88, 0x80, 0x80, 0x80, 0x22, 0x3a, 0x31, 0x7d], // 5-byte sequence as a key
  [0xef, 0xbb, 0xbf, 0x7b, 0x7d], // BOM + {}
  [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe2, 0x82, 0x22, 0x7d], // truncated sequence
);
const sized = fc.constantFrom(MAX_BODY_BYTES - 20, MAX_BODY_BYTES - 1, MAX_BODY_BYTES, MAX_BODY_BYTES + 1, 1_048_576).map((size) => `{"s":"${"x".repeat(Math.max(0, size - 8))}"}`);
const webhookDeepBody = fc.tuple(fc.constantFrom("https://example.com/hook", "http://localhost/"), deep).map(([url, nested]) => `{"url":"${url}","body":${nested}}`);
const webhookData = fc.record({
  url: fc.constantFrom(
    "https://example.com/hook", "http://169.254.169.254/latest/meta-data", "http://localhost:8080/", "http://[::1]/",
    "http://10.0.0.1/", "file:///etc/passwd", "javascript:alert(1)", "ftp://example.com/", "https://example.com/" + "a".repeat(3_000),
    "https://user:pass@example.com/", "https://example.com:99999/", "http://0x7f000001/", "https://exa mple.com/", "",
  ),
  body: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(undefined)),
  headers: fc.option(fc.dictionary(fc.constantFrom("x-a", "Content-Type", "webhook-id", "bad header", "X-Long"), fc.constantFrom("v", "a\r\nb", "x".repeat(2_000), "\u0000")), { nil: undefined }),
}, { requiredKeys: [] }).map((value) => JSON.stringify(value));
const digestData = fc.record({ text: fc.oneof(fc.string(), fc.constant("x".repeat(70_000))), rounds: fc.oneof(fc.integer(), fc.double(), fc.constant(5_000_001)) }, { requiredKeys: [] }).map((value) => JSON.stringify(value));

const payloadText = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)) },
  { weight: 4, arbitrary: fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }).map((value) => JSON.stringify(value)) },
  { weight: 2, arbitrary: protoKeys },
  { weight: 2, arbitrary: hugeNumber.map((n) => `{"n":${n}}`) },
  { weight: 1, arbitrary: deep.map((nested) => `{"deep":${nested}}`) },
  { weight: 2, arbitrary: webhookData },
  { weight: 1, arbitrary: webhookDeepBody },
  { weight: 1, arbitrary: digestData },
);
const itemOptions = fc.dictionary(
  fc.constantFrom("delay", "runAt", "maxAttempts", "backoff", "timeout", "priority", "__proto__", "constructor"),
  fc.oneof(badDuration, badDate, badCount, fc.integer(), fc.double(), fc.constant(null), fc.constant(1e308), fc.constant(-1)),
  { maxKeys: 3 },
);
const batchText = fc.oneof(
  fc.array(fc.tuple(payloadText, fc.option(itemOptions, { nil: undefined }), fc.boolean()), { minLength: 0, maxLength: 8 }).map((items) =>
    `[${items.map(([data, options, extra]) => `{"data":${data}${options ? `,"options":${JSON.stringify(options)}` : ""}${extra ? ',"extra":1' : ""}}`).join(",")}]`,
  ),
  fc.constantFrom("[]", "{}", "[1,2]", "[null]", '[{"data":{}}]', `[${'{"data":{}},'.repeat(1_000)}{"data":{}}]`, '{"data":{}}', '[{"options":{}}]'),
  protoKeys.map((proto) => `[${proto}]`),
);

const body = fc.oneof(
  { weight: 5, arbitrary: payloadText.map((t) => ({ kind: "json payload", bytes: text(t) })) },
  { weight: 2, arbitrary: brokenJson.map((t) => ({ kind: "malformed JSON", bytes: text(t) })) },
  { weight: 2, arbitrary: invalidUtf8.map((bytes) => ({ kind: "invalid UTF-8", bytes: Uint8Array.from(bytes) })) },
  { weight: 1, arbitrary: deep.map((t) => ({ kind: "deep nesting", bytes: text(t) })) },
  { weight: 1, arbitrary: sized.map((t) => ({ kind: "size limit", bytes: text(t) })) },
  { weight: 1, arbitrary: hugeNumber.map((n) => ({ kind: "huge number", bytes: text(n) })) },
);

// Requests -----------------------------------------------------------------------------------------------------

const headersOf = (ct: string | undefined, auth: string | undefined, idem: string | undefined) => {
  const headers: Record<string, string> = {};
  if (ct !== undefined) headers["content-type"] = ct;
  if (auth !== undefined) headers.authorization = auth;
  if (idem !== undefined) headers["idempotency-key"] = idem;
  return headers;
};

const enqueue: fc.Arbitrary<BadRequest> = fc
  .record({ name: jobName, q: query, ct: contentType, auth: authorization, idem: idempotencyKey, body, method: fc.constantFrom("POST", "POST", "POST", "POST", "POST", "POST", "PUT", "PATCH") })
  .map(({ name, q, ct, auth, idem, body: b, method }) => ({ kind: b.kind, method, path: `/v1/jobs/${name}${q}`, headers: headersOf(ct, auth, idem), body: b.bytes }));

const batch: fc.Arbitrary<BadRequest> = fc
  .record({ name: jobName, q: query, ct: contentType, auth: authorization, idem: idempotencyKey, body: fc.oneof(batchText.map((t) => ({ kind: "batch", bytes: text(t) })), body) })
  .map(({ name, q, ct, auth, idem, body: b }) => ({ kind: b.kind === "batch" ? "batch" : `batch ${b.kind}`, method: "POST", path: `/v1/jobs/${name}/batch${q}`, headers: headersOf(ct, auth, idem), body: b.bytes }));

const statusRead: fc.Arbitrary<BadRequest> = fc
  .oneof(
    fc.constantFrom("noop.0000000000000000", "noop.", ".", "noop", "noop.ZZZZZZZZZZZZZZZZ", "__proto__.0000000000000000", "noop.0000000000000000.x", "a".repeat(5_000), "%00", "noop%2E0000000000000000"),
    fc.string({ maxLength: 40 }).map(encodeURIComponent),
  )
  .chain((id) => fc.record({ auth: authorization, method: fc.constantFrom("GET", "DELETE", "HEAD", "OPTIONS") }).map(({ auth, method }) => ({ kind: "status read", method, path: `/v1/jobs/${id}`, headers: headersOf(undefined, auth, undefined) })));

const otherRoute: fc.Arbitrary<BadRequest> = fc
  .record({ path: fc.constantFrom("/", "/v1", "/v1/", "/v1/jobs", "/v1/queues", "/v1/admin/queues", "/healthz?x=1", "//v1/jobs/noop", "/v1/jobs/noop/batch/extra", "/v1/../v1/jobs/noop", "/" + "a".repeat(8_000)), method: fc.constantFrom("GET", "POST", "DELETE"), auth: authorization })
  .map(({ path, method, auth }) => ({ kind: "other route", method, path, headers: headersOf(method === "POST" ? "application/json" : undefined, auth, undefined), body: method === "POST" ? text("{}") : undefined }));

/** Header bytes that are not UTF-8, folded lines, duplicate framing headers: sent over a raw socket. */
const rawHeaders: fc.Arbitrary<BadRequest> = fc
  .record({
    name: fc.constantFrom("noop", "webhook"),
    extra: fc.constantFrom(
      "idempotency-key: \xff\xfe\xfd",
      "idempotency-key: caf\xe9",
      "content-type: application/json\r\ncontent-type: text/plain",
      "x-folded: a\r\n b",
      "authorization: Bearer \xff",
      "content-type: application/json; charset=\xff",
      "idempotency-key: " + "\x80".repeat(300),
    ),
    payload: fc.constantFrom("{}", '{"a":1}', "[]"),
  })
  .map(({ name, extra, payload }) => ({ kind: "raw header bytes", method: "POST", path: `/v1/jobs/${name}`, headers: { extra }, body: latin1(payload), raw: true }));

export const badRequest: fc.Arbitrary<BadRequest> = fc.oneof(
  { weight: 8, arbitrary: enqueue },
  { weight: 4, arbitrary: batch },
  { weight: 1, arbitrary: statusRead },
  { weight: 1, arbitrary: otherRoute },
  { weight: 1, arbitrary: rawHeaders },
);
