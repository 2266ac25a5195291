import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { DataSource } from 'typeorm';
import { HubError, badInput } from '../../common/errors';
import { todayIn } from '../../common/clock';
import { buildEvaluation, checkedWeights, type EvaluationWeights } from '../../modules/progress/evaluation';
import { EVALUATION_HEADER, evaluationRows, evaluationWorkbook, renderEvaluationMarkdown } from '../../modules/progress/evaluation-render';
import { buildProgressReport, reportPeriod } from '../../modules/progress/progress-report';
import { csvRows, CSV_HEADER, renderMarkdown } from '../../modules/progress/report-render';
import { REPORT_LANGUAGES, type ReportLanguage } from '../../modules/progress/report-language';
import { assertRole, OPERATIONAL_READ_ROLES } from '../../security/access';
import type { Principal } from '../../security/principal';
import { sendCsv } from '../csv-download';
import { queryParameters } from './query-parameters';

const PARAMETERS = ['period', 'asOf', 'program', 'planYear', 'lang'];

/**
 * `GET /reports/progress.csv?period=2024-Q1[&asOf=2024-04-02][&program=DA06][&planYear=2024][&lang=vi|en]` and
 * `GET /reports/progress.md?…`: the periodic progress report as a CSV file (UTF-8 with BOM, one row per item,
 * `section` column) or as Markdown, in Vietnamese (default) or English: headings, names, responsible persons.
 * Errors go to the REST error handler (errors.ts): bad parameters answer 400 with
 * `{ "errors": [{ "message", "extensions": { "code": "BAD_USER_INPUT", "field" } }] }`.
 */
/** The planYear parameter: a whole year, or absent (the plan in force). */
function planYearParameter(text: string | undefined): number | null {
  if (text === undefined) return null;
  if (!/^\d{4}$/.test(text)) throw badInput('planYear', 'expected a year, e.g. 2025');
  return Number(text);
}

export function progressReportRouter(options: { dataSource: DataSource; timeZone: string; principalOf: (request: Request) => Principal }): Router {
  const router = express.Router();
  router.get('/reports/progress.:format', async (request: Request, response: Response, next: NextFunction) => {
    try {
      const format = request.params.format;
      if (format !== 'csv' && format !== 'md') throw new HubError('NOT_FOUND', 'report format: expected progress.csv or progress.md');
      const principal = options.principalOf(request);
      assertRole(principal, OPERATIONAL_READ_ROLES, 'the progress report download');
      const single = queryParameters(request, PARAMETERS);
      const periodText = single('period');
      if (periodText === undefined) throw badInput('period', 'required: a month (2024-03), a quarter (2024-Q1) or a year (2024)');
      const period = reportPeriod(periodText);
      const lang = single('lang') ?? 'vi';
      if (!REPORT_LANGUAGES.includes(lang as ReportLanguage)) throw badInput('lang', `expected ${REPORT_LANGUAGES.join(' or ')}, got "${lang}"`);
      const report = await buildProgressReport(options.dataSource, options.timeZone, {
        period,
        asOf: single('asOf'),
        program: single('program'),
        planYear: planYearParameter(single('planYear')),
        principal,
      });
      const filename = `progress-${report.program.code}-${report.period}-asof-${report.asOf}`;
      if (format === 'csv') {
        sendCsv(response, `${filename}.csv`, CSV_HEADER, csvRows(report, lang as ReportLanguage));
        return;
      }
      response.setHeader('content-type', 'text/markdown; charset=utf-8');
      response.setHeader('content-disposition', `attachment; filename="${filename}.md"`);
      response.setHeader('cache-control', 'no-store');
      response.send(renderMarkdown(report, lang as ReportLanguage));
    } catch (error) {
      next(error);
    }
  });
  return router;
}

const EVALUATION_PARAMETERS = ['year', 'format', 'program', 'wTasks', 'wModels', 'wFreshness', 'wQuality', 'lateCredit'];
const WEIGHT_PARAMETERS = { wTasks: 'tasks', wModels: 'models', wFreshness: 'freshness', wQuality: 'quality', lateCredit: 'lateCredit' } as const;

/** A number parameter, or absent. */
function numberParameter(single: (name: string) => string | undefined, name: string): number | undefined {
  const text = single(name);
  if (text === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(text)) throw badInput(name, 'expected a number not below 0, e.g. 0.25');
  return Number(text);
}

/**
 * `GET /reports/evaluation?year=2024&format=md|csv|xlsx[&program=DA06][&wTasks=…&wModels=…&wFreshness=…&wQuality=…&lateCredit=…]`:
 * the year-end evaluation (docs/analytics.md) as Markdown, CSV (UTF-8 with BOM, one row per department) or XLSX;
 * run figures withheld from the caller are empty. The weights default to the settings.
 */
export function evaluationReportRouter(options: {
  dataSource: DataSource;
  timeZone: string;
  weights: EvaluationWeights;
  principalOf: (request: Request) => Principal;
}): Router {
  const router = express.Router();
  router.get('/reports/evaluation', async (request: Request, response: Response, next: NextFunction) => {
    try {
      const principal = options.principalOf(request);
      assertRole(principal, OPERATIONAL_READ_ROLES, 'the evaluation download');
      const single = queryParameters(request, EVALUATION_PARAMETERS);
      const format = single('format') ?? 'md';
      if (format !== 'md' && format !== 'csv' && format !== 'xlsx') throw badInput('format', 'expected md, csv or xlsx');
      const yearText = single('year');
      if (yearText === undefined || !/^\d{4}$/.test(yearText)) throw badInput('year', 'required: a year, e.g. 2024');
      const override = Object.fromEntries(Object.entries(WEIGHT_PARAMETERS).map(([parameter, key]) => [key, numberParameter(single, parameter)]));
      const evaluation = await buildEvaluation(options.dataSource, options.timeZone, {
        year: Number(yearText),
        today: todayIn(options.timeZone),
        program: single('program'),
        weights: checkedWeights(options.weights, override, 'weights'),
        principal,
      });
      const filename = `evaluation-${evaluation.program.code}-${evaluation.year}-asof-${evaluation.asOf}`;
      if (format === 'csv') {
        sendCsv(response, `${filename}.csv`, EVALUATION_HEADER, evaluationRows(evaluation));
        return;
      }
      response.setHeader('cache-control', 'no-store');
      if (format === 'xlsx') {
        response.setHeader('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
        response.setHeader('content-disposition', `attachment; filename="${filename}.xlsx"`);
        response.send(await evaluationWorkbook(evaluation));
        return;
      }
      response.setHeader('content-type', 'text/markdown; charset=utf-8');
      response.setHeader('content-disposition', `attachment; filename="${filename}.md"`);
      response.send(renderEvaluationMarkdown(evaluation));
    } catch (error) {
      next(error);
    }
  });
  return router;
}
