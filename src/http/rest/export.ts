/**
 * CSV downloads of series and aggregates: `GET|POST /export/series` and `GET|POST /export/aggregate` take the
 * arguments of the GraphQL fields of the same name (query parameters, lists repeated or comma-separated; or a
 * JSON body) and run that very GraphQL operation, so validation, authorization and results are the same. The
 * operation's errors are answered as they are (the REST error shape is GraphQL's, see errors.ts); other errors go
 * to the REST error handler.
 */
import type { ApolloServer } from '@apollo/server';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Measure } from '../../analytics/engine';
import { HubError } from '../../common/errors';
import type { HubContext } from '../../graphql/context';
import { assertRole, OPERATIONAL_READ_ROLES } from '../../security/access';
import { sendCsv, type CsvCell } from '../csv-download';
import { sendGraphQLErrors } from './errors';

type Kind = 'list' | 'scalar' | 'boolean' | 'int' | 'json';

const SERIES_ARGUMENTS: Record<string, [Kind, string]> = {
  metrics: ['list', '[String!]!'],
  from: ['scalar', 'Period!'],
  to: ['scalar', 'Period!'],
  granularity: ['scalar', 'MetricFrequency!'],
  level: ['scalar', 'UnitLevel'],
  units: ['list', '[String!]'],
  unitEdition: ['scalar', 'UnitEdition'],
  asOf: ['scalar', 'DateTimeISO'],
  combine: ['boolean', 'Boolean'],
};

const AGGREGATE_ARGUMENTS: Record<string, [Kind, string]> = {
  metrics: ['list', '[String!]!'],
  groupBy: ['list', '[AggregateDimension!]!'],
  from: ['scalar', 'Period!'],
  to: ['scalar', 'Period!'],
  granularity: ['scalar', 'MetricFrequency'],
  level: ['scalar', 'UnitLevel'],
  units: ['list', '[String!]'],
  departments: ['list', '[String!]'],
  pilotModels: ['list', '[String!]'],
  taskGroups: ['list', '[String!]'],
  unitEdition: ['scalar', 'UnitEdition'],
  asOf: ['scalar', 'DateTimeISO'],
  orderBy: ['json', '[AggregateOrder!]'],
  limit: ['int', 'Int'],
};

const MEASURE_FIELDS = 'value numerator denominator expected reported complete approximate level';

function operation(field: string, argumentsOf: Record<string, [Kind, string]>, selection: string): string {
  const names = Object.keys(argumentsOf);
  const declarations = names.map((name) => `$${name}: ${argumentsOf[name][1]}`).join(', ');
  const passed = names.map((name) => `${name}: $${name}`).join(', ');
  return `query Export(${declarations}) { ${field}(${passed}) ${selection} }`;
}

const SERIES_QUERY = operation(
  'series',
  SERIES_ARGUMENTS,
  `{ metrics { code nameVi unit } unit { code name level } points { period periodStart periodEnd ${MEASURE_FIELDS} } }`,
);
const AGGREGATE_QUERY = operation(
  'aggregate',
  AGGREGATE_ARGUMENTS,
  '{ rows { period periodStart periodEnd unit { code name level } department { code nameVi } pilotModel { code nameVi } ' +
    `taskGroup { code nameVi } approximate measures { metric { code nameVi unit } ${MEASURE_FIELDS} } } }`,
);

/** Request arguments (query string or JSON body) as GraphQL variables; GraphQL then validates them. */
function variablesOf(request: Request, argumentsOf: Record<string, [Kind, string]>): Record<string, unknown> {
  const fromBody = request.method === 'POST';
  const source = (fromBody ? request.body : request.query) as Record<string, unknown> | undefined;
  if (fromBody && (source === null || typeof source !== 'object' || Array.isArray(source))) {
    throw new HubError('BAD_USER_INPUT', 'body: send a JSON object with the arguments', 'body');
  }
  const variables: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(source ?? {})) {
    const argument = argumentsOf[name];
    if (!argument) throw new HubError('BAD_USER_INPUT', `${name}: unknown argument; expected ${Object.keys(argumentsOf).join(', ')}`, name);
    if (fromBody || value === undefined) {
      variables[name] = value;
      continue;
    }
    const texts = (Array.isArray(value) ? value : [value]).map(String);
    const [kind] = argument;
    if (kind === 'list') variables[name] = texts.flatMap((text) => text.split(',')).map((text) => text.trim()).filter((text) => text !== '');
    else if (kind === 'boolean') variables[name] = texts[0] === 'true' ? true : texts[0] === 'false' ? false : texts[0];
    else if (kind === 'int') variables[name] = /^-?\d+$/.test(texts[0]) ? Number(texts[0]) : texts[0];
    else if (kind === 'json') {
      try {
        variables[name] = JSON.parse(texts[0]);
      } catch {
        throw new HubError('BAD_USER_INPUT', `${name}: must be JSON, e.g. [{"field":"VALUE","metric":"CODE","direction":"DESC"}]`, name);
      }
    } else variables[name] = texts[0];
  }
  return variables;
}


