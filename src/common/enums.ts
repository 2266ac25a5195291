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

registerEnumType(ProgressStatus, { name: 'ProgressStatus', description: 'Progress of a task or pilot model.' });
registerEnumType(MetricKind, { name: 'MetricKind', description: 'How values of a metric aggregate.' });
registerEnumType(MetricFrequency, { name: 'MetricFrequency', description: 'Reporting period length of a metric.' });
registerEnumType(UnitLevel, { name: 'UnitLevel', description: 'Tier of an administrative unit.' });
registerEnumType(PredecessorShare, { name: 'PredecessorShare', description: 'How much of an old unit a new unit took.' });
registerEnumType(FactBasis, {
  name: 'FactBasis',
  description: 'Evidence behind a catalogue row; INFERRED rows are demo data.',
});
registerEnumType(SortDirection, { name: 'SortDirection' });
