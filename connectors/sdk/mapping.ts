/**
 * The mapping from a source record to an observation row: each target takes a constant or a source field
 * (a dotted path), optionally through a lookup table and a transform. Mappings are versioned per connector.
 */
import { z } from 'zod';
import { todayIn } from '../../src/common/clock';
import { isValidDate, periodContaining, type Frequency } from '../../src/common/period';
import type { RawRecord } from './contract';

const TRANSFORMS = ['dateToPeriod', 'dhis2Period', 'number', 'trim'] as const;
export type Transform = (typeof TRANSFORMS)[number];

/** How a source writes dates, for `dateToPeriod` (default ISO, a date-time's date part included). */
const DATE_FORMATS = ['YYYY-MM-DD', 'DD/MM/YYYY', 'MM/DD/YYYY', 'YYYYMMDD'] as const;
export type SourceDateFormat = (typeof DATE_FORMATS)[number];

/** How a source writes numbers, for `number`: `vi` 1.234,5 (dot groups thousands), `en` 1,234.5. */
const NUMBER_LOCALES = ['vi', 'en'] as const;
export type NumberLocale = (typeof NUMBER_LOCALES)[number];

export const fieldRefSchema = z.union([
  z.object({ constant: z.union([z.string().min(1), z.number()]) }).strict(),
  z
    .object({
      /** Dotted path into the record, e.g. `attributes.count`. */
      field: z.string().min(1).max(200),
      /** Source value → hub value, e.g. DHIS2 data element id → metric code. */
      lookup: z.record(z.string(), z.string()).optional(),
      transform: z.enum(TRANSFORMS).optional(),
      dateFormat: z.enum(DATE_FORMATS).optional(),
      locale: z.enum(NUMBER_LOCALES).optional(),
    })
    .strict(),
]);
export type FieldRef = z.infer<typeof fieldRefSchema>;

export const mappingSchema = z
  .object({
    metric: fieldRefSchema,
    unit: fieldRefSchema,
    period: fieldRefSchema,
    value: fieldRefSchema.optional(),
    numerator: fieldRefSchema.optional(),
    denominator: fieldRefSchema.optional(),
  })
  .strict()
  .refine((mapping) => mapping.value || (mapping.numerator && mapping.denominator), {
    message: 'map value, or numerator and denominator',
    path: ['value'],
  });
export type Mapping = z.infer<typeof mappingSchema>;

/** The mapping push connectors use: rows arrive already in the hub's shape. */
export const IDENTITY_MAPPING: Mapping = {
  metric: { field: 'metric' },
  unit: { field: 'unit' },
  period: { field: 'period' },
  value: { field: 'value' },
  numerator: { field: 'numerator' },
  denominator: { field: 'denominator' },
};

/**
 * A source value a transform refused: it takes the field's place in the row, and validation rejects the row
 * naming the transform and the value as the source sent it (JSON shows the value as sent).
 */
export class TransformRefusal {
  constructor(
    readonly transform: Transform,
    /** The value as the source sent it, before any transform. */
    readonly sent: unknown,
    /** Why, e.g. `"1.234" is ambiguous: …`, in Vietnamese and English. */
    readonly problem: Problem,
  ) {}

  toJSON(): unknown {
    return this.sent;
  }
}

/** Where a mapped row keeps the values its transforms changed, as the source sent them (not enumerable). */
export const SENT_VALUES: unique symbol = Symbol('sentValues');

/** Options a connector gives to its mapping. */
export interface MappingOptions {
  /** IANA zone a time stamp is converted to before its period is taken (default UTC); the connector's zone. */
  timeZone?: string;
}

/** A row in the hub's terms, not yet validated: values are still as the source gave them. */
export interface ObservationRow {
  [SENT_VALUES]?: Partial<Record<'metric' | 'unit' | 'period' | 'value' | 'numerator' | 'denominator', unknown>>;
  metric: unknown;
  unit: unknown;
  period: unknown;
  value?: unknown;
  numerator?: unknown;
  denominator?: unknown;
}

