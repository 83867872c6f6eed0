// assertNever lives with InputError in src/util/errors.ts; this path is kept for the modules that import it here.
export { assertNever } from '../util/errors.js';
