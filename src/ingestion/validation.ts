/**
 * Validation of observation rows against the catalogue: pure functions, no database access. Every refused row
 * gets one reason code and a message that names the field and the value at fault.
 */
import { invisibleCharacter, TransformRefusal, type ObservationRow } from '../../connectors/sdk/mapping';
import { MetricKind, type UnitLevel } from '../common/enums';
import { parsePeriod, PeriodError, type Frequency, type Period } from '../common/period';

export enum RejectionReason {
  UNKNOWN_METRIC = 'UNKNOWN_METRIC',
  UNKNOWN_UNIT = 'UNKNOWN_UNIT',
  UNIT_NOT_VALID_FOR_PERIOD = 'UNIT_NOT_VALID_FOR_PERIOD',
  MALFORMED_PERIOD = 'MALFORMED_PERIOD',
  WRONG_FREQUENCY = 'WRONG_FREQUENCY',
  FUTURE_PERIOD = 'FUTURE_PERIOD',
  MISSING_VALUE = 'MISSING_VALUE',
  NOT_A_NUMBER = 'NOT_A_NUMBER',
  NEGATIVE_VALUE = 'NEGATIVE_VALUE',
  RATE_OUT_OF_RANGE = 'RATE_OUT_OF_RANGE',
  NUMERATOR_EXCEEDS_DENOMINATOR = 'NUMERATOR_EXCEEDS_DENOMINATOR',
  DUPLICATE_KEY = 'DUPLICATE_KEY',
  METRIC_NOT_ALLOWED = 'METRIC_NOT_ALLOWED',
  VALUE_OUT_OF_RANGE = 'VALUE_OUT_OF_RANGE',
  NOT_AN_INTEGER = 'NOT_AN_INTEGER',
  METRIC_RETIRED = 'METRIC_RETIRED',
  WRONG_LEVEL = 'WRONG_LEVEL',
}

/** A row the ingestion path refused: its position in what the run read, why, and the row as received. */
export interface RowRejection {
  rowIndex: number;
  reason: RejectionReason;
  message: string;
  raw: ObservationRow;
}

/** The catalogue facts validation needs about a metric. */
export interface CatalogueMetric {
  id: number;
  code: string;
  kind: MetricKind;
  frequency: Frequency;
  departmentId: number;
  departmentCode: string | null;
  /** The metric's own bounds (null: the kind's); they only narrow the kind's range. */
  minValue?: number | null;
  maxValue?: number | null;
  /** Day the metric was retired (YYYY-MM-DD); a retired metric accepts no new values. */
  retiredOn?: string | null;
  /** Unit levels its values are reported at; rows of a unit at another level are refused (absent: any level). */
  levels?: readonly UnitLevel[];
}

/** Values of COUNT and STOCK metrics stay below this (and so do numerators and denominators): sums of them stay exact enough and finite. */
export const VALUE_LIMIT = 1e15;

/** The range a metric's values must fall in, and whether they must be whole numbers. */
export function valueRange(metric: Pick<CatalogueMetric, 'kind' | 'minValue' | 'maxValue'>): { min: number; max: number; integer: boolean; maxExclusive: boolean } {
  const kindMax = metric.kind === MetricKind.RATE ? 100 : VALUE_LIMIT;
  const own = (bound: number | null | undefined): number | null => (typeof bound === 'number' && Number.isFinite(bound) ? bound : null);
  const min = Math.max(0, own(metric.minValue) ?? 0);
  const ownMax = own(metric.maxValue);
  const narrower = ownMax !== null && ownMax < kindMax;
  return { min, max: narrower ? ownMax : kindMax, integer: metric.kind === MetricKind.COUNT, maxExclusive: !narrower && metric.kind !== MetricKind.RATE };
}

/** Vietnamese names of the fields a message names. */
const FIELD_VI: Record<string, string> = { value: 'giá trị', numerator: 'tử số', denominator: 'mẫu số', period: 'kỳ', unit: 'đơn vị', metric: 'chỉ tiêu' };

/** Vietnamese names of the unit levels a message names. */
const LEVEL_VI: Record<UnitLevel, string> = { PROVINCE: 'tỉnh', DISTRICT: 'huyện', COMMUNE: 'xã' };

