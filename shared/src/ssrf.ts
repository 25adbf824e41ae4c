/**
 * SSRF policy for webhook destinations: which addresses and URLs a job may make the worker call. Pure (no `node:`
 * imports) because both sides apply it — the edge rejects an obviously forbidden URL with 400 before enqueueing,
 * and the worker checks every address the host name resolves to right before it connects (DNS can change between
 * the two, so the edge check alone proves nothing).
 *
 * Two rules shape everything here:
 * - Fail closed. Text that does not parse as an IP address is "forbidden", never "fine", whatever the policy.
 * - `allowPrivateNetworks` (local development) lifts every rule except cloud metadata: nothing a developer runs
 *   needs 169.254.169.254, and it is the address an attacker wants most (instance credentials).
 */

export interface SsrfPolicy {
  /** Allow loopback, private, link-local, unique-local and similar destinations. Metadata stays forbidden. */
  allowPrivateNetworks: boolean;
}

interface Rule {
  /** CIDR as written in the reason, e.g. "10.0.0.0/8". */
  cidr: string;
  reason: string;
  metadata?: true;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Ordered most specific first: the first rule that matches names the reason. */
const IPV4_RULES: readonly Rule[] = [
  { cidr: "169.254.169.254/32", reason: "cloud metadata address", metadata: true },
  { cidr: "100.100.100.200/32", reason: "cloud metadata address", metadata: true }, // Alibaba Cloud
  { cidr: "0.0.0.0/8", reason: '"this network" address' }, // 0.0.0.0 reaches the local host on Linux
  { cidr: "10.0.0.0/8", reason: "private address" },
  { cidr: "100.64.0.0/10", reason: "carrier-grade NAT address" },
  { cidr: "127.0.0.0/8", reason: "loopback address" },
  { cidr: "169.254.0.0/16", reason: "link-local address" },
  { cidr: "172.16.0.0/12", reason: "private address" },
  { cidr: "192.0.0.0/24", reason: "IETF protocol assignment address" },
  { cidr: "192.168.0.0/16", reason: "private address" },
  { cidr: "198.18.0.0/15", reason: "benchmarking address" },
  { cidr: "224.0.0.0/4", reason: "multicast address" },
  { cidr: "255.255.255.255/32", reason: "broadcast address" },
  { cidr: "240.0.0.0/4", reason: "reserved address" },
];

/** IPv6 ranges that carry an IPv4 address in their low bits: judged by the IPv4 address they lead to. */
const IPV6_EMBEDDING_V4: readonly { cidr: string; label: string; v4At: number }[] = [
  { cidr: "::ffff:0:0/96", label: "IPv4-mapped", v4At: 6 },
  { cidr: "64:ff9b::/96", label: "NAT64", v4At: 6 },
  { cidr: "2002::/16", label: "6to4", v4At: 1 },
];

const IPV6_RULES: readonly Rule[] = [
  { cidr: "fd00:ec2::254/128", reason: "cloud metadata address", metadata: true }, // AWS IMDS over IPv6
  { cidr: "::/128", reason: "unspecified address" },
  { cidr: "::1/128", reason: "loopback address" },
  { cidr: "::/96", reason: "IPv4-compatible address (deprecated)" },
  { cidr: "64:ff9b:1::/48", reason: "local-use NAT64 address" },
  { cidr: "100::/64", reason: "discard-only address" },
  { cidr: "fe80::/10", reason: "link-local address" },
  { cidr: "fec0::/10", reason: "site-local address (deprecated)" },
  { cidr: "fc00::/7", reason: "unique-local address" },
  { cidr: "ff00::/8", reason: "multicast address" },
];

/**
 * Host names that are metadata endpoints wherever they resolve (GCP's, and AWS's `instance-data`). Always refused.
 */
const METADATA_HOSTS = new Set([
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "instance-data",
  "instance-data.ec2.internal",
]);

/** Special-use names (RFC 6761, RFC 8375, ICANN's `.internal`) that only ever mean "a machine near you". */
const LOCAL_SUFFIXES = ["localhost", "local", "internal", "home.arpa", "localdomain"];

/**
 * Why the worker must not connect to `ip`, or `undefined` if it may. Accepts IPv4 dotted quads and IPv6 text
 * (brackets and a `%zone` suffix are tolerated); anything else is refused as "not an IP address".
 * @example
 * isForbiddenAddress("10.1.2.3") // "private address (10.0.0.0/8)"
 * isForbiddenAddress("::ffff:127.0.0.1") // "IPv4-mapped loopback address (127.0.0.0/8)"
 * isForbiddenAddress("93.184.215.14") // undefined
 * isForbiddenAddress("127.0.0.1", { allowPrivateNetworks: true }) // undefined
 * isForbiddenAddress("169.254.169.254", { allowPrivateNetworks: true }) // "cloud metadata address (169.254.169.254/32)"
 */
export function isForbiddenAddress(ip: string, policy: Partial<SsrfPolicy> = {}): string | undefined {
  const verdict = classifyAddress(ip);
  if (!verdict) return undefined;
  if (policy.allowPrivateNetworks && !verdict.always) return undefined;
  return verdict.reason;
}

/**
 * Why a webhook URL must be refused before enqueueing, or `undefined` if it passes. Checks what can be known
 * without DNS: the scheme, credentials, literal IP hosts (after the WHATWG parser has turned `2130706433` or
 * `0x7f.1` into `127.0.0.1`) and special-use host names. The worker still checks resolved addresses.
 * @example
 * checkWebhookUrl("https://hooks.example.com/in", { allowPrivateNetworks: false }) // undefined
 * checkWebhookUrl("http://0x7f.1/", { allowPrivateNetworks: false }) // "destination 127.0.0.1 is not allowed: loopback address (127.0.0.0/8)"
 * checkWebhookUrl("ftp://example.com/", { allowPrivateNetworks: false }) // 'only http and https URLs are allowed, got "ftp:"'
 */
export function checkWebhookUrl(url: string, policy: SsrfPolicy): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "not a valid URL";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return `only http and https URLs are allowed, got "${parsed.protocol}"`;
  }
  // Credentials would sit in the job record for anyone who can read its status; headers are the place for them.
  if (parsed.username || parsed.password) return "credentials in the URL are not allowed; send an Authorization header instead";
  return checkHost(parsed.hostname, policy);
}

