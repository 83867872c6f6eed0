// Stopping a WebSocket server of the control API (event feed, RPC) when the node stops.
import type { WebSocketServer } from 'ws';

const CLOSE_GOING_AWAY = 1001;
/** A client that does not answer the close frame within this long is cut. */
const CLOSE_GRACE_MS = 1000;

/** Sends every client a close frame (1001), cuts those that do not answer in time, then closes the server. */
export async function closeWebSocketServer(wss: WebSocketServer): Promise<void> {
  const closing = [...wss.clients].map(
    (ws) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
        ws.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        ws.close(CLOSE_GOING_AWAY, 'node stopping');
      }),
  );
  await Promise.all(closing);
  await new Promise<void>((resolve) => wss.close(() => resolve()));
}
