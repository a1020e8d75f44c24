/**
 * Production deployments never send webhooks to loopback, private, link-local or unique-local addresses
 * (docs/webhooks.md). The check runs on resolved addresses, not on the URL: the DNS lookup drops blocked
 * addresses before a connection is tried, an IP literal is checked before connecting, and the address the socket
 * actually connected to is checked again before a byte is sent, so neither DNS rebinding nor a literal slips by.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type Socket } from 'node:net';
import ipaddr from 'ipaddr.js';
import { buildConnector } from 'undici';

/** Ranges ipaddr.js names that a partner's public endpoint can never be in. */
const BLOCKED_RANGES = new Set([
  'unspecified',
  'broadcast',
  'multicast',
  'linkLocal',
  'loopback',
  'carrierGradeNat',
  'private',
  'reserved',
  'uniqueLocal',
  'ipv4Mapped',
  'rfc6145',
  'rfc6052',
  '6to4',
  'teredo',
  'benchmarking',
  'amt',
  'as112',
  'as112v6',
  'deprecated',
  'orchid2',
  'droneRemoteIdProtocolEntityTags',
]);

class BlockedAddressError extends Error {
  override name = 'BlockedAddressError';
  readonly code = 'CHARTHERO_BLOCKED_ADDRESS';
}

/** Whether an address may be connected to; IPv4-mapped IPv6 is judged as the IPv4 address it carries. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return !BLOCKED_RANGES.has(parsed.range());
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup, keeping only public addresses; none left is a BlockedAddressError. */
function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const allowed = addresses.filter((entry) => isPublicAddress(entry.address));
    if (allowed.length === 0) return callback(new BlockedAddressError('every address of the host is blocked'), []);
    if (options.all) return callback(null, allowed);
    callback(null, allowed[0]!.address, allowed[0]!.family);
  });
}

type Connector = ReturnType<typeof buildConnector>;

/** An undici connector that refuses blocked addresses (production); `guard: false` connects anywhere (sandbox). */
export function guardedConnector(guard: boolean, connectTimeoutMs: number): Connector {
  if (!guard) return buildConnector({ timeout: connectTimeoutMs });
  const connect = buildConnector({ timeout: connectTimeoutMs, lookup: publicOnlyLookup });
  return (options, callback) => {
    const literal = options.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal) !== 0 && !isPublicAddress(literal)) {
      callback(new BlockedAddressError('the address is blocked'), null);
      return;
    }
    connect(options, (error, socket) => {
      if (error || !socket) return callback(error, null);
      const remote = (socket as Socket).remoteAddress;
      if (remote === undefined || !isPublicAddress(remote)) {
        socket.destroy();
        return callback(new BlockedAddressError('the connected address is blocked'), null);
      }
      callback(null, socket);
    });
  };
}
