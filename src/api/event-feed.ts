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
    const unsubscribe = api.onEvent((e) => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        log.warn('event feed client too slow; dropping it');
        ws.close(CLOSE_TOO_SLOW, 'too slow');
        return;
      }
      // Never let a bad event throw into the node's emitter.
      try {
        ws.send(JSON.stringify(nodeEventCodec.encode(e)));
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
