/**
 * Delivery-time SSRF guard. The edge's URL check cannot see DNS, and DNS can change at any moment (a "rebinding"
 * name answers a public address to the check and 127.0.0.1 to the connect). So the worker resolves the host once,
 * refuses if ANY address is forbidden, and then connects only to those vetted addresses through `pinnedLookup`:
 * there is no second DNS query for an attacker to answer differently.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import type { LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { isForbiddenAddress, type SsrfPolicy } from "../../../../shared/src/ssrf";
import { UnrecoverableError } from "../../job-errors";

/** Resolves a host name to every address it has, like `dns.lookup(name, { all: true })`. */
export type Lookup = (hostname: string) => Promise<readonly LookupAddress[]>;

/** getaddrinfo, as every other Node program on the host resolves (hosts file, search domains, nsswitch). */
export const systemLookup: Lookup = (hostname) => dnsLookup(hostname, { all: true });

/** Appended when a development setting would have let the destination through. */
export const PRIVATE_NETWORKS_HINT = "set WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow private destinations in development";

/**
 * The addresses the worker may connect to for `hostname` (a URL's hostname; IPv6 in brackets is fine). Throws
 * UnrecoverableError if any is forbidden, a plain (retryable) Error if the name does not resolve.
 * @example
 * const addresses = await resolveVetted("hooks.example.com", { allowPrivateNetworks: false }, systemLookup, signal);
 */
export async function resolveVetted(
  hostname: string,
  policy: SsrfPolicy,
  lookup: Lookup,
  signal: AbortSignal,
): Promise<LookupAddress[]> {
  const host = hostname.replace(/^\[(.*)\]$/, "$1");
  const family = isIP(host);
  const addresses = family ? [{ address: host, family }] : await resolveAll(host, lookup, signal);
  for (const { address } of addresses) {
    const reason = isForbiddenAddress(address, policy);
    if (!reason) continue;
    const hint = isForbiddenAddress(address, { allowPrivateNetworks: true }) ? "" : ` (${PRIVATE_NETWORKS_HINT})`;
    const what = family ? address : `${host}, which resolves to ${address}`;
    throw new UnrecoverableError(`refused to deliver to ${what}: ${reason}${hint}`);
  }
  return addresses;
}

/**
 * A `lookup` for net/tls `connect` that answers only from `addresses`. Honours `all` (Node 20 asks for every
 * address to race IPv4 and IPv6, "happy eyeballs") and `family`.
 * @example
 * http.request(url, { lookup: pinnedLookup(addresses) })
 */
export function pinnedLookup(addresses: readonly LookupAddress[]): LookupFunction {
  return function lookupVetted(hostname, options, callback) {
    const family = options.family === "IPv4" ? 4 : options.family === "IPv6" ? 6 : options.family || 0;
    const candidates = family ? addresses.filter((entry) => entry.family === family) : [...addresses];
    // Answer asynchronously, as dns.lookup does: net attaches its listeners after calling lookup.
    process.nextTick(() => {
      const first = candidates[0];
      if (!first) {
        const error: NodeJS.ErrnoException = new Error(`no vetted IPv${family} address for ${hostname}`);
        error.code = "ENOTFOUND";
        callback(error, "", family);
      } else if (options.all) callback(null, candidates);
      else callback(null, first.address, first.family);
    });
  };
}

async function resolveAll(host: string, lookup: Lookup, signal: AbortSignal): Promise<LookupAddress[]> {
  signal.throwIfAborted();
  let addresses: readonly LookupAddress[];
  try {
    // getaddrinfo cannot be cancelled; stop waiting for it when the run is aborted.
    addresses = await new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      lookup(host)
        .then(resolve, reject)
        .finally(() => signal.removeEventListener("abort", onAbort));
    });
  } catch (error) {
    if (signal.aborted) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(`could not resolve ${host}: ${code}`, { cause: error });
  }
  if (addresses.length === 0) throw new Error(`could not resolve ${host}: no addresses`);
  return [...addresses];
}
