/**
 * Rejected rows as they are stored and shown: the message bounded, the row as the source sent it as JSON that
 * always parses (each value bounded on its own, never the serialized text cut).
 */
import { TransformRefusal, type ObservationRow } from '../../connectors/sdk/mapping';
import type { RowRejection } from './validation';

const MESSAGE_LIMIT = 500;
/** Characters of one raw value a rejection keeps (a longer value is kept as its beginning and its length). */
export const RAW_VALUE_LIMIT = 200;
/** Fields of one raw row a rejection keeps. */
const RAW_KEY_LIMIT = 12;

function truncate(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let cut = text.slice(0, limit - 1);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1); // never split a surrogate pair
  return `${cut}…`;
}

/**
 * The row as received, as JSON that always parses: each value is bounded on its own (a value longer than
 * RAW_VALUE_LIMIT characters becomes `{ "truncated": <its first characters>, "length": <its length> }`), never by
 * cutting the serialized text; values JSON cannot show (NaN, Infinity, bigint) are kept as text. A value a transform
 * refused is shown as the source sent it.
 */
export function rawJson(row: ObservationRow): string {
  if (row === null || typeof row !== 'object' || Array.isArray(row)) return JSON.stringify({ row: boundedValue(row) });
  const result: Record<string, unknown> = {};
  const keys = Object.keys(row);
  for (const key of keys.slice(0, RAW_KEY_LIMIT)) result[boundedText(key, 100)] = boundedValue((row as unknown as Record<string, unknown>)[key]);
  if (keys.length > RAW_KEY_LIMIT) result['…'] = `${keys.length - RAW_KEY_LIMIT} more fields`;
  return JSON.stringify(result);
}

/** A key name or short text cut to `limit` characters (never inside a surrogate pair). */
function boundedText(text: string, limit: number): string {
  return text.length <= limit ? text : truncate(text, limit);
}

/** One value of a raw row, as JSON can show it and at most RAW_VALUE_LIMIT characters of it. */
function boundedValue(value: unknown): unknown {
  if (value instanceof TransformRefusal) return boundedValue(value.sent);
  if (value === undefined) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return boundedValue(value.toString());
  if (typeof value === 'string') {
    return value.length <= RAW_VALUE_LIMIT ? value : { truncated: truncate(value, RAW_VALUE_LIMIT), length: value.length };
  }
  if (value === null || typeof value === 'boolean') return value;
  let text: string;
  try {
    text =
      JSON.stringify(value, (_key, inner: unknown) => {
        if (inner instanceof TransformRefusal) return inner.sent;
        if (typeof inner === 'number' && !Number.isFinite(inner)) return String(inner);
        if (typeof inner === 'bigint') return inner.toString();
        return inner;
      }) ?? String(value);
  } catch {
    text = String(value);
  }
  if (text.length <= RAW_VALUE_LIMIT) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return { truncated: truncate(text, RAW_VALUE_LIMIT), length: text.length };
}

/** A rejection's message as kept: at most MESSAGE_LIMIT characters. */
export function boundedMessage(message: string): string {
  return truncate(message, MESSAGE_LIMIT);
}

/** A rejection as it is stored (and as a push answers it): message bounded, raw as parseable JSON. */
export function storedRejection(rejection: RowRejection): { rowIndex: number; reason: string; message: string; raw: string } {
  return { rowIndex: rejection.rowIndex, reason: rejection.reason, message: boundedMessage(rejection.message), raw: rawJson(rejection.raw) };
}

/** Parses a stored raw row; a row stored before raw values were bounded one by one may be cut mid-text. */
export function parseStoredRaw(raw: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    return { row: parsed };
  } catch {
    return { unparsed: { truncated: truncate(raw, RAW_VALUE_LIMIT), length: raw.length } };
  }
}
