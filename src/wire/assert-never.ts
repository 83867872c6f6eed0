// The default branch of every switch over a message or event kind. If a new kind is added to a
// union and some switch forgets it, `x` is no longer `never` and that switch stops compiling.

export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
}
