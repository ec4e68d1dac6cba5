/**
 * Redis Cluster key-to-slot mapping (CRC16/XMODEM of the hash tag, modulo 16384), as in the
 * cluster specification. Pure, so tests and tools can predict which slot a key lands on without
 * asking a node; `CLUSTER KEYSLOT` is the authority and the integration tests compare the two.
 */

/** Number of hash slots in a Redis Cluster. */
export const CLUSTER_SLOTS = 16384;

const CRC16_TABLE: Uint16Array = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    table[byte] = crc;
  }
  return table;
})();

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc = ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >> 8) ^ byte) & 0xff] ?? 0);
  }
  return crc;
}

/**
 * The part of a key that is hashed: the text between the first `{` and the next `}` when that is
 * non-empty, otherwise the whole key.
 */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

/** The cluster hash slot (0..16383) that owns `key`. */
export function hashSlot(key: string): number {
  return crc16(Buffer.from(hashTagOf(key), 'utf8')) % CLUSTER_SLOTS;
}
