// Reads the BOLT 8 test vectors file (the spec's Appendix A in its plain-text layout) into
// cases the tests can query, so no vector value is copied by hand into a test.
import { readFileSync } from 'node:fs';
import { fromHex } from '../../src/crypto/bytes.js';

export const VECTORS_URL = new URL('../vectors/bolt08-transport.txt', import.meta.url);

export interface VectorLine {
  /** The "# Act One"-style header the line falls under, or '' before the first one. */
  readonly section: string;
  readonly comment: boolean;
  readonly key: string;
  readonly value: string;
  readonly raw: string;
}

export interface VectorCase {
  readonly name: string;
  readonly lines: VectorLine[];
}

export function loadVectors(): VectorCase[] {
  const cases: { name: string; lines: VectorLine[] }[] = [];
  let section = '';
  for (const rawLine of readFileSync(VECTORS_URL, 'utf8').split('\n')) {
    const raw = rawLine.trim();
    if (raw === '') continue;
    const comment = raw.startsWith('#');
    const body = comment ? raw.slice(1).trim() : raw;
    if (comment && /^Act (One|Two|Three)$/.test(body)) {
      section = body;
      continue;
    }
    const match = /^([^:=\s]+(?: \d+)?)\s*[:=]\s*(.*)$/.exec(body);
    const key = match?.[1] ?? '';
    const value = match?.[2] ?? body;
    if (!comment && key === 'name') {
      cases.push({ name: value, lines: [] });
      section = '';
      continue;
    }
    const current = cases[cases.length - 1];
    if (!current) throw new Error(`vector line before any name: ${raw}`);
    current.lines.push({ section, comment, key, value, raw });
  }
  return cases;
}

export function findCase(cases: VectorCase[], name: string): VectorCase {
  const found = cases.find((c) => c.name === name);
  if (!found) throw new Error(`no vector named ${name}`);
  return found;
}

/** All values under `key` (optionally only in one section, only comments or only data lines). */
export function valuesOf(
  c: VectorCase,
  key: string,
  filter: { section?: string; comment?: boolean } = {},
): string[] {
  return c.lines
    .filter((l) => l.key === key)
    .filter((l) => filter.section === undefined || l.section === filter.section)
    .filter((l) => filter.comment === undefined || l.comment === filter.comment)
    .map((l) => l.value);
}

export function single(values: string[], what: string): string {
  if (values.length !== 1) throw new Error(`${what}: expected one value, got ${values.length}`);
  return values[0]!;
}

export function last(values: string[], what: string): string {
  const value = values[values.length - 1];
  if (value === undefined) throw new Error(`${what}: no value`);
  return value;
}

/** "0xabcd" or "abcd" -> bytes; "a,b" pairs are split first by `hexList`. */
export function hex(value: string): Uint8Array {
  return fromHex(value.trim().replace(/^0x/, ''));
}

export function hexList(value: string): Uint8Array[] {
  return value.split(',').map(hex);
}

export interface ExpectedError {
  readonly act: 1 | 2 | 3;
  readonly code: string;
  readonly detail: number | undefined;
}

/** "ERROR (ACT2_BAD_VERSION 1)" -> { act: 2, code: 'BAD_VERSION', detail: 1 }; null if not an error. */
export function parseError(value: string): ExpectedError | null {
  const match = /^ERROR \(ACT([123])_([A-Z_]+)(?: (\d+))?\)$/.exec(value);
  if (!match) return null;
  return {
    act: Number(match[1]) as 1 | 2 | 3,
    code: match[2]!,
    detail: match[3] === undefined ? undefined : Number(match[3]),
  };
}
