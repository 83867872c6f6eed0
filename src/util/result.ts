// The one result shape of the pure cores: a success with its fields, or a refusal with a typed error.
// Cores never throw on peer input; they answer one of these, and the shell decides what the refusal
// costs the peer (ignore, warn, disconnect, fail the channel).

/** Success with the fields `T`, or `{ ok: false, error }`. */
export type Result<T extends object, E> = ({ readonly ok: true } & T) | { readonly ok: false; readonly error: E };

/** A success that carries one value (decoders). */
export type ValueResult<T, E> = Result<{ readonly value: T }, E>;
