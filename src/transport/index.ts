// The transport's public surface for the node layer: the session port and its two carriers.
export type { PeerSession, SessionClose, SessionCloseOrigin, Unsubscribe } from './session.js';
export { PeerConnectError } from './session.js';
export type { FrameError, HandshakeError, TransportError } from './errors.js';
export { describeTransportError } from './errors.js';
export {
  connectPeer,
  listenPeers,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  type ConnectPeerOptions,
  type HandshakeFailure,
  type ListenPeersOptions,
  type PeerListener,
} from './ws.js';
export { MemoryNetwork, memoryPipe, type MemoryPipe, type MemoryPipeOptions } from './memory.js';
export { MAX_ENCRYPTED_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH } from './primitives.js';
