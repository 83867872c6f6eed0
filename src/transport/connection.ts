// Drives one NoiseLink over one Carrier: handshake bytes out, a PeerSession once the handshake
// completes, and a single teardown path for every failure. Timers stay with the carrier adapter
// (ws.ts), which calls fail() when its handshake deadline passes.
import { CarrierSession, type Carrier } from './carrier-session.js';
import { describeTransportError } from './errors.js';
import { DEFAULT_SEND_LIMITS, type SendLimits } from './limits.js';
import type { NoiseLink } from './link.js';
import type { PeerSession } from './session.js';

export interface ConnectionHooks {
  /** Called synchronously when the handshake completes, before any message is delivered. */
  onEstablished(session: PeerSession): void;
  /** The handshake did not complete; the carrier is already closed. */
  onHandshakeFailed(reason: string): void;
}

export class LinkConnection {
  private session: CarrierSession | null = null;
  private finished = false;

  constructor(
    private readonly link: NoiseLink,
    private readonly carrier: Carrier,
    private readonly hooks: ConnectionHooks,
    private readonly limits: SendLimits = DEFAULT_SEND_LIMITS,
  ) {}

  /** True until the handshake has completed (or the connection is over). */
  get handshaking(): boolean {
    return this.session === null && !this.finished;
  }

  /** Bytes that arrived from the carrier. */
  receive(bytes: Uint8Array): void {
    if (this.finished || this.session?.closed) return;
    const output = this.link.receive(bytes);
    if (!output.ok) {
      this.fail(describeTransportError(output.error));
      return;
    }
    for (const act of output.outbound) this.carrier.write(act);
    if (output.established) {
      const session = new CarrierSession(this.link.remoteNodeId!, (m) => this.link.encrypt(m), this.carrier, this.limits);
      this.session = session;
      this.hooks.onEstablished(session);
    }
    for (const message of output.messages) this.session?.deliver(message);
  }

  /** The peer broke the transport rules (or was too slow): drop the connection. */
  fail(reason: string): void {
    if (this.finished) return;
    this.finished = true;
    if (this.session) {
      this.session.shutDown('protocol', reason);
    } else {
      this.carrier.close('protocol', reason);
      this.hooks.onHandshakeFailed(reason);
    }
  }

  /** We are shutting down (e.g. the listener closes): a session closes with origin 'local'. */
  closeLocally(reason: string): void {
    if (this.finished) return;
    this.finished = true;
    if (this.session) {
      this.session.close(reason);
    } else {
      this.carrier.close('local', reason);
      this.hooks.onHandshakeFailed(reason);
    }
  }

  /** The carrier closed underneath us. */
  carrierClosed(reason: string): void {
    if (this.finished) return;
    this.finished = true;
    if (this.session) this.session.shutDown('remote', reason);
    else this.hooks.onHandshakeFailed(`connection closed during handshake: ${reason}`);
  }
}