/** 31/03/2024 for 2024-03-31. */
function vietnameseDate(day: string): string {
  const [year, month, date] = day.split('-');
  return `${date}/${month}/${year}`;
}

/** A message for department staff: Vietnamese first, English beside it. */
export function bilingual(vi: string, en: string): string {
  return `${vi} — ${en}`;
}

/** One edition of an administrative unit: in force from validFrom (inclusive) to validTo (exclusive). */
export interface UnitVersion {
  id: number;
  code: string;
  name: string;
  validFrom: string;
  validTo: string | null;
  /** Its level (absent: not checked against the metric's levels). */
  level?: UnitLevel;
}

/** A row that passed validation, in the hub's terms. */
export interface ValidRow {
  /** Position in the call's rows (without the origin's rowOffset). */
  index: number;
  metricId: number;
  unitId: number;
  period: string;
  periodStart: string;
  periodEnd: string;
  value: number;
  numerator: number | null;
  denominator: number | null;
}

export interface ValidationContext {
  metricsByCode: ReadonlyMap<string, CatalogueMetric>;
  /** Every edition of each unit code. */
  unitsByCode: ReadonlyMap<string, readonly UnitVersion[]>;
  /** When set, metrics of other departments are refused. */
  departmentIds?: ReadonlySet<number>;
  /** YYYY-MM-DD: periods starting after it are refused. */
  today: string;
}

/** A given RATE value may differ from 100 × numerator / denominator by this much (values rounded to 2 decimals pass). */
export const RATE_TOLERANCE = 0.01;

class Rejected {
  constructor(
    readonly reason: RejectionReason,
    readonly message: string,
  ) {}
}

const reject = (reason: RejectionReason, message: string): Rejected => new Rejected(reason, message);

/** A value as it appears in messages: strings quoted (and shortened), numbers as numbers, other types named. */
export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** Shows a computed number without floating-point noise (at most 6 decimals). */
function show(value: number): string {
  return String(Number(value.toFixed(6)));
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A finite number from a number or a decimal string (surrounding blanks allowed); null when it is not one. */
export function toNumber(value: unknown): number | null {
  let result: number;
  if (typeof value === 'number') result = value;
  else if (typeof value === 'bigint') result = Number(value);
  else if (typeof value === 'string') {
    const text = value.trim();
    if (!DECIMAL.test(text)) return null;
    result = Number(text);
  } else return null;
  if (!Number.isFinite(result)) return null;
  return result === 0 ? 0 : result; // -0 is stored and compared as 0
}

const isAbsent = (value: unknown): boolean => value === undefined || value === null;

/** A code given as a string, or as a whole number (sources such as CSV files often type codes as numbers). */
function codeText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  return null;
}

function exampleOf(frequency: Frequency): string {
  return { DAY: '2024-03-15', WEEK: '2024-W10', MONTH: '2024-03', QUARTER: '2024-Q1', YEAR: '2024' }[frequency];
}

/**
 * Validates rows one by one. Caches period parsing and unit resolution: a batch repeats the same periods and
 * units many times.
 */
export class RowValidator {
  private readonly periods = new Map<string, Period | Rejected>();
  private readonly units = new Map<string, UnitVersion | Rejected>();

  constructor(private readonly context: ValidationContext) {}

