import { registerEnumType } from 'type-graphql';

// Enums are stored as short strings (not native database enums) so both dialects share one schema shape.

export enum ProgressStatus {
  NOT_STARTED = 'NOT_STARTED',
  IN_PROGRESS = 'IN_PROGRESS',
  COMPLETED = 'COMPLETED',
}

export enum MetricKind {
  /** A flow: sums over time and space. */
  COUNT = 'COUNT',
  /** A level: the latest value in a period, summed over space. */
  STOCK = 'STOCK',
  /** numerator / denominator × 100. */
  RATE = 'RATE',
}

export enum MetricFrequency {
  DAY = 'DAY',
  WEEK = 'WEEK',
  MONTH = 'MONTH',
  QUARTER = 'QUARTER',
  YEAR = 'YEAR',
}

export enum UnitLevel {
  PROVINCE = 'PROVINCE',
  DISTRICT = 'DISTRICT',
  COMMUNE = 'COMMUNE',
}

export enum PredecessorShare {
  /** The whole old unit went into the new one. */
  FULL = 'FULL',
  /** Only part of the old unit went into the new one. */
  PARTIAL = 'PARTIAL',
}

/** Where a catalogue fact comes from (see the domain notes): INFERRED rows are demo data. */
export enum FactBasis {
  SOURCE = 'SOURCE',
  NGHE_AN = 'NGHE_AN',
  NATIONAL = 'NATIONAL',
  INFERRED = 'INFERRED',
}

export enum SortDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}

registerEnumType(ProgressStatus, {
  name: 'ProgressStatus',
  description: 'Progress of a task or pilot model (tình trạng thực hiện).',
  valuesConfig: {
    NOT_STARTED: { description: 'Not started yet (chưa triển khai).' },
    IN_PROGRESS: { description: 'Under way (đang triển khai).' },
    COMPLETED: { description: 'Done (đã hoàn thành).' },
  },
});
registerEnumType(MetricKind, {
  name: 'MetricKind',
  description: 'How values of a metric aggregate over time and over administrative units.',
  valuesConfig: {
    COUNT: { description: 'A flow (e.g. records issued): sums over periods and over units.' },
    STOCK: { description: 'A level (e.g. accounts open): the latest value within a period, summed over units.' },
    RATE: { description: 'A percentage: sum of numerators / sum of denominators × 100, never an average of rates.' },
  },
});
registerEnumType(MetricFrequency, {
  name: 'MetricFrequency',
  description: 'Reporting period length of a metric: one value per unit and period of this length.',
  valuesConfig: {
    DAY: { description: 'Daily; periods like 2024-03-05.' },
    WEEK: { description: 'ISO weeks; periods like 2024-W10.' },
    MONTH: { description: 'Calendar months; periods like 2024-03.' },
    QUARTER: { description: 'Calendar quarters; periods like 2024-Q1.' },
    YEAR: { description: 'Calendar years; periods like 2024.' },
  },
});
registerEnumType(UnitLevel, {
  name: 'UnitLevel',
  description: 'Tier of an administrative unit.',
  valuesConfig: {
    PROVINCE: { description: 'The province (tỉnh): Nghệ An, code 40.' },
    DISTRICT: { description: 'A district-level unit (huyện, thị xã, thành phố); abolished on 1 July 2025.' },
    COMMUNE: { description: 'A commune-level unit (xã, phường, thị trấn).' },
  },
});
registerEnumType(PredecessorShare, {
  name: 'PredecessorShare',
  description: 'How much of an old unit a new unit took.',
  valuesConfig: {
    FULL: { description: 'The whole old unit went into the new one.' },
    PARTIAL: { description: 'Only part of the old unit went into the new one (its values cannot be carried over exactly).' },
  },
});
registerEnumType(FactBasis, {
  name: 'FactBasis',
  description: 'Evidence behind a catalogue row; INFERRED rows are demo data.',
  valuesConfig: {
    SOURCE: { description: 'Stated in the report of the Nghệ An Provincial People\'s Committee meeting of 2 April 2024.' },
    NGHE_AN: { description: 'Confirmed in Nghệ An press or documents.' },
    NATIONAL: { description: 'Confirmed nationally (e.g. Decision 06/QĐ-TTg) or in another province.' },
    INFERRED: { description: 'Inferred: plausible but not confirmed; demo data (isDemo is true).' },
  },
});
registerEnumType(SortDirection, {
  name: 'SortDirection',
  description: 'Sort order.',
  valuesConfig: {
    ASC: { description: 'Ascending: smallest, earliest or alphabetically first first.' },
    DESC: { description: 'Descending: largest, latest or alphabetically last first.' },
  },
});
