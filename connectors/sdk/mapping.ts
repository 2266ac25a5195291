/**
 * The mapping from a source record to an observation row: each target takes a constant or a source field
 * (a dotted path), optionally through a lookup table and a transform. Mappings are versioned per connector.
 */
import { z } from 'zod';
import { periodContaining, type Frequency } from '../../src/common/period';
import type { RawRecord } from './contract';

const TRANSFORMS = ['dateToPeriod', 'dhis2Period', 'number', 'trim'] as const;
export type Transform = (typeof TRANSFORMS)[number];

/** How a source writes dates, for `dateToPeriod` (default ISO, a date-time's date part included). */
const DATE_FORMATS = ['YYYY-MM-DD', 'DD/MM/YYYY', 'MM/DD/YYYY', 'YYYYMMDD'] as const;
export type SourceDateFormat = (typeof DATE_FORMATS)[number];

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

/** A row in the hub's terms, not yet validated: values are still as the source gave them. */
export interface ObservationRow {
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

/** The ISO date a source date stands for, or '' when it does not match the format. */
function isoDate(value: unknown, format: SourceDateFormat): string {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value !== 'string') return '';
  const text = value.trim();
  let year: string | undefined;
  let month: string | undefined;
  let day: string | undefined;
  const slashed = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  if (format === 'DD/MM/YYYY' && slashed) [, day, month, year] = slashed;
  else if (format === 'MM/DD/YYYY' && slashed) [, month, day, year] = slashed;
  else if (format === 'YYYYMMDD') [, year, month, day] = /^(\d{4})(\d{2})(\d{2})$/.exec(text) ?? [];
  else if (format === 'YYYY-MM-DD') [, year, month, day] = /^(\d{4})-(\d{2})-(\d{2})/.exec(text) ?? [];
  return year && month && day ? `${year}-${month.padStart(2, '0')}-${day.padStart(2, '0')}` : '';
}

function applyTransform(
  value: unknown,
  transform: Transform | undefined,
  frequency: Frequency | undefined,
  dateFormat: SourceDateFormat = 'YYYY-MM-DD',
): unknown {
  if (value === undefined || value === null || !transform) return value;
  switch (transform) {
    case 'trim':
      return typeof value === 'string' ? value.trim() : value;
    case 'number': {
      if (typeof value === 'number') return value;
      const text = String(value).trim().replace(/\s/g, '');
      return text === '' ? value : Number(text);
    }
    case 'dhis2Period':
      return typeof value === 'string' ? dhis2PeriodToPeriod(value.trim()) : value;
    case 'dateToPeriod': {
      // A date or date-time becomes the period of the metric's frequency that contains it.
      const date = isoDate(value, dateFormat);
      if (!frequency || !date) return value;
      try {
        return periodContaining(date, frequency).text;
      } catch {
        return value;
      }
    }
  }
}

function resolve(record: RawRecord, ref: FieldRef | undefined, frequency?: Frequency): unknown {
  if (!ref) return undefined;
  if ('constant' in ref) return ref.constant;
  let value = fieldValue(record, ref.field);
  if (ref.lookup && value !== undefined && value !== null) value = ref.lookup[String(value)] ?? value;
  return applyTransform(value, ref.transform, frequency, ref.dateFormat);
}

/** Applies a mapping to one record; anything missing or malformed is left for validation to reject. */
export function applyMapping(
  record: RawRecord,
  mapping: Mapping,
  metricFrequencies: ReadonlyMap<string, Frequency>,
): ObservationRow {
  const metric = resolve(record, mapping.metric);
  const frequency = typeof metric === 'string' ? metricFrequencies.get(metric) : undefined;
  return {
    metric,
    unit: resolve(record, mapping.unit),
    period: resolve(record, mapping.period, frequency),
    value: resolve(record, mapping.value),
    numerator: resolve(record, mapping.numerator),
    denominator: resolve(record, mapping.denominator),
  };
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
): ObservationRow[] {
  return mappingsOf(mapping).map((single) => applyMapping(record, single, metricFrequencies));
}

/** Metric codes a connector mapping names through constants and lookups. */
export function metricCodesOf(mapping: ConnectorMapping): string[] {
  return [...new Set(mappingsOf(mapping).flatMap(metricCodesNamedBy))];
}
