// The fuzzer's engine: a seeded PRNG, mutators for bytes and for JSON values, and a runner that
// feeds each target mutated seeds and random inputs and records every throw as a finding. A
// decoder may accept or reject (with its typed error); it may never throw anything else.
// Used by scripts/fuzz.ts (millions of inputs) and by a small vitest run in CI.

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** mulberry32: small, fast, and the same sequence for the same seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

// ---- bytes ----

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfc, 0xfd, 0xfe, 0xff];
const INTERESTING_U16 = [0, 1, 2, 0x7fff, 0x8000, 0xfffe, 0xffff, 16, 17, 18, 19, 32768, 32772, 32780];

function u16At(b: Uint8Array, at: number, v: number): void {
  if (at + 1 < b.length) {
    b[at] = v >> 8;
    b[at + 1] = v & 0xff;
  }
}

/** One random edit of `input` (a new array; the input is left alone). */
function mutateOnce(rng: Rng, input: Uint8Array, corpus: readonly Uint8Array[]): Uint8Array {
  const len = input.length;
  const at = len === 0 ? 0 : rng.int(len);
  switch (rng.int(12)) {
    case 0: { // flip a bit
      const b = input.slice();
      if (len > 0) b[at]! ^= 1 << rng.int(8);
      return b;
    }
    case 1: { // an interesting byte
      const b = input.slice();
      if (len > 0) b[at] = rng.pick(INTERESTING_BYTES);
      return b;
    }
    case 2: { // an interesting u16 (types, lengths)
      const b = input.slice();
      u16At(b, at, rng.pick(INTERESTING_U16));
      return b;
    }
    case 3: { // a random byte
      const b = input.slice();
      if (len > 0) b[at] = rng.int(256);
      return b;
    }
    case 4: // truncate
      return input.slice(0, at);
    case 5: { // delete a range
      const n = 1 + rng.int(Math.min(16, Math.max(1, len - at)));
      const b = new Uint8Array(Math.max(0, len - n));
      b.set(input.subarray(0, at));
      b.set(input.subarray(at + n), at);
      return b;
    }
    case 6: { // insert random bytes
      const ins = rng.bytes(1 + rng.int(16));
      const b = new Uint8Array(len + ins.length);
      b.set(input.subarray(0, at));
      b.set(ins, at);
      b.set(input.subarray(at), at + ins.length);
      return b;
    }
    case 7: { // duplicate a range
      const n = Math.min(len - at, 1 + rng.int(64));
      const b = new Uint8Array(len + n);
      b.set(input.subarray(0, at + n));
      b.set(input.subarray(at, at + n), at + n);
      b.set(input.subarray(at + n), at + 2 * n);
      return b;
    }
    case 8: { // splice with another corpus entry
      const other = rng.pick(corpus);
      const cut = other.length === 0 ? 0 : rng.int(other.length);
      const b = new Uint8Array(at + other.length - cut);
      b.set(input.subarray(0, at));
      b.set(other.subarray(cut), at);
      return b;
    }
    case 9: { // append zeros or 0xff (lengths that run past the end)
      const b = new Uint8Array(len + 1 + rng.int(40));
      b.set(input);
      if (rng.int(2) === 0) b.fill(0xff, len);
      return b;
    }
    case 10: { // change the message type, keep the payload
      const b = input.slice();
      u16At(b, 0, rng.pick(INTERESTING_U16));
      return b;
    }
    default: // a fully random input
      return rng.bytes(rng.int(rng.int(2) === 0 ? 64 : 600));
  }
}

export function mutateBytes(rng: Rng, seed: Uint8Array, corpus: readonly Uint8Array[]): Uint8Array {
  let b = seed;
  const rounds = 1 + rng.int(rng.int(4) === 0 ? 8 : 2);
  for (let i = 0; i < rounds; i++) b = mutateOnce(rng, b, corpus);
  return b;
}

// ---- JSON ----

