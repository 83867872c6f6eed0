// Validators for ids and targets that arrive from people (CLI arguments) or from API callers. Each
// throws InputError naming the field, returns the canonical form (lowercase hex), and is shared by
// the server (400 on failure) and the CLI (checked before any request is sent).
import { InputError } from '../crypto/bytes.js';
import { parsePublicKey } from '../crypto/keys.js';

const CHANNEL_ID_RE = /^[0-9a-fA-F]{64}$/;
const STREAM_ID_RE = /^[0-9a-fA-F]{32}$/;
// host is a DNS name, an IPv4 address, or a bracketed IPv6 address; the port is required.
const HOST_PORT_RE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?):(\d{1,5})$/;

/**
 * Node ids already proven to be points. Checking a point costs a square root mod p (~0.1 ms), and a
 * caller sending thousands of payments a second names the same few peers each time; the memo is
 * bounded and starts over when full, so a caller naming new ids each time costs only the check.
 */
const KNOWN_POINTS_MAX = 256;
const knownPoints = new Set<string>();

/** A node id: 66 hex characters, a compressed secp256k1 point. */
export function parseNodeId(text: unknown, what = 'nodeId'): string {
  if (typeof text !== 'string') throw new InputError(`${what}: expected 66 hex characters`);
  if (text.length !== 66) throw new InputError(`${what}: expected 66 hex characters, got ${text.length}`);
  const id = text.toLowerCase();
  if (knownPoints.has(id)) return id;
  parsePublicKey(text, what);
  if (knownPoints.size >= KNOWN_POINTS_MAX) knownPoints.clear();
  knownPoints.add(id);
  return id;
}

/** A channel id: 64 hex characters. */
export function parseChannelId(text: unknown, what = 'channelId'): string {
  if (typeof text !== 'string' || !CHANNEL_ID_RE.test(text)) {
    throw new InputError(`${what}: expected 64 hex characters`);
  }
  return text.toLowerCase();
}

/** A stream id: 32 hex characters. */
export function parseStreamId(text: unknown, what = 'streamId'): string {
  if (typeof text !== 'string' || !STREAM_ID_RE.test(text)) {
    throw new InputError(`${what}: expected 32 hex characters`);
  }
  return text.toLowerCase();
}

/** `NODEID@HOST:PORT`, as `lncli connect` takes it. */
export function parsePeerTarget(text: unknown, what = 'target'): string {
  const usage = `${what}: expected NODEID@HOST:PORT`;
  if (typeof text !== 'string' || text.length > 400) throw new InputError(usage);
  const at = text.indexOf('@');
  if (at < 0) throw new InputError(usage);
  const nodeId = parseNodeId(text.slice(0, at), `${what} node id`);
  const m = HOST_PORT_RE.exec(text.slice(at + 1));
  const port = Number(m?.[2]);
  if (!m || port < 1 || port > 65535) throw new InputError(`${usage} (HOST:PORT is '${text.slice(at + 1)}')`);
  return `${nodeId}@${m[1]}:${port}`;
}