type Named = { code: string; name?: string; nameVi?: string; level?: string; unit?: string } | null;

const measureCells = (measure: Measure): CsvCell[] => [
  measure.value,
  measure.numerator,
  measure.denominator,
  measure.expected,
  measure.reported,
  String(measure.complete),
  String(measure.approximate),
  measure.level,
];
const MEASURE_HEADER = ['value', 'numerator', 'denominator', 'expected', 'reported', 'complete', 'approximate', 'reporting_level'];

function seriesCsv(data: { series: Array<{ metrics: Named[]; unit: Named; points: Array<Measure & { period: string; periodStart: string; periodEnd: string }> }> }) {
  const header = ['metric', 'metric_name_vi', 'measure_unit', 'unit_code', 'unit_name', 'unit_level', 'period', 'period_start', 'period_end', ...MEASURE_HEADER];
  const rows = data.series.flatMap((series) =>
    series.points.map((point) => [
      series.metrics.map((metric) => metric!.code).join('+'),
      series.metrics.map((metric) => metric!.nameVi).join(' + '),
      series.metrics[0]?.unit,
      series.unit?.code,
      series.unit?.name,
      series.unit?.level,
      point.period,
      point.periodStart,
      point.periodEnd,
      ...measureCells(point),
    ]),
  );
  return { header, rows };
}

function aggregateCsv(data: {
  aggregate: {
    rows: Array<{
      period: string | null;
      periodStart: string | null;
      periodEnd: string | null;
      unit: Named;
      department: Named;
      pilotModel: Named;
      taskGroup: Named;
      measures: Array<Measure & { metric: Named }>;
    }>;
  };
}) {
  const header = [
    'period',
    'period_start',
    'period_end',
    'unit_code',
    'unit_name',
    'unit_level',
    'department_code',
    'department_name_vi',
    'pilot_model_code',
    'pilot_model_name_vi',
    'task_group_code',
    'task_group_name_vi',
    'metric',
    'metric_name_vi',
    'measure_unit',
    ...MEASURE_HEADER,
  ];
  // One line per row and measure (long format).
  const rows = data.aggregate.rows.flatMap((row) =>
    row.measures.map((measure) => [
      row.period,
      row.periodStart,
      row.periodEnd,
      row.unit?.code,
      row.unit?.name,
      row.unit?.level,
      row.department?.code,
      row.department?.nameVi,
      row.pilotModel?.code,
      row.pilotModel?.nameVi,
      row.taskGroup?.code,
      row.taskGroup?.nameVi,
      measure.metric?.code,
      measure.metric?.nameVi,
      measure.metric?.unit,
      ...measureCells(measure),
    ]),
  );
  return { header, rows };
}

export function exportRouter(options: {
  server: ApolloServer<HubContext>;
  /** The same request context GraphQL operations get. */
  contextOf: (request: Request) => Promise<HubContext>;
}): Router {
  const router = express.Router();
  const handler =
    (name: 'series' | 'aggregate') =>
    async (request: Request, response: Response, next: NextFunction): Promise<void> => {
      try {
        const context = await options.contextOf(request);
        assertRole(context.principal, OPERATIONAL_READ_ROLES, 'exporting');
        const argumentsOf = name === 'series' ? SERIES_ARGUMENTS : AGGREGATE_ARGUMENTS;
        const variables = variablesOf(request, argumentsOf);
        const result = await options.server.executeOperation(
          { query: name === 'series' ? SERIES_QUERY : AGGREGATE_QUERY, variables, operationName: 'Export' },
          { contextValue: context },
        );
        if (result.body.kind !== 'single') throw new Error('unexpected incremental GraphQL response');
        const { data, errors } = result.body.singleResult;
        if (errors && errors.length > 0) {
          sendGraphQLErrors(response, errors);
          return;
        }
        const csv = name === 'series' ? seriesCsv(data as never) : aggregateCsv(data as never);
        const stamp = [variables.from, variables.to].filter((part) => typeof part === 'string').join('_');
        sendCsv(response, `${name}${stamp ? `_${stamp}` : ''}.csv`, csv.header, csv.rows);
      } catch (error) {
        next(error);
      }
    };
  for (const name of ['series', 'aggregate'] as const) {
    router.get(`/export/${name}`, handler(name));
    router.post(`/export/${name}`, express.json({ limit: '256kb' }), handler(name));
  }
  return router;
}
