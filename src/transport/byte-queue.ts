// A FIFO of received chunks. Taking n bytes copies only those n bytes, so a peer that dribbles a
// large message one byte per frame costs linear work, not a re-concatenation per frame.

export class ByteQueue {
  private chunks: Uint8Array[] = [];
  /** Offset into chunks[0] of the first unread byte. */
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  /** Removes and returns the first n bytes; the caller checks `length >= n` first. */
  take(n: number): Uint8Array {
    if (n > this.size) throw new RangeError(`ByteQueue.take(${n}) with only ${this.size} bytes queued`);
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const available = chunk.length - this.head;
      const count = Math.min(available, n - filled);
      out.set(chunk.subarray(this.head, this.head + count), filled);
      filled += count;
      if (count === available) {
        this.chunks.shift();
        this.head = 0;
      } else {
        this.head += count;
      }
    }
    this.size -= n;
    return out;
  }

  /** Removes and returns everything queued. */
  takeAll(): Uint8Array {
    return this.take(this.size);
  }
}