function checkHost(hostname: string, policy: SsrfPolicy): string | undefined {
  // The WHATWG parser lower-cases, decodes %-escapes and IDNA-maps (`ⓛocalhost` → `localhost`) already.
  const host = hostname.endsWith(".") ? hostname.slice(0, -1) : hostname;
  if (host.startsWith("[") || IPV4.test(host)) {
    const reason = isForbiddenAddress(host, policy);
    return reason && `destination ${host} is not allowed: ${reason}`;
  }
  // The parser normalises every numeric IPv4 spelling to a dotted quad or fails; anything numeric left over is a
  // form we do not understand, so it is refused rather than guessed at.
  if (/^(0x[0-9a-f]*|\d+)$/i.test(host.slice(host.lastIndexOf(".") + 1))) {
    return `destination ${host} is not allowed: a numeric host that is not a plain IPv4 address`;
  }
  if (METADATA_HOSTS.has(host)) return `destination ${host} is not allowed: cloud metadata host name`;
  if (policy.allowPrivateNetworks) return undefined;
  const suffix = LOCAL_SUFFIXES.find((name) => host === name || host.endsWith(`.${name}`));
  if (suffix) return `destination ${host} is not allowed: local-only host name (.${suffix})`;
  // `http://redis:6379/` resolves through the resolver's search domains to a neighbour on the private network.
  if (!host.includes(".")) return `destination ${host} is not allowed: single-label host names resolve on the local network`;
  return undefined;
}

interface Verdict {
  reason: string;
  /** Refused even when private networks are allowed: metadata, and text we could not parse. */
  always: boolean;
}

