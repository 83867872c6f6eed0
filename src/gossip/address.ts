// node_announcement address descriptors (BOLT 7): a type byte, then that type's fixed or length-prefixed
// data. sluice nodes listen on a WebSocket port, which a `HOST:PORT` names; they announce it as type 5
// (DNS hostname + port) or, for a literal address, type 1 or 2, and a reader dials `ws://HOST:PORT`.
// Pure.
import { ByteWriter, InputError } from '../crypto/bytes.js';

export type NodeAddress =
  | { readonly type: 'ipv4'; readonly host: string; readonly port: number }
  | { readonly type: 'ipv6'; readonly host: string; readonly port: number }
  | { readonly type: 'torv3'; readonly onion: Uint8Array; readonly port: number }
  | { readonly type: 'dns'; readonly host: string; readonly port: number };

const TYPE_CODE = { ipv4: 1, ipv6: 2, torv3: 4, dns: 5 } as const;
const MAX_HOSTNAME = 255;

export type AddressesResult =
  | { ok: true; addresses: NodeAddress[]; skipped: 'none' | 'unknown_type' }
  | { ok: false; reason: string };

/**
 * Read address descriptors. An unknown type stops the reading (its length is unknown) and what came
 * before is kept, as BOLT 7 says. A known type cut short, a second DNS name, descending order, a port 0
 * or a non-ASCII hostname is refused: BOLT 7 says not to process or relay such an announcement.
 */
export function decodeAddresses(bytes: Uint8Array): AddressesResult {
  const out: NodeAddress[] = [];
  let off = 0;
  let lastType = 0;
  const need = (n: number) => off + n <= bytes.length;
  const port = () => (bytes[off]! << 8) | bytes[off + 1]!;
  while (off < bytes.length) {
    const type = bytes[off]!;
    if (type < lastType) return { ok: false, reason: 'address descriptors are not in ascending order' };
    off += 1;
    let addr: NodeAddress;
    if (type === 1) {
      if (!need(6)) return { ok: false, reason: 'ipv4 address cut short' };
      const host = [...bytes.subarray(off, off + 4)].join('.');
      off += 4;
      addr = { type: 'ipv4', host, port: port() };
      off += 2;
    } else if (type === 2) {
      if (!need(18)) return { ok: false, reason: 'ipv6 address cut short' };
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) groups.push(((bytes[off + i]! << 8) | bytes[off + i + 1]!).toString(16));
      off += 16;
      addr = { type: 'ipv6', host: groups.join(':'), port: port() };
      off += 2;
    } else if (type === 3) {
      if (!need(12)) return { ok: false, reason: 'tor v2 address cut short' };
      off += 12; // deprecated: skipped, as BOLT 7 says to ignore them
      lastType = type;
      continue;
    } else if (type === 4) {
      if (!need(37)) return { ok: false, reason: 'tor v3 address cut short' };
      addr = { type: 'torv3', onion: bytes.slice(off, off + 35), port: (bytes[off + 35]! << 8) | bytes[off + 36]! };
      off += 37;
    } else if (type === 5) {
      if (!need(1)) return { ok: false, reason: 'hostname length cut short' };
      const len = bytes[off]!;
      off += 1;
      if (!need(len + 2)) return { ok: false, reason: 'hostname cut short' };
      const name = bytes.subarray(off, off + len);
      if (len === 0 || name.some((b) => b < 0x21 || b > 0x7e)) return { ok: false, reason: 'hostname is empty or not printable ASCII' };
      if (out.some((a) => a.type === 'dns')) return { ok: false, reason: 'more than one DNS hostname' };
      off += len;
      addr = { type: 'dns', host: String.fromCharCode(...name), port: port() };
      off += 2;
    } else {
      return { ok: true, addresses: out, skipped: 'unknown_type' };
    }
    if (addr.port === 0 && addr.type !== 'torv3') return { ok: false, reason: `${addr.type} address with port 0` };
    lastType = type;
    out.push(addr);
  }
  return { ok: true, addresses: out, skipped: 'none' };
}

/** Write descriptors in ascending type order. Throws InputError on an address that cannot be written. */
export function encodeAddresses(addresses: readonly NodeAddress[]): Uint8Array {
  const sorted = [...addresses].sort((a, b) => TYPE_CODE[a.type] - TYPE_CODE[b.type]);
  if (sorted.filter((a) => a.type === 'dns').length > 1) throw new InputError('addresses: at most one DNS hostname');
  const w = new ByteWriter(64);
  for (const a of sorted) {
    if (!Number.isInteger(a.port) || a.port < 1 || a.port > 0xffff) throw new InputError(`addresses: port ${a.port} is not 1..65535`);
    w.u8(TYPE_CODE[a.type]);
    switch (a.type) {
      case 'ipv4': {
        const parts = a.host.split('.').map(Number);
        if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new InputError(`addresses: '${a.host}' is not an IPv4 address`);
        for (const p of parts) w.u8(p);
        break;
      }
      case 'ipv6':
        w.bytes(ipv6Bytes(a.host));
        break;
      case 'torv3':
        if (a.onion.length !== 35) throw new InputError('addresses: a tor v3 address is 35 bytes');
        w.bytes(a.onion);
        break;
      case 'dns': {
        if (a.host.length < 1 || a.host.length > MAX_HOSTNAME || !/^[\x21-\x7e]+$/.test(a.host)) throw new InputError(`addresses: '${a.host.slice(0, 40)}' is not a 1..255 character ASCII hostname`);
        w.u8(a.host.length);
        for (let i = 0; i < a.host.length; i++) w.u8(a.host.charCodeAt(i));
        break;
      }
    }
    w.u16(a.port);
  }
  return w.finish();
}

function ipv6Bytes(host: string): Uint8Array {
  const [head, tail, more] = host.split('::');
  if (more !== undefined) throw new InputError(`addresses: '${host}' is not an IPv6 address`);
  const parse = (s: string | undefined) => (s ? s.split(':') : []);
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  const groups = [...h, ...Array<string>(Math.max(fill, 0)).fill('0'), ...t];
  if (groups.length !== 8 || fill < 0 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) throw new InputError(`addresses: '${host}' is not an IPv6 address`);
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >>> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

/** A sluice peer address `HOST:PORT` as a descriptor: a literal IPv4 address, or a DNS name. */
export function addressFromHostPort(hostPort: string): NodeAddress {
  const m = /^(.+):(\d{1,5})$/.exec(hostPort);
  if (!m) throw new InputError(`address: expected HOST:PORT, got '${hostPort.slice(0, 60)}'`);
  const host = m[1]!.replace(/^\[(.*)\]$/, '$1');
  const port = Number(m[2]);
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return { type: 'ipv4', host, port };
  if (host.includes(':')) return { type: 'ipv6', host, port };
  return { type: 'dns', host, port };
}

/** `HOST:PORT` for dialing a descriptor (tor has none: sluice does not dial onion services). */
export function hostPortOf(a: NodeAddress): string | undefined {
  switch (a.type) {
    case 'ipv4':
    case 'dns':
      return `${a.host}:${a.port}`;
    case 'ipv6':
      return `[${a.host}]:${a.port}`;
    case 'torv3':
      return undefined;
  }
}
