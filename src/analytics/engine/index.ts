/**
 * The analytics engine: series and group-by aggregates of metric values, by period, administrative unit,
 * department, pilot model and task group, on either map edition and as known at any time.
 *
 * Values combine by the rules of src/analytics/value-rules.ts (shared with `metric.latest` and progress):
 * - COUNT sums over time and over units.
 * - STOCK takes, for each unit, its latest value in the period, and sums those over units.
 * - RATE is sum(numerator) / sum(denominator) × 100 over time and units, never an average of percentages.
 *
 * One level per month: when a metric was reported at several levels (a province figure and district figures),
 * each (metric, group, month) uses only the coarsest level that reported in it, the rule `metric.latest` follows,
 * so nothing is counted twice; a unit coarser than the grouping level belongs to no group.
 *
 * Sources: current answers at MONTH, QUARTER and YEAR granularity read the month rollups (observation_rollup,
 * maintained by the ingestion path); DAY and WEEK granularity (weeks cross months) and every `asOf` answer
 * read the raw observations (and their revisions). Both feed the same accumulation, so they agree.
 *
 * A request costs a fixed number of statements whatever the number of metrics, units and periods: metrics,
 * units, predecessor links, reporting levels, values — except that a large read (more than SPLIT_ABOVE, 25,000
 * estimated rows, see volume.ts) is split into values statements of 10,000 estimated rows over ranges of units,
 * with a turn of the event loop between them, and values are combined in slices of 10 ms with turns between them
 * too: on the embedded database every statement runs on the main thread, and the process must keep answering.
 *
 * The steps, one file each: plan.ts (arguments validated and resolved), load.ts (values from the rollups or the
 * observations), accumulate.ts (values summed into cells), expectations.ts (reports expected), measures.ts (cells
 * combined into measures), series.ts and aggregate.ts (the two operations); sql.ts holds the dialect helpers.
 */
export { UnitEdition } from '../unit-map';
export { runAggregate } from './aggregate';
export { runSeries } from './series';
export * from './types';