  /** The row in the hub's terms, or why it is refused. Duplicates are the caller's business. */
  validate(row: ObservationRow, index: number): ValidRow | Rejected {
    if (row === null || typeof row !== 'object') {
      return reject(
        RejectionReason.MISSING_VALUE,
        bilingual(
          `dòng là ${describe(row)}, không phải một đối tượng có metric, unit, period và value`,
          `row is ${describe(row)}, not an object with metric, unit, period and value`,
        ),
      );
    }
    const refused = refusedField(row);
    if (refused) return refused;
    const metric = this.metric(row.metric);
    if (metric instanceof Rejected) return metric;

    const unitCode = codeText(row.unit);
    if (unitCode === null || !this.context.unitsByCode.has(unitCode)) {
      const invisible = typeof row.unit === 'string' ? invisibleCharacter(row.unit) : null;
      if (invisible) {
        return reject(
          RejectionReason.UNKNOWN_UNIT,
          bilingual(
            `đơn vị ${describe(row.unit)} không phải là mã đơn vị hành chính đã biết: mã chứa ${invisible.vi}`,
            `unit ${describe(row.unit)} is not a known administrative unit code: the code contains ${invisible.en}`,
          ),
        );
      }
      return reject(
        RejectionReason.UNKNOWN_UNIT,
        bilingual(`đơn vị ${describe(row.unit)} không phải là mã đơn vị hành chính đã biết`, `unit ${describe(row.unit)} is not a known administrative unit code`),
      );
    }

    const period = this.period(row.period, metric);
    if (period instanceof Rejected) return period;

    const unit = this.unit(unitCode, period);
    if (unit instanceof Rejected) return unit;
    if (metric.levels && unit.level && !metric.levels.includes(unit.level)) {
      return reject(
        RejectionReason.WRONG_LEVEL,
        bilingual(
          `đơn vị "${unit.code}" (${unit.name}) là cấp ${LEVEL_VI[unit.level]}; chỉ tiêu "${metric.code}" báo cáo ở cấp ${metric.levels.map((level) => LEVEL_VI[level]).join(', ')}`,
          `unit "${unit.code}" (${unit.name}) is a ${unit.level} unit; metric "${metric.code}" is reported at ${metric.levels.join(', ')} level only`,
        ),
      );
    }

    const values = metric.kind === MetricKind.RATE ? rateValues(row, metric) : amountValues(row, metric);
    if (values instanceof Rejected) return values;

    return {
      index,
      metricId: metric.id,
      unitId: unit.id,
      period: period.text,
      periodStart: period.start,
      periodEnd: period.end,
      ...values,
    };
  }

  private metric(code: unknown): CatalogueMetric | Rejected {
    const metric = typeof code === 'string' ? this.context.metricsByCode.get(code) : undefined;
    if (!metric) {
      const invisible = typeof code === 'string' ? invisibleCharacter(code) : null;
      if (invisible) {
        return reject(
          RejectionReason.UNKNOWN_METRIC,
          bilingual(
            `chỉ tiêu ${describe(code)} không phải là mã chỉ tiêu đã biết: mã chứa ${invisible.vi}`,
            `metric ${describe(code)} is not a known metric code: the code contains ${invisible.en}`,
          ),
        );
      }
      const [problemVi, problem] = isAbsent(code) ? ['bị thiếu', 'is missing'] : ['không phải là mã chỉ tiêu đã biết', 'is not a known metric code'];
      return reject(RejectionReason.UNKNOWN_METRIC, bilingual(`chỉ tiêu ${describe(code)} ${problemVi}`, `metric ${describe(code)} ${problem}`));
    }
    if (metric.retiredOn) {
      return reject(
        RejectionReason.METRIC_RETIRED,
        bilingual(
          `chỉ tiêu "${metric.code}" đã ngừng theo dõi từ ${vietnameseDate(metric.retiredOn)}; không nhận giá trị mới`,
          `metric "${metric.code}" was retired on ${metric.retiredOn}; it accepts no new values`,
        ),
      );
    }
    const allowed = this.context.departmentIds;
    if (allowed && !allowed.has(metric.departmentId)) {
      return reject(
        RejectionReason.METRIC_NOT_ALLOWED,
        bilingual(
          `chỉ tiêu "${metric.code}" thuộc đơn vị ${metric.departmentCode ?? `#${metric.departmentId}`}; nguồn này chỉ được ghi chỉ tiêu của đơn vị mình`,
          `metric "${metric.code}" belongs to department ${metric.departmentCode ?? `#${metric.departmentId}`}; ` +
            'this source may only write metrics of its own department',
        ),
      );
    }
    return metric;
  }