const deep = (n: number): Json => (n === 0 ? [] : [deep(n - 1)]);
const JSON_POOL: Json[] = [
  null, true, false, 0, -0, 1, -1, 0.5, 2 ** 53, 2 ** 64, -(2 ** 53), 1e308, -1e308, 4294967295, 4294967296,
  '', ' ', '0', '-1', '01', '1e3', '0x10', ' 1', '1 ', '+1', '1.0', '18446744073709551615', '18446744073709551616',
  '99999999999999999999999999999', '21000000000000000000', 'A', 'B', 'C', 'htlc', 'hashchain', 'open', 'closing', 'channel', 'blocks',
  'signed', 'prorata', 'interval', 'NaN', 'Infinity', 'true', '\u0000', '\ud800', 'ü', 'x'.repeat(1000),
  '00'.repeat(16), '00'.repeat(32), 'ff'.repeat(32), '02' + '11'.repeat(32), '03' + 'ff'.repeat(32), '0'.repeat(63), 'zz'.repeat(32),
  '10msat/s', '1sat/min', '0msat/s', '1/s', '1e400msat/s',
  [], {}, [1, 2, 3], ['a'], [null], deep(50), { a: 1 }, { __proto__: 1 } as unknown as Json,
];

function clone(v: Json): Json {
  return v === null || typeof v !== 'object' ? v : (JSON.parse(JSON.stringify(v)) as Json);
}

/** Every (parent, key) in the tree, so one can be picked at random. */
function slots(v: Json, out: { parent: Json[] | { [k: string]: Json }; key: string | number }[] = [], depth = 0): typeof out {
  if (depth > 20 || v === null || typeof v !== 'object') return out;
  if (Array.isArray(v)) {
    v.forEach((c, i) => {
      out.push({ parent: v, key: i });
      slots(c, out, depth + 1);
    });
  } else {
    for (const k of Object.keys(v)) {
      out.push({ parent: v, key: k });
      slots(v[k]!, out, depth + 1);
    }
  }
  return out;
}

function mutateString(rng: Rng, s: string): string {
  const at = rng.int(s.length + 1);
  switch (rng.int(5)) {
    case 0: return s.slice(0, at);
    case 1: return s.slice(0, at) + rng.pick(['0', '9', 'f', 'g', '-', '.', ' ', '\u0000', 'e']) + s.slice(at);
    case 2: return s.slice(0, at) + s.slice(at + 1);
    case 3: return s + s;
    default: return s.replace(/\d/, String(rng.int(10)));
  }
}

function mutateJsonOnce(rng: Rng, root: Json): Json {
  const all = slots(root);
  if (all.length === 0 || rng.int(20) === 0) return clone(rng.pick(JSON_POOL));
  const { parent, key } = rng.pick(all);
  const get = () => (parent as Record<string | number, Json>)[key]!;
  const set = (v: Json) => ((parent as Record<string | number, Json>)[key] = v);
  switch (rng.int(6)) {
    case 0:
      set(clone(rng.pick(JSON_POOL)));
      break;
    case 1: // delete
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
      break;
    case 2: { // add a key or element
      if (Array.isArray(parent)) parent.push(clone(rng.pick(JSON_POOL)));
      else parent[rng.pick(['extra', 'kind', 'sig', 'state', 'locks', '__proto__', 'constructor', 'toString'])] = clone(rng.pick(JSON_POOL));
      break;
    }
    case 3: { // mutate a string or number in place
      const v = get();
      if (typeof v === 'string') set(mutateString(rng, v));
      else if (typeof v === 'number') set(rng.pick([v + 1, v - 1, -v, v * 2 ** 32, v + 0.5]));
      else set(clone(rng.pick(JSON_POOL)));
      break;
    }
    case 4: { // copy another slot's value here
      const other = rng.pick(all);
      set(clone((other.parent as Record<string | number, Json>)[other.key]!));
      break;
    }
    default: { // repeat an array's contents (length limits)
      const v = get();
      if (Array.isArray(v)) set([...v, ...v, ...v, ...v, ...v, ...v, ...v, ...v].slice(0, 5000));
      else set([v]);
    }
  }
  return root;
}

export function mutateJson(rng: Rng, seed: Json): Json {
  let v = clone(seed);
  const rounds = 1 + rng.int(rng.int(4) === 0 ? 6 : 2);
  for (let i = 0; i < rounds; i++) v = mutateJsonOnce(rng, v);
  return v;
}

// ---- targets and the runner ----

export type Outcome = 'accepted' | 'rejected';

