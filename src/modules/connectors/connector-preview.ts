/**
 * Reaching a connector's source for a test or a preview, and previewConnector itself: a few records read, mapped
 * as a run maps them and checked with ingestion's own validation, writing nothing.
 */
import type { DataSource } from 'typeorm';
import { connectorKind } from '../../../connectors/registry';
import { ConnectorError, type ConnectorContext, type ConnectorKind } from '../../../connectors/sdk/contract';
import { applyConnectorMapping, connectorMappingSchema, rowAsSent } from '../../../connectors/sdk/mapping';
import { addDays } from '../../common/period';
import type { ConnectorRunner } from '../../ingestion/connector-runner';
import { validateRows } from '../../ingestion/ingest';
import { storedRejection } from '../../ingestion/rejections';
import type { OutboundSession } from '../../security/outbound-guard';
import type { OutboundPolicy } from '../../security/outbound-policy';
import { SecretRedactor } from '../../security/secret-redactor';
import { RunRejection } from './connector-run.entity';
import type { Connector } from './connector.entity';
import type { ConnectorPreview, ValidatedDefinition } from './connector.types';

/** Most source records previewConnector reads and shows. */
export const PREVIEW_RECORDS = 20;

export interface SourceCall {
  runner: ConnectorRunner;
  /** One limit for the whole call (secrets, connection, reading), CONNECTOR_TEST_TIMEOUT's. */
  limitMs: number;
  /** Refuses an endpoint the outbound allowlist does not allow this connector. */
  allow(endpoints: ReturnType<ConnectorKind['endpoints']>, policy: OutboundPolicy): void;
  /** Secrets given with the call (previewConnector's input.secrets): used in place of stored ones, never stored. */
  secrets?: ReadonlyArray<{ name: string; value: string }>;
}

/**
 * Runs `work` against a connector's source under testConnector's limits: one time limit for the whole call, the
 * outbound allowlist checked for every endpoint of the configuration first, and everything the source said
 * redacted. The source's own failures and the time limit become `failed(message)`.
 */
export async function withSource<T>(
  call: SourceCall,
  connector: Connector,
  kind: ConnectorKind,
  config: unknown,
  work: (context: ConnectorContext, redactor: SecretRedactor) => Promise<T>,
  failed: (message: string) => T,
): Promise<T> {
  const { limitMs } = call;
  const controller = new AbortController();
  const timedOut = (): T => failed(`Nguồn dữ liệu không trả lời trong ${limitMs / 1000} giây (timeout: the source did not answer within ${limitMs / 1000} s)`);
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new ConnectorError('TIMEOUT', `no answer within ${limitMs} ms`));
      resolve('timeout');
    }, limitMs);
  });
  let session: OutboundSession | undefined;
  let redactor = new SecretRedactor([]);
  const attempt = async (): Promise<T> => {
    const prepared = await call.runner.connectorContext(connector, controller.signal, call.secrets);
    session = prepared.session;
    redactor = prepared.redactor;
    call.allow(kind.endpoints(config), prepared.session.policy);
    return work(prepared.context, prepared.redactor);
  };
  const running = attempt();
  try {
    const result = await Promise.race([running, limit]);
    // Everything the source said (messages, samples, errors) reaches the caller and the logs redacted, here.
    return result === 'timeout' || controller.signal.aborted ? timedOut() : redactor.value(result);
  } catch (error) {
    if (controller.signal.aborted) return timedOut();
    // The source's own failure (unreachable, refused, a bad answer, a secret that cannot be used): the answer.
    if (error instanceof ConnectorError) return failed(redactor.text(error.message));
    throw redactor.error(error);
  } finally {
    clearTimeout(timer);
    // The abandoned work ends on the aborted signal; its session closes when it does.
    void running.catch(() => undefined).finally(() => session?.close().catch(() => undefined));
  }
}

/**
 * Reads at most PREVIEW_RECORDS records of the routine window (the last lookbackDays days) of a checked definition,
 * maps them and validates the rows as ingestion would, without writing: the samples, the rows, the rejections.
 */
export async function readPreview(dataSource: DataSource, call: SourceCall, connector: Connector, definition: ValidatedDefinition, today: string): Promise<ConnectorPreview> {
  const kind = connectorKind(definition.kind)!;
  const empty = { samples: [], rows: [], rejections: [] };
  if (!kind.pulled) {
    return { ok: false, message: `Kết nối loại ${definition.kind} do đơn vị tự gửi dữ liệu, không có nguồn để đọc (a ${definition.kind} connector has no source to read: its rows are pushed)`, ...empty };
  }
  const mapping = connectorMappingSchema.parse(definition.mapping);
  const window = { from: addDays(today, -definition.lookbackDays), to: today };
  const work = async (context: ConnectorContext, redactor: SecretRedactor): Promise<ConnectorPreview> => {
    const samples: Array<Record<string, unknown>> = [];
    for await (const batch of kind.read(definition.config, window, undefined, context)) {
      samples.push(...batch.records.slice(0, PREVIEW_RECORDS - samples.length));
      if (samples.length >= PREVIEW_RECORDS) break;
    }
    const rows = samples.flatMap((record) => applyConnectorMapping(record, mapping, context.metricFrequencies, { timeZone: definition.timeZone }));
    const { summary } = await validateRows(dataSource, rows, { departmentIds: [connector.departmentId], today, redactor });
    return {
      ok: true,
      message: `Đọc được ${samples.length} bản ghi, ánh xạ thành ${rows.length} dòng, ${summary.rejected} dòng sẽ bị từ chối (read ${samples.length} records, mapped to ${rows.length} rows, ${summary.rejected} would be rejected)`,
      samples,
      rows: rows.map((row) => ({ ...rowAsSent(row) })),
      rejections: summary.rejections.map((rejection) => Object.assign(new RunRejection(), storedRejection(rejection))),
    };
  };
  return withSource<ConnectorPreview>(call, connector, kind, definition.config, work, (message) => ({ ok: false, message, ...empty }));
}