  private period(given: unknown, metric: CatalogueMetric): Period | Rejected {
    const text = typeof given === 'number' && Number.isSafeInteger(given) ? String(given) : given;
    if (typeof text !== 'string') {
      return reject(
        RejectionReason.MALFORMED_PERIOD,
        bilingual(
          `kỳ ${describe(given)} ${isAbsent(given) ? 'bị thiếu' : 'không phải là chuỗi kỳ báo cáo'}`,
          `period ${describe(given)} is ${isAbsent(given) ? 'missing' : 'not a period string'}`,
        ),
      );
    }
    let period = this.periods.get(text);
    if (period === undefined) {
      const invisible = invisibleCharacter(text);
      if (invisible) {
        period = reject(RejectionReason.MALFORMED_PERIOD, bilingual(`kỳ ${describe(text)} chứa ${invisible.vi}`, `period ${describe(text)} contains ${invisible.en}`));
        this.periods.set(text, period);
        return period;
      }
      try {
        period = parsePeriod(text);
      } catch (error) {
        if (!(error instanceof PeriodError)) throw error;
        period = reject(RejectionReason.MALFORMED_PERIOD, bilingual(`kỳ ${describe(text)} sai định dạng`, `period ${describe(text)} is malformed: ${error.message}`));
      }
      this.periods.set(text, period);
    }
    if (period instanceof Rejected) return period;
    if (period.frequency !== metric.frequency) {
      return reject(
        RejectionReason.WRONG_FREQUENCY,
        bilingual(
          `kỳ "${period.text}" là kỳ ${period.frequency}; chỉ tiêu "${metric.code}" báo cáo theo ${metric.frequency} (ví dụ ${exampleOf(metric.frequency)})`,
          `period "${period.text}" is a ${period.frequency} period; metric "${metric.code}" is reported per ` +
            `${metric.frequency} (e.g. ${exampleOf(metric.frequency)})`,
        ),
      );
    }
    if (period.start > this.context.today) {
      return reject(
        RejectionReason.FUTURE_PERIOD,
        bilingual(
          `kỳ "${period.text}" bắt đầu ngày ${period.start}, sau hôm nay (${this.context.today})`,
          `period "${period.text}" starts ${period.start}, after today (${this.context.today})`,
        ),
      );
    }
    return period;
  }

  /** The edition of the unit in force for the whole period: validFrom ≤ start and end < validTo. */
  private unit(code: string, period: Period): UnitVersion | Rejected {
    const key = `${code}\u0000${period.text}`;
    let unit = this.units.get(key);
    if (unit === undefined) {
      const versions = this.context.unitsByCode.get(code) ?? [];
      unit =
        versions.find((version) => version.validFrom <= period.start && (version.validTo === null || period.end < version.validTo)) ??
        reject(
          RejectionReason.UNIT_NOT_VALID_FOR_PERIOD,
          bilingual(
            `đơn vị "${code}" không có hiệu lực trong suốt kỳ "${period.text}" (${period.start}..${period.end})`,
            `unit "${code}" is not in force for the whole period "${period.text}" (${period.start}..${period.end}): ` +
              versions
                .map((version) => `${version.name} is in force from ${version.validFrom}${version.validTo ? ` until ${version.validTo} (exclusive)` : ''}`)
                .join('; '),
          ),
        );
      this.units.set(key, unit);
    }
    return unit;
  }
}

type Values = Pick<ValidRow, 'value' | 'numerator' | 'denominator'>;

const TARGETS = ['metric', 'unit', 'period', 'value', 'numerator', 'denominator'] as const;

/** A field whose transform refused the source's value: the row is rejected naming the transform and the value as sent. */
function refusedField(row: ObservationRow): Rejected | null {
  for (const field of TARGETS) {
    const given = row[field];
    if (!(given instanceof TransformRefusal)) continue;
    const reason = field === 'period' ? RejectionReason.MALFORMED_PERIOD : field === 'metric' ? RejectionReason.UNKNOWN_METRIC : field === 'unit' ? RejectionReason.UNKNOWN_UNIT : RejectionReason.NOT_A_NUMBER;
    return reject(
      reason,
      bilingual(
        `${FIELD_VI[field]} ${describe(given.sent)} bị phép biến đổi ${given.transform} từ chối: ${given.problem.vi}`,
        `${field} ${describe(given.sent)} refused by transform ${given.transform}: ${given.problem.en}`,
      ),
    );
  }
  return null;
}

