/**
 * Addresses as the edge judges them: whether a bind address is loopback (dev-mode authentication
 * may listen only there), and sets of IP addresses and CIDR ranges (the gateways whose headers
 * are trusted), matched with Node's `BlockList`, which also matches IPv4-mapped IPv6 peers
 * (`::ffff:10.0.0.5` is in `10.0.0.0/8`).
 */
import { BlockList, isIP } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

function familyOf(address: string): 'ipv4' | 'ipv6' | undefined {
  const version = isIP(address);
  return version === 4 ? 'ipv4' : version === 6 ? 'ipv6' : undefined;
}

/**
 * Whether `host` (a listen address or host name) reaches this machine only: `localhost`, an
 * address in 127.0.0.0/8, or `::1` (also IPv4-mapped). `0.0.0.0`, `::` and every other name are not.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === 'localhost') return true;
  const family = familyOf(bare);
  return family !== undefined && LOOPBACK.check(bare, family);
}

/** One entry of an address list: `10.0.0.5`, `10.0.0.0/8`, `fd00::/8`; undefined when it is neither. */
function parseRange(entry: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const family = familyOf(address);
  if (family === undefined) return undefined;
  const max = family === 'ipv4' ? 32 : 128;
  if (slash === -1) return { address, prefix: max, family };
  const prefixText = entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  return prefix <= max ? { address, prefix, family } : undefined;
}

/** The index of the first entry that is not an IP address or CIDR range, or -1 when all are. */
export function invalidAddressRange(entries: readonly string[]): number {
  return entries.findIndex((entry) => parseRange(entry) === undefined);
}

/** A set of IP addresses and CIDR ranges, IPv4 and IPv6. */
export class AddressRanges {
  private readonly list = new BlockList();
  readonly size: number;

  /** @throws TypeError when an entry is neither an address nor a range (check with {@link invalidAddressRange} first). */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const range = parseRange(entry);
      if (range === undefined) throw new TypeError(`${entry} is not an IP address or CIDR range`);
      this.list.addSubnet(range.address, range.prefix, range.family);
    }
    this.size = entries.length;
  }

  /** Whether `address` (a peer's address as its socket reports it) is in the set; false when absent or unparsable. */
  has(address: string | undefined): boolean {
    if (address === undefined) return false;
    const family = familyOf(address);
    return family !== undefined && this.list.check(address, family);
  }
}

/**
 * Why `url` may not carry key material (a JWKS) to this node, or undefined when it may: it must be
 * an `https` URL, or `http` to a loopback address (an identity provider on this machine).
 */
export function httpsUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (parsed.protocol === 'https:') return undefined;
  if (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) return undefined;
  return 'must be an https URL (http only to a loopback address)';
}
