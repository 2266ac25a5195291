import { Metric } from '../../src/modules/metrics/metric.entity';
import { Observation } from '../../src/modules/observations/observation.entity';
import * as catalogue from '../../src/seed/catalogue-data';
import { dataOf, errorOf } from '../helpers/api';
import { startTestHub, type TestHub } from '../helpers/test-hub';

type Point = { period: string; value: number | null; numerator: number | null; denominator: number | null; level: string; reportingUnits: number };
type Progress = { target: number; targetDate: string | null; actual: number | null; ratio: number | null; achieved: boolean };
type MetricValues = { code: string; kind: string; target: number | null; targetDate: string | null; latest: Point | null; progress: Progress | null };

const METRIC_VALUES = `query($code: String!) { metric(code: $code) {
  code kind target targetDate
  latest { period value numerator denominator level reportingUnits }
  progress { target targetDate actual ratio achieved }
} }`;

type Raw = Record<string, string | number | null>;
const num = (value: string | number | null | undefined) => (value == null ? null : Number(value));

describe('metric values: latest point and progress against the target', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(async () => {
    await hub.close();
  });

  const metricValues = async (code: string) => (await dataOf<{ metric: MetricValues }>(hub, METRIC_VALUES, { code })).metric;
  const metricId = async (code: string) => (await hub.dataSource.getRepository(Metric).findOneByOrFail({ code })).id;
  const observations = () => hub.dataSource.getRepository(Observation).createQueryBuilder('observation');

  /** Sums over the latest period of a metric, straight from the observation table. */
  async function latestInSql(code: string) {
    const id = await metricId(code);
    const latest = await observations().select('MAX(observation.periodStart)', 'start').where('observation.metricId = :id', { id }).getRawOne<Raw>();
    const row = await observations()
      .select('MIN(observation.period)', 'period')
      .addSelect('SUM(observation.value)', 'value')
      .addSelect('SUM(observation.numerator)', 'numerator')
      .addSelect('SUM(observation.denominator)', 'denominator')
      .addSelect('AVG(observation.value)', 'averageValue')
      .addSelect('COUNT(*)', 'units')
      .where('observation.metricId = :id AND observation.periodStart = :start', { id, start: latest!.start })
      .getRawOne<Raw>();
    return {
      period: String(row!.period),
      value: num(row!.value)!,
      numerator: num(row!.numerator),
      denominator: num(row!.denominator),
      averageValue: num(row!.averageValue)!,
      units: num(row!.units)!,
    };
  }

  /** Sum of a metric's values over periods lying wholly between two dates. */
  async function sumInSql(code: string, from: string, to: string): Promise<number> {
    const row = await observations()
      .select('SUM(observation.value)', 'total')
      .where('observation.metricId = :id', { id: await metricId(code) })
      .andWhere('observation.periodStart >= :from AND observation.periodEnd <= :to', { from, to })
      .getRawOne<Raw>();
    return num(row!.total)!;
  }

  it('a RATE metric’s latest value is 100 × Σ numerator / Σ denominator of the latest period, not the mean of the rates', async () => {
    for (const code of ['DVC_ONLINE_RATE', 'KCB_FACILITIES_READY_RATE', 'VNEID_L2_RATE']) {
      const sql = await latestInSql(code);
      const metric = await metricValues(code);
      expect(metric.kind).toBe('RATE');
      expect(metric.latest).not.toBeNull();
      const latest = metric.latest!;
      expect(latest.period).toBe(sql.period);
      expect(latest.level).toBe('DISTRICT');
      expect(latest.reportingUnits).toBe(21);
      expect(sql.units).toBe(21);
      expect(latest.numerator).toBe(sql.numerator);
      expect(latest.denominator).toBe(sql.denominator);
      const pooled = (100 * sql.numerator!) / sql.denominator!;
      expect(latest.value).toBeCloseTo(pooled, 9);
      // The seed's districts differ in size, so the pooled rate and the mean of the rates differ.
      expect(Math.abs(pooled - sql.averageValue)).toBeGreaterThan(0.001);
      expect(Math.abs(latest.value! - sql.averageValue)).toBeGreaterThan(0.001);
      // RATE progress compares the latest value with the target.
      const target = catalogue.metrics.find((candidate) => candidate.code === code)!.targetValue!;
      expect(metric.progress).toMatchObject({ target, actual: latest.value, achieved: latest.value! >= target });
      expect(metric.progress!.ratio).toBeCloseTo(latest.value! / target, 9);
    }
    expect((await latestInSql('DVC_ONLINE_RATE')).period).toBe('2024-03');
    expect((await latestInSql('VNEID_L2_RATE')).period).toBe('2024-W13');
  });

  it('a COUNT metric’s progress.actual is the SQL total from 1 January to the target date', async () => {
    const metric = await metricValues('KCB_BIOMETRIC_VISITS');
    const total = await sumInSql('KCB_BIOMETRIC_VISITS', '2024-01-01', '2024-12-31');
    expect(total).toBeGreaterThan(0);
    expect(metric.progress).toMatchObject({ target: 2500000, targetDate: '2024-12-31', achieved: total >= 2500000 });
    expect(metric.progress!.actual).toBeCloseTo(total, 6);
    expect(metric.progress!.ratio).toBeCloseTo(total / 2500000, 9);
    // The latest point of a COUNT metric is the sum of its last day.
    const sql = await latestInSql('KCB_BIOMETRIC_VISITS');
    expect(metric.latest).toMatchObject({ period: '2024-03-31', level: 'DISTRICT', reportingUnits: 21, numerator: null, denominator: null });
    expect(metric.latest!.value).toBeCloseTo(sql.value, 6);
  });

  it('a province-level metric reports one unit at PROVINCE level', async () => {
    const metric = await metricValues('CAMPAIGNS_RUN');
    const sql = await latestInSql('CAMPAIGNS_RUN');
    expect(metric.latest).toEqual({ period: '2024-03', value: sql.value, numerator: null, denominator: null, level: 'PROVINCE', reportingUnits: 1 });
    const total = await sumInSql('CAMPAIGNS_RUN', '2024-01-01', '2024-12-31');
    expect(metric.progress!.actual).toBeCloseTo(total, 6);
    expect(metric.progress!.ratio).toBeCloseTo(total / 12, 9);
  });

  it('the metrics of a NOT_STARTED model have no observations: latest null, progress without actual', async () => {
    expect(catalogue.pilotModels.find((model) => model.code === 'M04')!.status).toBe('NOT_STARTED');
    for (const code of ['KIOSK_DEPLOYED', 'KIOSK_NOTARIZATIONS']) {
      expect(await observations().where('observation.metricId = :id', { id: await metricId(code) }).getCount()).toBe(0);
      const metric = await metricValues(code);
      const target = catalogue.metrics.find((candidate) => candidate.code === code)!.targetValue;
      expect(metric.latest).toBeNull();
      expect(metric.progress).toEqual({ target, targetDate: '2024-12-31', actual: null, ratio: null, achieved: false });
    }
    // Across all metrics: latest is null exactly for the models that have not started.
    const all = await dataOf<{ metrics: { totalCount: number; edges: Array<{ node: { code: string; pilotModel: { status: string }; latest: Point | null } }> } }>(
      hub,
      '{ metrics(first: 100) { totalCount edges { node { code pilotModel { status } latest { period } } } } }',
    );
    expect(all.metrics.totalCount).toBe(catalogue.metrics.length);
    for (const { node } of all.metrics.edges) {
      expect([node.code, node.latest === null]).toEqual([node.code, node.pilotModel.status === 'NOT_STARTED']);
    }
  });

  it('setMetricTarget rejects a RATE target above 100 and a negative target without writing', async () => {
    const before = await hub.dataSource.getRepository(Metric).findOneByOrFail({ code: 'DVC_ONLINE_RATE' });
    const tooHigh = await errorOf(hub, 'mutation { setMetricTarget(code: "DVC_ONLINE_RATE", targetValue: 120) { target } }');
    expect(tooHigh.extensions?.code).toBe('BAD_USER_INPUT');
    expect(tooHigh.extensions?.field).toBe('targetValue');
    expect(tooHigh.message).toContain('targetValue');
    const negative = await errorOf(hub, 'mutation { setMetricTarget(code: "DVC_ONLINE_RATE", targetValue: -5, targetDate: "2024-06-30") { target } }');
    expect(negative.extensions?.code).toBe('BAD_USER_INPUT');
    const after = await hub.dataSource.getRepository(Metric).findOneByOrFail({ code: 'DVC_ONLINE_RATE' });
    expect({ targetValue: after.targetValue, targetDate: after.targetDate }).toEqual({ targetValue: 50, targetDate: '2024-12-31' });
    expect(after).toEqual(before);

    const unknown = await errorOf(hub, 'mutation { setMetricTarget(code: "NO_SUCH_METRIC", targetValue: 1, targetDate: "2024-12-31") { target } }');
    expect(unknown.extensions?.code).toBe('NOT_FOUND');
    expect(unknown.message).toContain('NO_SUCH_METRIC');
    const noDate = await errorOf(hub, 'mutation { setMetricTarget(code: "DRIVE_TEST_ID_MISMATCH", targetValue: 10) { target } }');
    expect(noDate.extensions?.code).toBe('BAD_USER_INPUT');
    expect(noDate.extensions?.field).toBe('targetDate');
  });

  it('a new target recomputes progress: ratio for a RATE, ratio and window for a COUNT', async () => {
    const rate = await dataOf<{ setMetricTarget: MetricValues }>(
      hub,
      'mutation { setMetricTarget(code: "DVC_ONLINE_RATE", targetValue: 40) { code kind target targetDate latest { value } progress { target targetDate actual ratio achieved } } }',
    );
    const latest = rate.setMetricTarget.latest!.value!;
    expect(rate.setMetricTarget.target).toBe(40);
    expect(rate.setMetricTarget.targetDate).toBe('2024-12-31');
    expect(rate.setMetricTarget.progress).toMatchObject({ target: 40, actual: latest, achieved: latest >= 40 });
    expect(rate.setMetricTarget.progress!.ratio).toBeCloseTo(latest / 40, 9);
    expect(await hub.dataSource.getRepository(Metric).findOneByOrFail({ code: 'DVC_ONLINE_RATE' })).toMatchObject({ targetValue: 40 });

    const count = await dataOf<{ setMetricTarget: MetricValues }>(
      hub,
      'mutation { setMetricTarget(code: "KCB_BIOMETRIC_VISITS", targetValue: 100000, targetDate: "2024-02-29") { target targetDate progress { target targetDate actual ratio achieved } } }',
    );
    const untilFebruary = await sumInSql('KCB_BIOMETRIC_VISITS', '2024-01-01', '2024-02-29');
    expect(untilFebruary).toBeLessThan(await sumInSql('KCB_BIOMETRIC_VISITS', '2024-01-01', '2024-12-31'));
    const progress = count.setMetricTarget.progress!;
    expect(count.setMetricTarget).toMatchObject({ target: 100000, targetDate: '2024-02-29' });
    expect(progress).toMatchObject({ target: 100000, targetDate: '2024-02-29', achieved: untilFebruary >= 100000 });
    expect(progress.actual).toBeCloseTo(untilFebruary, 6);
    expect(progress.ratio).toBeCloseTo(untilFebruary / 100000, 9);
  });

  it('setMetricTarget with only a date keeps the value and moves the date', async () => {
    const data = await dataOf<{ setMetricTarget: MetricValues }>(
      hub,
      'mutation { setMetricTarget(code: "KCB_BIOMETRIC_VISITS", targetDate: "2024-01-31") { target targetDate progress { target targetDate actual } } }',
    );
    const january = await sumInSql('KCB_BIOMETRIC_VISITS', '2024-01-01', '2024-01-31');
    expect(data.setMetricTarget).toMatchObject({ target: 100000, targetDate: '2024-01-31' });
    expect(data.setMetricTarget.progress).toMatchObject({ target: 100000, targetDate: '2024-01-31' });
    expect(data.setMetricTarget.progress!.actual).toBeCloseTo(january, 6);
    expect(await hub.dataSource.getRepository(Metric).findOneByOrFail({ code: 'KCB_BIOMETRIC_VISITS' })).toMatchObject({
      targetValue: 100000,
      targetDate: '2024-01-31',
    });
  });

  it('a target date without any target value is refused and writes nothing', async () => {
    const code = 'DRIVE_TEST_ID_MISMATCH';
    const before = await hub.dataSource.getRepository(Metric).findOneByOrFail({ code });
    expect(before.targetValue).toBeNull();
    const error = await errorOf(hub, `mutation { setMetricTarget(code: "${code}", targetDate: "2024-12-31") { code } }`);
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(/^targetDate: /);
    expect(await hub.dataSource.getRepository(Metric).findOneByOrFail({ code })).toEqual(before);
  });

  it('a null targetValue removes the target and the progress', async () => {
    const data = await dataOf<{ setMetricTarget: MetricValues }>(
      hub,
      'mutation { setMetricTarget(code: "KCB_BIOMETRIC_VISITS", targetValue: null) { target targetDate progress { actual } latest { period } } }',
    );
    expect(data.setMetricTarget).toEqual({ target: null, targetDate: null, progress: null, latest: { period: '2024-03-31' } });
    expect(await hub.dataSource.getRepository(Metric).findOneByOrFail({ code: 'KCB_BIOMETRIC_VISITS' })).toMatchObject({
      targetValue: null,
      targetDate: null,
    });
  });
});