function classifyAddress(text: string): Verdict | undefined {
  let ip = text.trim();
  if (ip.startsWith("[") && ip.endsWith("]")) ip = ip.slice(1, -1);
  const v4 = parseIpv4(ip);
  if (v4 !== undefined) return classifyIpv4(v4);
  const v6 = parseIpv6(ip.replace(/%.*$/, ""));
  if (v6 !== undefined) return classifyIpv6(v6);
  return { reason: "not an IP address", always: true };
}

function classifyIpv4(address: number): Verdict | undefined {
  const rule = IPV4_RULES.find((candidate) => inIpv4Range(address, candidate.cidr));
  return rule && { reason: `${rule.reason} (${rule.cidr})`, always: rule.metadata === true };
}

function classifyIpv6(groups: readonly number[]): Verdict | undefined {
  for (const embedding of IPV6_EMBEDDING_V4) {
    if (!inIpv6Range(groups, embedding.cidr)) continue;
    const v4 = ((groups[embedding.v4At]! << 16) | groups[embedding.v4At + 1]!) >>> 0;
    const inner = classifyIpv4(v4);
    return inner && { reason: `${embedding.label} ${inner.reason}`, always: inner.always };
  }
  const rule = IPV6_RULES.find((candidate) => inIpv6Range(groups, candidate.cidr));
  return rule && { reason: `${rule.reason} (${rule.cidr})`, always: rule.metadata === true };
}

function inIpv4Range(address: number, cidr: string): boolean {
  const [base, bits] = parseCidr(cidr, parseIpv4);
  return bits === 0 || address >>> (32 - bits) === base >>> (32 - bits);
}

function inIpv6Range(groups: readonly number[], cidr: string): boolean {
  const [base, bits] = parseCidr(cidr, parseIpv6);
  for (let i = 0, left = bits; left > 0; i++, left -= 16) {
    const mask = left >= 16 ? 0xffff : (0xffff << (16 - left)) & 0xffff;
    if ((groups[i]! & mask) !== (base[i]! & mask)) return false;
  }
  return true;
}

/** Rules are few and checks rare (once per URL or resolved address), so CIDRs are parsed on use, not cached. */
function parseCidr<T>(cidr: string, parse: (text: string) => T | undefined): [T, number] {
  const [address, bits] = cidr.split("/");
  return [parse(address!)!, Number(bits)];
}

/** Dotted quad to an unsigned 32-bit number; `undefined` for anything else. */
function parseIpv4(text: string): number | undefined {
  const match = IPV4.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1).map(Number);
  if (octets.some((octet) => octet > 255)) return undefined;
  return octets.reduce((value, octet) => value * 256 + octet, 0);
}

/** IPv6 text (with `::` and an optional trailing dotted quad) to its eight 16-bit groups; `undefined` if invalid. */
function parseIpv6(text: string): number[] | undefined {
  let body = text.toLowerCase();
  const tail: number[] = [];
  const lastColon = body.lastIndexOf(":");
  if (lastColon !== -1 && body.includes(".", lastColon)) {
    const v4 = parseIpv4(body.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail.push(v4 >>> 16, v4 & 0xffff);
    body = body.slice(0, lastColon + 1) + "0"; // placeholder group, dropped below
  }
  const halves = body.split("::");
  if (halves.length > 2) return undefined;
  const toGroups = (part: string) => (part === "" ? [] : part.split(":"));
  const head = toGroups(halves[0]!);
  const rest = halves.length === 2 ? toGroups(halves[1]!) : [];
  if (tail.length) (rest.length ? rest : head).pop();
  if ([...head, ...rest].some((group) => !/^[0-9a-f]{1,4}$/.test(group))) return undefined;
  const explicit = head.length + rest.length + tail.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return undefined;
  const hex = (group: string) => parseInt(group, 16);
  return [...head.map(hex), ...new Array<number>(8 - explicit).fill(0), ...rest.map(hex), ...tail];
}
