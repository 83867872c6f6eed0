// Errors the node gives its callers, typed by what the caller must do about them. The node knows
// nothing of HTTP: src/api/server.ts maps each kind to a status code.
//   invalid      the request is malformed or out of range: fix it
//   notFound     it names something that does not exist
//   conflict     it does not fit the current state (a stream already stopped, a peer not connected)
//   refused      a peer or the ledger said no
//   unavailable  something it needs is away or slow (the ledger, a peer that did not answer): try again
export type NodeErrorKind = 'invalid' | 'notFound' | 'conflict' | 'refused' | 'unavailable';

export class NodeError extends Error {
  constructor(
    readonly kind: NodeErrorKind,
    /** A stable code for programs (e.g. UNKNOWN_STREAM). */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'NodeError';
  }
}
