/**
 * Fault modes of the feed simulator and the content corruptions they apply. Delivery faults (http500, slow,
 * timeout, hang, huge) are carried out by the server in simulator.ts; content faults (malformed, badrows,
 * renamed) change the document itself. Every corruption is deterministic, like the data.
 */
import { uniform } from './feed-hash';

export const FEEDS = ['health', 'justice', 'transport', 'nhcsxh'] as const;
export type FeedName = (typeof FEEDS)[number];

export const FAULT_MODES = ['http500', 'slow', 'timeout', 'hang', 'malformed', 'badrows', 'renamed', 'huge'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

/** `?fault=none` switches off a per-feed fault for one request. */
export const NO_FAULT = 'none';

export function isFeedName(value: unknown): value is FeedName {
  return typeof value === 'string' && (FEEDS as readonly string[]).includes(value);
}

export function isFaultMode(value: unknown): value is FaultMode {
  return typeof value === 'string' && (FAULT_MODES as readonly string[]).includes(value);
}

/** Per-feed fault switches; a feed's own switch wins over the '*' switch. */
export class FaultSwitch {
  private readonly modes = new Map<FeedName | '*', FaultMode>();

  set(feed: FeedName | '*', mode: FaultMode | null): void {
    if (mode === null) this.modes.delete(feed);
    else this.modes.set(feed, mode);
  }

  clear(): void {
    this.modes.clear();
  }

  modeFor(feed: FeedName): FaultMode | null {
    return this.modes.get(feed) ?? this.modes.get('*') ?? null;
  }

  /** Every switch, null when off. */
  snapshot(): Record<FeedName | '*', FaultMode | null> {
    const result = { '*': this.modes.get('*') ?? null } as Record<FeedName | '*', FaultMode | null>;
    for (const feed of FEEDS) result[feed] = this.modes.get(feed) ?? null;
    return result;
  }
}

// ---------------------------------------------------------------------------------------------------------
// badrows: about 5% of rows get one bad value.

export type BadValue = 'negative' | 'text' | 'unknownUnit' | 'futureDate';
const BAD_VALUES: readonly BadValue[] = ['negative', 'text', 'unknownUnit', 'futureDate'];
export const BAD_ROW_SHARE = 0.05;
/** A code that is no GSO unit of Nghệ An. */
export const UNKNOWN_UNIT_CODE = '99999';
export const TEXT_VALUE = 'abc';

/** The bad value a row gets under `badrows`, or null for a good row; fixed by (feed, unit, row key). */
export function badValueFor(mode: FaultMode | null, feed: FeedName, unitCode: string, rowKey: string): BadValue | null {
  if (mode !== 'badrows') return null;
  const draw = uniform(feed, 'badrows', unitCode, rowKey);
  if (draw >= BAD_ROW_SHARE) return null;
  return BAD_VALUES[Math.floor((draw / BAD_ROW_SHARE) * BAD_VALUES.length)];
}

/**
 * A typo-like future year: the middle digits of the year swapped (2024 → 2204, 2025 → 2205), so the date is
 * always in the future yet the same every day.
 */
export function futureYear(year: string): string {
  return `${year[0]}${year[2]}${year[1]}${year[3]}`;
}

/** A negative count derived from the real one. */
export function negativeOf(value: number): number {
  return -(value + 1);
}

// ---------------------------------------------------------------------------------------------------------
// malformed: bodies that no parser accepts.

/** Truncated JSON followed by a proxy's note: never valid, whatever the document. */
export function malformedJson(text: string): string {
  const cut = Math.max(1, Math.floor(text.length * 0.6));
  return `${text.slice(0, cut)}\n<!-- upstream: connection reset by peer -->\n`;
}

/**
 * A CSV export with broken quoting: every ninth data row has an unescaped quote inside a quoted field, and the
 * file ends inside an unclosed quoted field.
 */
export function malformedCsv(text: string, lineBreak: string): string {
  const lines = text.split(lineBreak);
  const trailing = lines[lines.length - 1] === '' ? lines.pop() : undefined;
  const broken = lines.map((line, index) => {
    if (index === 0 || index % 9 !== 4) return line;
    const [first, ...rest] = line.split(';');
    return [`"${first} "PCC""`, ...rest].join(';');
  });
  const last = lines.length > 1 ? lines[lines.length - 1] : `${UNKNOWN_UNIT_CODE};01/01/2024;0`;
  const [first, ...rest] = last.split(';');
  broken.push(`${first};"${rest.join(';')}`);
  return broken.join(lineBreak) + (trailing === undefined ? '' : lineBreak);
}
