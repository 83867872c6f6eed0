// The two error helpers every layer shares, in one place.
//
// InputError: an argument a caller got wrong (a bad hex string, a NaN time, a rate that does not parse).
// Entry points name the argument they reject, so the message says what to fix. The API edge turns it
// into a 400.
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/**
 * The default branch of every switch over a message, event or effect kind. If a new kind is added to a
 * union and some switch forgets it, `x` is no longer `never` and that switch stops compiling.
 */
export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
}