function fieldValue(record: RawRecord, path: string): unknown {
  let current: unknown = record;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** DHIS2 period strings (20240315, 2024W10, 202403, 2024Q1, 2024) in the hub's canonical form. */
export function dhis2PeriodToPeriod(text: string): string {
  const match =
    /^(\d{4})(\d{2})(\d{2})$/.exec(text) ??
    /^(\d{4})W(\d{1,2})$/.exec(text) ??
    /^(\d{4})(\d{2})$/.exec(text) ??
    /^(\d{4})Q([1-4])$/.exec(text) ??
    /^(\d{4})$/.exec(text);
  if (!match) return text;
  if (/^\d{8}$/.test(text)) return `${match[1]}-${match[2]}-${match[3]}`;
  if (text.includes('W')) return `${match[1]}-W${match[2].padStart(2, '0')}`;
  if (text.includes('Q')) return `${match[1]}-Q${match[2]}`;
  if (/^\d{6}$/.test(text)) return `${match[1]}-${match[2]}`;
  return match[1];
}

/** Why a value is refused, in Vietnamese and in English. */
export interface Problem {
  vi: string;
  en: string;
}

/** Invisible characters a source may leave in a value (a byte-order mark, zero-width spaces and joiners, a soft hyphen). */
const INVISIBLE = /[\uFEFF\u200B-\u200D\u2060\u00AD]/;

/** Names the first invisible character of `text`, or null: "an invisible byte-order mark (U+FEFF)". */
export function invisibleCharacter(text: string): Problem | null {
  const match = INVISIBLE.exec(text);
  if (!match) return null;
  const code = `U+${match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  if (match[0] === '\uFEFF') return { vi: `một dấu thứ tự byte (BOM) vô hình (${code})`, en: `an invisible byte-order mark (${code})` };
  if (match[0] === '\u00AD') return { vi: `một dấu gạch nối mềm vô hình (${code})`, en: `an invisible soft hyphen (${code})` };
  return { vi: `một ký tự vô hình độ rộng bằng 0 (${code})`, en: `an invisible zero-width character (${code})` };
}

/**
 * Blanks removed from both ends, but not a byte-order mark (String#trim removes U+FEFF too): a mark stays, so
 * the value is refused naming it, as on every other path.
 */
export function trimBlanks(text: string): string {
  return text.replace(/^[^\S\uFEFF]+|[^\S\uFEFF]+$/g, '');
}

/** Shows a value as sent, in messages: strings quoted (shortened), other values as JSON would. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return `a date ${Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()}`;
  return Array.isArray(value) ? 'an array' : `${typeof value === 'object' ? 'an object' : typeof value}`;
}

/** Spaces that may group thousands: blank, no-break space, narrow no-break space, thin space. */
const GROUP_SPACE = /(\d)[ \u00A0\u202F\u2009](?=\d{3}(?:\D|$))/g;
/** A dot after one to three digits (not starting with 0) then exactly three: thousands in vi, decimals in en. */
const AMBIGUOUS = /^[+-]?[1-9]\d{0,2}\.\d{3}$/;
const PLAIN = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * The `number` transform: a number as the source writes it in `locale` (vi: 1.234,5; en: 1,234.5), or why not.
 * Without a locale only plain decimals with a dot are read, and a lone dot followed by three digits ("1.234",
 * 1234 in Vietnamese, 1.234 in English) is refused as ambiguous rather than guessed.
 */
export function parseSourceNumber(value: unknown, locale?: NumberLocale): number | Problem {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : { vi: `${value} không phải là số hữu hạn`, en: `${value} is not a finite number` };
  }
  if (typeof value !== 'string') return { vi: `${shown(value)} không phải là số hay chuỗi ký tự`, en: `${shown(value)} is not a number nor a text` };
  const invisible = invisibleCharacter(value);
  if (invisible) return { vi: `${shown(value)} chứa ${invisible.vi}`, en: `${shown(value)} contains ${invisible.en}` };
  const text = value.trim().replace(GROUP_SPACE, '$1');
  if (text === '') return { vi: 'chuỗi rỗng', en: 'the text is empty' };
  let plain: string | null = null;
  if (locale === 'vi') {
    if (/^[+-]?[1-9]\d{0,2}(\.\d{3})+(,\d+)?$/.test(text) || /^[+-]?\d+(,\d+)?$/.test(text)) plain = text.replace(/\./g, '').replace(',', '.');
    else if (/^[+-]?[\d.,]+$/.test(text)) {
      return {
        vi: `${shown(value)} không phải là số viết theo kiểu vi (1.234,5: dấu chấm ngăn hàng nghìn, dấu phẩy ngăn phần thập phân)`,
        en: `${shown(value)} is not a number written in vi (1.234,5: a dot groups thousands, a comma starts the decimals)`,
      };
    }
  } else if (locale === 'en') {
    if (/^[+-]?[1-9]\d{0,2}(,\d{3})+(\.\d+)?$/.test(text) || PLAIN.test(text)) plain = text.replace(/,/g, '');
    else if (/^[+-]?[\d.,]+$/.test(text)) {
      return {
        vi: `${shown(value)} không phải là số viết theo kiểu en (1,234.5: dấu phẩy ngăn hàng nghìn, dấu chấm ngăn phần thập phân)`,
        en: `${shown(value)} is not a number written in en (1,234.5: a comma groups thousands, a dot starts the decimals)`,
      };
    }
  } else if (PLAIN.test(text)) {
    if (AMBIGUOUS.test(text)) {
      const thousands = text.replace('.', '');
      return {
        vi: `${shown(value)} mơ hồ: là ${thousands} theo kiểu vi, ${text} theo kiểu en; hãy đặt locale cho ánh xạ`,
        en: `${shown(value)} is ambiguous: ${thousands} in vi, ${text} in en; set the mapping's locale`,
      };
    }
    plain = text;
  } else if (/^[+-]?[\d.,]+$/.test(text)) {
    return {
      vi: `${shown(value)} mơ hồ: dấu ngăn cách có nghĩa khác nhau theo kiểu vi (1.234,5) và en (1,234.5); hãy đặt locale cho ánh xạ`,
      en: `${shown(value)} is ambiguous: the separators mean different numbers in vi (1.234,5) and en (1,234.5); set the mapping's locale`,
    };
  }
  if (plain === null) return { vi: `${shown(value)} không phải là số`, en: `${shown(value)} is not a number` };
  const number = Number(plain);
  if (!Number.isFinite(number)) return { vi: `${shown(value)} quá lớn, không biểu diễn được thành số`, en: `${shown(value)} is too large to be a number` };
  return number === 0 ? 0 : number;
}