export type FuzzTarget =
  | { readonly name: string; readonly weight: number; readonly kind: 'bytes'; readonly seeds: readonly Uint8Array[]; run(input: Uint8Array, rng: Rng): Outcome }
  | { readonly name: string; readonly weight: number; readonly kind: 'json'; readonly seeds: readonly Json[]; run(input: Json, rng: Rng): Outcome };

export interface Finding {
  readonly target: string;
  readonly signature: string;
  readonly count: number;
  /** The first input that produced it: hex for bytes, JSON text for values. */
  readonly example: string;
  readonly stack: string;
}

export interface TargetReport {
  readonly name: string;
  inputs: number;
  accepted: number;
  rejected: number;
  thrown: number;
  ms: number;
}

export interface FuzzReport {
  readonly seed: number;
  readonly inputs: number;
  readonly ms: number;
  readonly targets: TargetReport[];
  readonly findings: Finding[];
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** One stable key per distinct bug: the error's type and the line in src/ that threw it. */
function signatureOf(e: unknown): { signature: string; stack: string } {
  const err = e instanceof Error ? e : new Error(String(e));
  const where = /\((\/[^)]*\/src\/[^)]*)\)|at (\/[^ ]*\/src\/\S*)/.exec(err.stack ?? '');
  const site = (where?.[1] ?? where?.[2] ?? 'outside src/').replace(/^.*\/src\//, 'src/');
  return { signature: `${err.name} at ${site} (e.g. "${err.message.slice(0, 100)}")`, stack: err.stack ?? '' };
}

/**
 * Run `count` inputs spread over the targets by weight. Inputs are mutated seeds (mostly) or
 * mutations of earlier accepted inputs; `isExpected` says which throws are a decoder's typed
 * rejection (for JSON decoders: InputError) rather than a bug.
 */
export function runFuzz(opts: {
  targets: readonly FuzzTarget[];
  count: number;
  seed: number;
  onProgress?: (done: number, report: FuzzReport) => void;
}): FuzzReport {
  const rng = new Rng(opts.seed);
  const totalWeight = opts.targets.reduce((s, t) => s + t.weight, 0);
  const findings = new Map<string, Finding & { count: number }>();
  const reports: TargetReport[] = [];
  const started = Date.now();
  let done = 0;
  for (const target of opts.targets) {
    const n = Math.max(1, Math.round((opts.count * target.weight) / totalWeight));
    const report: TargetReport = { name: target.name, inputs: 0, accepted: 0, rejected: 0, thrown: 0, ms: 0 };
    reports.push(report);
    const t0 = Date.now();
    const accepted: (Uint8Array | Json)[] = [];
    for (let i = 0; i < n; i++) {
      // the seeds as given first, then mutations of seeds and of inputs that got through
      const pool = accepted.length > 0 && rng.int(3) === 0 ? accepted : (target.seeds as readonly (Uint8Array | Json)[]);
      const base = i < target.seeds.length ? target.seeds[i]! : rng.pick(pool);
      const input = i < target.seeds.length ? base : target.kind === 'bytes' ? mutateBytes(rng, base as Uint8Array, target.seeds) : mutateJson(rng, base as Json);
      report.inputs++;
      try {
        const outcome = target.kind === 'bytes' ? target.run(input as Uint8Array, rng) : target.run(input as Json, rng);
        report[outcome]++;
        if (outcome === 'accepted' && accepted.length < 2000 && rng.int(8) === 0) accepted.push(input);
      } catch (e) {
        report.thrown++;
        const { signature, stack } = signatureOf(e);
        const key = `${target.name} | ${signature.replace(/ \(e\.g\..*$/, '')}`;
        const f = findings.get(key);
        if (f) f.count++;
        else {
          const example = input instanceof Uint8Array ? hex(input) : JSON.stringify(input)?.slice(0, 2000) ?? 'undefined';
          findings.set(key, { target: target.name, signature, count: 1, example, stack });
        }
      }
      done++;
      if (opts.onProgress && done % 250_000 === 0) {
        report.ms = Date.now() - t0;
        opts.onProgress(done, { seed: opts.seed, inputs: done, ms: Date.now() - started, targets: reports, findings: [...findings.values()] });
      }
    }
    report.ms = Date.now() - t0;
  }
  return { seed: opts.seed, inputs: done, ms: Date.now() - started, targets: reports, findings: [...findings.values()] };
}