/** Parses one numeric field: undefined when absent, the number, or a rejection naming the field. */
function numberField(row: ObservationRow, field: 'value' | 'numerator' | 'denominator'): number | undefined | Rejected {
  const given = row[field];
  if (isAbsent(given)) return undefined;
  if (typeof given === 'string') {
    const invisible = invisibleCharacter(given);
    if (invisible) {
      return reject(
        RejectionReason.NOT_A_NUMBER,
        bilingual(`${FIELD_VI[field]} ${describe(given)} chứa ${invisible.vi}`, `${field} ${describe(given)} contains ${invisible.en}`),
      );
    }
  }
  const number = toNumber(given);
  if (number !== null) return number;
  return reject(RejectionReason.NOT_A_NUMBER, bilingual(`${FIELD_VI[field]} ${describe(given)} không phải là số`, `${field} ${describe(given)} is not a number`));
}

/** Numerators and denominators: below VALUE_LIMIT, so that sums of them stay finite. */
function boundedCount(field: 'numerator' | 'denominator', value: number, metric: CatalogueMetric): Rejected | null {
  if (value < VALUE_LIMIT) return null;
  return reject(
    RejectionReason.VALUE_OUT_OF_RANGE,
    bilingual(
      `${FIELD_VI[field]} ${show(value)} vượt giới hạn: phải nhỏ hơn 10^15 (chỉ tiêu "${metric.code}")`,
      `${field} ${show(value)} is out of range: it must be below 10^15 (metric "${metric.code}")`,
    ),
  );
}

/** A value within the metric's range (and a whole number for COUNT), or why not. */
function inRange(value: number, metric: CatalogueMetric): Rejected | null {
  const range = valueRange(metric);
  const tooHigh = range.maxExclusive ? value >= range.max : value > range.max;
  if (value < range.min || tooHigh) {
    const bounds = `${show(range.min)}..${range.maxExclusive ? `<${show(range.max)}` : show(range.max)}`;
    return reject(
      RejectionReason.VALUE_OUT_OF_RANGE,
      bilingual(
        `giá trị ${show(value)} nằm ngoài khoảng cho phép ${bounds} của chỉ tiêu ${metric.kind} "${metric.code}"`,
        `value ${show(value)} is outside the range ${bounds} allowed for ${metric.kind} metric "${metric.code}"`,
      ),
    );
  }
  if (range.integer && !Number.isInteger(value)) {
    return reject(
      RejectionReason.NOT_AN_INTEGER,
      bilingual(
        `giá trị ${show(value)} không phải là số nguyên; chỉ tiêu COUNT "${metric.code}" đếm số lượng nguyên`,
        `value ${show(value)} is not a whole number; COUNT metric "${metric.code}" counts whole items`,
      ),
    );
  }
  return null;
}

/** COUNT and STOCK: a non-negative value within the metric's range (whole for COUNT), no numerator or denominator. */
function amountValues(row: ObservationRow, metric: CatalogueMetric): Values | Rejected {
  if (!isAbsent(row.numerator) || !isAbsent(row.denominator)) {
    const field = isAbsent(row.numerator) ? 'denominator' : 'numerator';
    return reject(
      RejectionReason.NOT_A_NUMBER,
      bilingual(
        `có ${FIELD_VI[field]} ${describe(row[field])}: tử số/mẫu số chỉ dùng cho chỉ tiêu RATE; chỉ tiêu "${metric.code}" là ${metric.kind}`,
        `${field} ${describe(row[field])} given: numerator/denominator only apply to RATE metrics; metric "${metric.code}" is ${metric.kind}`,
      ),
    );
  }
  const value = numberField(row, 'value');
  if (value instanceof Rejected) return value;
  if (value === undefined) return reject(RejectionReason.MISSING_VALUE, bilingual(`thiếu giá trị (${describe(row.value)})`, `value is missing (${describe(row.value)})`));
  if (value < 0) {
    return reject(
      RejectionReason.NEGATIVE_VALUE,
      bilingual(
        `giá trị ${value} âm; chỉ tiêu ${metric.kind} "${metric.code}" không thể âm`,
        `value ${value} is negative; ${metric.kind} metric "${metric.code}" cannot be negative`,
      ),
    );
  }
  const outside = inRange(value, metric);
  if (outside) return outside;
  return { value, numerator: null, denominator: null };
}