/** The ISO date a source date-only value stands for, or null when it does not match the format. */
function sourceDate(text: string, format: SourceDateFormat): string | null {
  let year: string | undefined;
  let month: string | undefined;
  let day: string | undefined;
  const slashed = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  if (format === 'DD/MM/YYYY' && slashed) [, day, month, year] = slashed;
  else if (format === 'MM/DD/YYYY' && slashed) [, month, day, year] = slashed;
  else if (format === 'YYYYMMDD') [, year, month, day] = /^(\d{4})(\d{2})(\d{2})$/.exec(text) ?? [];
  else if (format === 'YYYY-MM-DD') [, year, month, day] = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text) ?? [];
  return year && month && day ? `${year}-${month.padStart(2, '0')}-${day.padStart(2, '0')}` : null;
}

/** An ISO time stamp: date, time, and optionally an offset or Z. */
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * The calendar date (in `timeZone`) a source date or time stamp stands for, or why it stands for none: a date-only
 * value as written; a time stamp with an offset or Z converted to `timeZone` first; a time stamp without an
 * offset read in `timeZone` (its date as written).
 */
export function sourceDateIn(value: unknown, format: SourceDateFormat, timeZone: string): string | Problem {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return { vi: 'ngày không hợp lệ', en: 'the date is invalid' };
    return todayIn(timeZone, value);
  }
  if (typeof value !== 'string') return { vi: `${shown(value)} không phải là chuỗi ngày`, en: `${shown(value)} is not a date text` };
  const invisible = invisibleCharacter(value);
  if (invisible) return { vi: `${shown(value)} chứa ${invisible.vi}`, en: `${shown(value)} contains ${invisible.en}` };
  const text = value.trim();
  const date = sourceDate(text, format);
  if (date !== null) return isValidDate(date) ? date : { vi: `${shown(value)} không phải là ngày có thật`, en: `${shown(value)} is not a calendar date` };
  const stamp = format === 'YYYY-MM-DD' ? TIMESTAMP.exec(text) : null;
  if (!stamp) {
    const expected = format === 'YYYY-MM-DD' ? 'YYYY-MM-DD, or a time stamp YYYY-MM-DDThh:mm[:ss][Z|±hh:mm]' : format;
    return { vi: `${shown(value)} không đúng dạng ${expected}`, en: `${shown(value)} does not match ${expected}` };
  }
  const invalid = { vi: `${shown(value)} không phải là thời điểm hợp lệ`, en: `${shown(value)} is not a valid time stamp` };
  const [, day, hours, minutes, seconds = '00', offset] = stamp;
  if (!isValidDate(day) || Number(hours) > 23 || Number(minutes) > 59 || Number(seconds) > 59) return invalid;
  if (offset === undefined) return day; // local time in the connector's zone: its date as written
  let zone = offset.toUpperCase();
  if (zone !== 'Z') {
    const digits = zone.replace(':', '');
    zone = `${digits.slice(0, 3)}:${digits.length > 3 ? digits.slice(3) : '00'}`;
    if (Number(zone.slice(1, 3)) > 18 || Number(zone.slice(4)) > 59) return invalid;
  }
  const instant = new Date(`${day}T${hours}:${minutes}:${seconds}${zone}`);
  if (Number.isNaN(instant.getTime())) return invalid;
  return todayIn(timeZone, instant);
}

