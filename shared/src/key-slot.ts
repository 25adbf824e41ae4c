/**
 * Redis Cluster's key → slot mapping (CRC16-XMODEM of the hash tag, mod 16384). The worker uses it to find the
 * master that owns a queue's slot (its blocking connection goes there); the tests, to check scripts stay
 * single-slot. Every key of a queue hashes to the same slot (keys.ts), so `keySlot(keys.wait)` is the queue's.
 */
function crc16(data: Uint8Array): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/**
 * @example
 * keySlot("offload:{webhook}:wait") === keySlot("{webhook}") // true: only the hash tag is hashed
 */
export function keySlot(key: string): number {
  const open = key.indexOf("{");
  if (open !== -1) {
    const close = key.indexOf("}", open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  return crc16(new TextEncoder().encode(key)) % 16384;
}
