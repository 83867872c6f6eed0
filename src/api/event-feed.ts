// `GET /v1/events` as a WebSocket: every NodeEvent as one JSON text frame, server to client only.
// A client that reads too slowly is dropped rather than buffered without bound: the feed is a view,
// and a client that lost events can re-read the state through the REST routes.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../util/log.js';
import { nodeEventCodec } from './codec.js';
import { closeWebSocketServer } from './ws-shutdown.js';
import type { NodeApi } from './types.js';

/** Clients send nothing we read; this only bounds what a client may make us parse. */
const MAX_INBOUND_FRAME = 1024;
/** Unsent bytes allowed to pile up for one client before it is dropped. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Bytes of one burst held back before they go to the socket anyway. */
const CORK_BYTES = 64 * 1024;
/** Close code 1013 "try again later": the client was too slow and may reconnect. */
const CLOSE_TOO_SLOW = 1013;

export interface EventFeed {
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Sends every client a close frame, and cuts those that do not answer within a second. */
  close(): Promise<void>;
}

export function createEventFeed(opts: { api: NodeApi; log: Logger }): EventFeed {
  const { api, log } = opts;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_INBOUND_FRAME, perMessageDeflate: false });

  function follow(ws: WebSocket): void {
    // Events come in bursts (a channel state that pays 1,000 streams meters 1,000 ticks at once): the
    // frames of one burst go to the socket in a few writes, not a write (a syscall) each. What is held
    // back for the burst is not the client's backlog, so it is left out of the slow-client bound.
    const socket = (ws as unknown as { _socket?: { cork?: () => void; uncork?: () => void } })._socket;
    let corked = false;
    let held = 0; // bytes of this burst not yet handed to the socket
    let scheduled = false;
    const uncork = () => {
      if (!corked) return;
      corked = false;
      held = 0;
      socket?.uncork?.();
    };
    const unsubscribe = api.onEvent((e) => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount - held > MAX_BUFFERED_BYTES) {
        log.warn('event feed client too slow; dropping it');
        ws.close(CLOSE_TOO_SLOW, 'too slow');
        return;
      }
      // Never let a bad event throw into the node's emitter.
      try {
        const frame = JSON.stringify(nodeEventCodec.encode(e));
        if (!corked && socket?.cork) {
          socket.cork();
          corked = true;
          if (!scheduled) {
            scheduled = true;
            process.nextTick(() => {
              scheduled = false;
              uncork();
            });
          }
        }
        ws.send(frame);
        if (corked) {
          held += Buffer.byteLength(frame);
          if (held > CORK_BYTES) uncork();
        }
      } catch (err) {
        log.error({ err, type: e.type }, 'could not send an event');
      }
    });
    ws.on('close', () => unsubscribe());
    ws.on('error', (err) => log.debug({ err: err.message }, 'event feed client error'));
    log.debug('event feed client connected');
  }

  return {
    upgrade(req, socket, head) {
      wss.handleUpgrade(req, socket, head, follow);
    },
    close: () => closeWebSocketServer(wss),
  };
}