function applyTransform(value: unknown, ref: Extract<FieldRef, { field: string }>, frequency: Frequency | undefined, options: MappingOptions): unknown {
  const { transform } = ref;
  if (value === undefined || value === null || !transform) return value;
  switch (transform) {
    case 'trim':
      return typeof value === 'string' ? trimBlanks(value) : value;
    case 'number': {
      const number = parseSourceNumber(value, ref.locale);
      return typeof number === 'number' ? number : new TransformRefusal('number', value, number);
    }
    case 'dhis2Period':
      return typeof value === 'string' ? dhis2PeriodToPeriod(trimBlanks(value)) : value;
    case 'dateToPeriod': {
      // A date or time stamp becomes the period of the metric's frequency that contains it (an unknown metric is
      // rejected by validation).
      if (!frequency) return value;
      const date = sourceDateIn(value, ref.dateFormat ?? 'YYYY-MM-DD', options.timeZone ?? 'UTC');
      if (typeof date !== 'string') return new TransformRefusal('dateToPeriod', value, date);
      try {
        return periodContaining(date, frequency).text;
      } catch (error) {
        const message = (error as Error).message;
        return new TransformRefusal('dateToPeriod', value, { vi: `${shown(value)}: ${message}`, en: `${shown(value)}: ${message}` });
      }
    }
  }
}

type Target = 'metric' | 'unit' | 'period' | 'value' | 'numerator' | 'denominator';

function resolve(record: RawRecord, ref: FieldRef | undefined, sent: NonNullable<ObservationRow[typeof SENT_VALUES]>, target: Target, frequency?: Frequency, options: MappingOptions = {}): unknown {
  if (!ref) return undefined;
  if ('constant' in ref) return ref.constant;
  let value = fieldValue(record, ref.field);
  if (ref.lookup && value !== undefined && value !== null) value = ref.lookup[String(value)] ?? value;
  const result = applyTransform(value, ref, frequency, options);
  if (result !== value) sent[target] = value;
  return result;
}

/** The row with every transformed value as the source sent it: what a rejection keeps as raw. */
export function rowAsSent(row: ObservationRow): ObservationRow {
  if (row === null || typeof row !== 'object') return row;
  const sent = row[SENT_VALUES];
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) copy[key] = value instanceof TransformRefusal ? value.sent : value;
  if (sent) for (const [key, value] of Object.entries(sent)) copy[key] = value;
  return copy as unknown as ObservationRow;
}

/** Applies a mapping to one record; anything missing or malformed is left for validation to reject. */
export function applyMapping(
  record: RawRecord,
  mapping: Mapping,
  metricFrequencies: ReadonlyMap<string, Frequency>,
  options: MappingOptions = {},
): ObservationRow {
  const sent: NonNullable<ObservationRow[typeof SENT_VALUES]> = {};
  const metric = resolve(record, mapping.metric, sent, 'metric');
  const frequency = typeof metric === 'string' ? metricFrequencies.get(metric) : undefined;
  const row: ObservationRow = {
    metric,
    unit: resolve(record, mapping.unit, sent, 'unit'),
    period: resolve(record, mapping.period, sent, 'period', frequency, options),
    value: resolve(record, mapping.value, sent, 'value'),
    numerator: resolve(record, mapping.numerator, sent, 'numerator'),
    denominator: resolve(record, mapping.denominator, sent, 'denominator'),
  };
  if (Object.keys(sent).length > 0) Object.defineProperty(row, SENT_VALUES, { value: sent, enumerable: false });
  return row;
}

/** Metric codes a mapping can produce from constants and lookups, checked against the catalogue at registration. */
export function metricCodesNamedBy(mapping: Mapping): string[] {
  const ref = mapping.metric;
  if ('constant' in ref) return [String(ref.constant)];
  return ref.lookup ? Object.values(ref.lookup) : [];
}

/**
 * A connector's mapping: one mapping (one row per record), or `{ rows: [...] }` when each record yields several
 * rows, e.g. a record with both `monitored` and `idMismatch` counts for two metrics.
 */
export const connectorMappingSchema = z.union([
  mappingSchema,
  z.object({ rows: z.array(mappingSchema).min(1).max(20) }).strict(),
]);
export type ConnectorMapping = z.infer<typeof connectorMappingSchema>;

function mappingsOf(mapping: ConnectorMapping): Mapping[] {
  return 'rows' in mapping ? mapping.rows : [mapping];
}

/** The rows one record yields under a connector's mapping. */
export function applyConnectorMapping(
  record: RawRecord,
  mapping: ConnectorMapping,
  metricFrequencies: ReadonlyMap<string, Frequency>,
  options: MappingOptions = {},
): ObservationRow[] {
  return mappingsOf(mapping).map((single) => applyMapping(record, single, metricFrequencies, options));
}

/** Metric codes a connector mapping names through constants and lookups. */
export function metricCodesOf(mapping: ConnectorMapping): string[] {
  return [...new Set(mappingsOf(mapping).flatMap(metricCodesNamedBy))];
}
