// What the control API's clients (HTTP and RPC) throw, and how server text is made safe to show.

/**
 * `status` is the HTTP status, or 0 when no answer came. `code` is the server's error code, or one
 * of the client's own: UNREACHABLE, TIMEOUT, BAD_RESPONSE, FEED_CLOSED, RPC_CLOSED, PAYLOAD_TOO_LARGE (an RPC call
 * larger than a frame, refused before it is sent).
 */
export class ApiClientError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiClientError';
  }
}

/** Server-provided text goes to a terminal: one line, no control characters (no escape sequences). */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').replace(/ {2,}/g, ' ').trim().slice(0, 500);
}
