/**
 * A Redis Cluster's seed nodes from the one `REDIS_URL` a deployment has: several `redis://` (or `rediss://`) URLs
 * separated by commas, `REDIS_CLUSTER=true` saying they are a cluster's. Used by the worker and by upstash-local,
 * so both read a cluster URL the same way. The first URL's user, password and TLS apply to every node: a cluster
 * has one set of credentials, and the nodes ioredis discovers later (from CLUSTER SLOTS) come without any.
 */
export interface ClusterSeeds {
  seeds: { host: string; port: number }[];
  /** Per-node connection settings taken from the first URL. */
  node: { username?: string; password?: string; tls?: Record<string, never> };
}

/**
 * @example
 * clusterSeeds("redis://:pw@10.0.0.1:7000,redis://10.0.0.2:7001");
 * // { seeds: [{ host: "10.0.0.1", port: 7000 }, { host: "10.0.0.2", port: 7001 }], node: { password: "pw" } }
 */
export function clusterSeeds(redisUrls: string): ClusterSeeds {
  const urls = redisUrls.split(",").map((text) => new URL(text.trim()));
  const first = urls[0]!;
  const node: ClusterSeeds["node"] = {};
  if (first.password) node.password = decodeURIComponent(first.password);
  if (first.username) node.username = decodeURIComponent(first.username);
  if (first.protocol === "rediss:") node.tls = {};
  return { seeds: urls.map((url) => ({ host: url.hostname, port: Number(url.port || 6379) })), node };
}