function rateOutOfRange(value: number, metric: CatalogueMetric): Rejected {
  return reject(
    RejectionReason.RATE_OUT_OF_RANGE,
    bilingual(
      `giá trị ${value} nằm ngoài 0..100 (chỉ tiêu RATE "${metric.code}" là tỷ lệ phần trăm)`,
      `value ${value} is outside 0..100 (RATE metric "${metric.code}" is a percentage)`,
    ),
  );
}

/**
 * RATE: a percentage 0..100. With numerator and denominator the stored value is 100 × numerator / denominator
 * (value may then be omitted; when given it must agree within RATE_TOLERANCE percentage points).
 */
function rateValues(row: ObservationRow, metric: CatalogueMetric): Values | Rejected {
  const value = numberField(row, 'value');
  if (value instanceof Rejected) return value;
  const numerator = numberField(row, 'numerator');
  if (numerator instanceof Rejected) return numerator;
  const denominator = numberField(row, 'denominator');
  if (denominator instanceof Rejected) return denominator;

  if (numerator === undefined && denominator === undefined) {
    if (value === undefined) {
      return reject(
        RejectionReason.MISSING_VALUE,
        bilingual(
          `thiếu giá trị (${describe(row.value)}); chỉ tiêu RATE "${metric.code}" cần giá trị, hoặc tử số và mẫu số`,
          `value is missing (${describe(row.value)}); RATE metric "${metric.code}" needs value, or numerator and denominator`,
        ),
      );
    }
    if (value < 0 || value > 100) return rateOutOfRange(value, metric);
    const outside = inRange(value, metric);
    if (outside) return outside;
    return { value, numerator: null, denominator: null };
  }
  if (numerator === undefined || denominator === undefined) {
    const [missing, given] = numerator === undefined ? ['numerator', 'denominator'] : ['denominator', 'numerator'];
    return reject(
      RejectionReason.MISSING_VALUE,
      bilingual(
        `thiếu ${FIELD_VI[missing]} trong khi có ${FIELD_VI[given]}: tử số và mẫu số phải đi cùng nhau`,
        `${missing} is missing while ${given} is given: numerator and denominator go together`,
      ),
    );
  }
  if (numerator < 0) return reject(RejectionReason.NEGATIVE_VALUE, bilingual(`tử số ${numerator} âm`, `numerator ${numerator} is negative`));
  if (denominator < 0) return reject(RejectionReason.NEGATIVE_VALUE, bilingual(`mẫu số ${denominator} âm`, `denominator ${denominator} is negative`));
  const tooLarge = boundedCount('numerator', numerator, metric) ?? boundedCount('denominator', denominator, metric);
  if (tooLarge) return tooLarge;
  if (numerator > denominator) {
    return reject(
      RejectionReason.NUMERATOR_EXCEEDS_DENOMINATOR,
      bilingual(`tử số ${numerator} lớn hơn mẫu số ${denominator}`, `numerator ${numerator} exceeds denominator ${denominator}`),
    );
  }
  if (value !== undefined && (value < 0 || value > 100)) {
    return rateOutOfRange(value, metric);
  }
  if (denominator === 0) {
    // 0 of 0: nothing to measure; aggregates use the sums of numerators and denominators, never this value.
    return { value: value ?? 0, numerator, denominator };
  }
  const computed = (100 * numerator) / denominator;
  if (value !== undefined && Math.abs(value - computed) > RATE_TOLERANCE) {
    return reject(
      RejectionReason.RATE_OUT_OF_RANGE,
      bilingual(
        `giá trị ${value} khác 100 × tử số / mẫu số = ${show(computed)} (tử số ${numerator}, mẫu số ${denominator})`,
        `value ${value} does not equal 100 × numerator / denominator = ${show(computed)} (numerator ${numerator}, denominator ${denominator})`,
      ),
    );
  }
  const outside = inRange(computed, metric);
  if (outside) return outside;
  return { value: computed, numerator, denominator };
}

export function isRejected(result: ValidRow | Rejected): result is Rejected {
  return result instanceof Rejected;
}

export type { Rejected };
