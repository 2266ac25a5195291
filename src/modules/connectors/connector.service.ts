import { In, IsNull, type DataSource } from 'typeorm';
import type { ZodError } from 'zod';
import { connectorKind, CONNECTOR_KIND_NAMES } from '../../../connectors/registry';
import type { ConnectorKind } from '../../../connectors/sdk/contract';
import { connectorMappingSchema, IDENTITY_MAPPING, metricCodesOf, type ConnectorMapping, type ObservationRow } from '../../../connectors/sdk/mapping';
import { isValidDate } from '../../common/period';
import { todayIn } from '../../common/clock';
import { badInput, HubError, notFound } from '../../common/errors';
import { requireByCode } from '../../database/by-code';
import { redact, redactError, type ConnectorRunner } from '../../ingestion/connector-runner';
import { assertDepartmentAccess, assertRole, CONNECTOR_WRITE_ROLES, forbidden } from '../../security/access';
import type { Principal } from '../../security/principal';
import { validateCron, validateTimeZone } from '../../scheduler/scheduler';
import type { ConnectorSecretStore } from '../../security/connector-secrets';
import type { OutboundGuard } from '../../security/outbound-guard';
import type { OutboundPolicy } from '../../security/outbound-policy';
import { Department } from '../departments/department.entity';
import { Metric } from '../metrics/metric.entity';
import { ConnectorRun, RunRejection } from './connector-run.entity';
import { Connector, ConnectorMappingVersion, ConnectorSecret, RunTrigger } from './connector.entity';
import type { ConnectorInput, ConnectorTestResult, ConnectorUpdateInput, PushResult, SecretInput } from './connector.types';

const NAME_MAX = 200;
const LOOKBACK_MAX = 3660;

function zodToBadInput(error: ZodError, prefix: string): HubError {
  let issue = error.issues[0];
  // A union (one mapping, or { rows }) reports "invalid input"; the first alternative says what is wrong.
  while (issue.code === 'invalid_union' && issue.unionErrors[0]?.issues[0]) issue = issue.unionErrors[0].issues[0];
  const path = [prefix, ...issue.path.map(String)].join('.');
  const others = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problems)` : '';
  return badInput(path, `${issue.message}${others}`);
}

export function parseConnectorId(id: string, field = 'id'): number {
  if (!/^\d{1,9}$/.test(id)) throw badInput(field, `"${id}" is not a connector id`);
  return Number(id);
}

interface Definition {
  kind: string;
  departmentId: number;
  schedule: string | null;
  timeZone: string;
  lookbackDays: number;
  maxWindowDays: number | null;
  config: unknown;
  mapping: ConnectorMapping;
}

/** Registration, changes, tests and runs of connectors; every input is validated before anything is written. */
export class ConnectorService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly runner: ConnectorRunner,
    private readonly options: {
      timeZone: string;
      onChange: () => Promise<void>;
      secrets: ConnectorSecretStore;
      outbound: OutboundGuard;
    },
  ) {}

  /** A connector that has not been deleted, or NOT_FOUND. */
  async requireConnector(id: number): Promise<Connector> {
    const connector = await this.dataSource.getRepository(Connector).findOneBy({ id, deletedAt: IsNull() });
    if (!connector) throw notFound('connector', String(id));
    return connector;
  }

  /**
   * A connector the caller may manage, run or push to: ADMIN, or DEPARTMENT_IT of the connector's department
   * (its mapping can only name that department's metrics, see validDefinition).
   */
  async requireManageable(id: number, principal: Principal, action: string): Promise<Connector> {
    assertRole(principal, CONNECTOR_WRITE_ROLES, action);
    const connector = await this.requireConnector(id);
    assertDepartmentAccess(principal, connector.departmentId, `connector ${id}`);
    return connector;
  }

  async register(input: ConnectorInput, principal: Principal): Promise<Connector> {
    assertRole(principal, CONNECTOR_WRITE_ROLES, 'registerConnector');
    const actor = principal.name;
    const name = this.validName(input.name, 'input.name');
    const kind = connectorKind(input.kind);
    if (!kind) throw badInput('input.kind', `unknown kind "${input.kind}"; one of ${CONNECTOR_KIND_NAMES.join(', ')}`);
    const department = await requireByCode(this.dataSource, Department, 'department', input.department);
    if (principal.departmentIds && !principal.departmentIds.includes(department.id)) {
      throw forbidden(`input.department: ${department.code} is outside the departments of this caller`);
    }
    const definition = await this.validDefinition({
      kind: input.kind,
      departmentId: department.id,
      schedule: input.schedule ?? null,
      timeZone: input.timeZone ?? this.options.timeZone,
      lookbackDays: input.lookbackDays ?? 7,
      maxWindowDays: input.maxWindowDays ?? null,
      config: input.config,
      mapping: input.mapping ?? (input.kind === 'push' ? IDENTITY_MAPPING : undefined),
    });
    const secrets = this.validSecrets(input.kind, input.secrets ?? []);
    const connector = await this.dataSource.transaction(async (manager) => {
      await this.assertNameFree(manager.getRepository(Connector), name);
      const now = new Date();
      const saved = await manager.getRepository(Connector).save({
        name,
        kind: definition.kind,
        departmentId: definition.departmentId,
        schedule: definition.schedule,
        timeZone: definition.timeZone,
        enabled: input.enabled ?? true,
        lookbackDays: definition.lookbackDays,
        maxWindowDays: definition.maxWindowDays,
        config: JSON.stringify(definition.config),
        mapping: JSON.stringify(definition.mapping),
        mappingVersion: 1,
        createdAt: now,
        updatedAt: now,
        deletedAt: null,
      });
      await manager.getRepository(ConnectorMappingVersion).insert({
        connectorId: saved.id, version: 1, mapping: saved.mapping, createdAt: now, createdBy: actor,
      });
      await this.options.secrets.write(manager, saved.id, secrets.filter((secret) => secret.value !== ''));
      return saved;
    });
    await this.options.onChange();
    return connector;
  }

  async update(id: number, input: ConnectorUpdateInput, principal: Principal): Promise<Connector> {
    const current = await this.requireManageable(id, principal, 'updateConnector');
    const actor = principal.name;
    const name = input.name != null ? this.validName(input.name, 'input.name') : current.name;
    const mappingChanged = input.mapping != null && JSON.stringify(input.mapping) !== current.mapping;
    const definition = await this.validDefinition({
      kind: current.kind,
      departmentId: current.departmentId,
      schedule: input.schedule !== undefined ? input.schedule : current.schedule,
      timeZone: input.timeZone ?? current.timeZone,
      lookbackDays: input.lookbackDays ?? current.lookbackDays,
      maxWindowDays: input.maxWindowDays !== undefined ? input.maxWindowDays : current.maxWindowDays,
      config: input.config ?? JSON.parse(current.config),
      mapping: input.mapping ?? JSON.parse(current.mapping),
    });
    const secrets = this.validSecrets(current.kind, input.secrets ?? []);
    await this.dataSource.transaction(async (manager) => {
      if (name !== current.name) await this.assertNameFree(manager.getRepository(Connector), name);
      const now = new Date();
      const mappingVersion = mappingChanged ? current.mappingVersion + 1 : current.mappingVersion;
      await manager.getRepository(Connector).update(id, {
        name,
        schedule: definition.schedule,
        timeZone: definition.timeZone,
        lookbackDays: definition.lookbackDays,
        maxWindowDays: definition.maxWindowDays,
        config: JSON.stringify(definition.config),
        mapping: JSON.stringify(definition.mapping),
        mappingVersion,
        updatedAt: now,
      });
      if (mappingChanged) {
        await manager.getRepository(ConnectorMappingVersion).insert({
          connectorId: id, version: mappingVersion, mapping: JSON.stringify(definition.mapping), createdAt: now, createdBy: actor,
        });
      }
      await this.options.secrets.write(manager, id, secrets);
    });
    await this.options.onChange();
    return this.requireConnector(id);
  }

  async setEnabled(id: number, enabled: boolean, principal: Principal): Promise<Connector> {
    await this.requireManageable(id, principal, 'setConnectorEnabled');
    await this.dataSource.getRepository(Connector).update(id, { enabled, updatedAt: new Date() });
    await this.options.onChange();
    return this.requireConnector(id);
  }

  /** Deletes a connector from use; its run ledger and the values it brought stay. */
  async delete(id: number, principal: Principal): Promise<boolean> {
    const connector = await this.requireManageable(id, principal, 'deleteConnector');
    await this.dataSource.transaction(async (manager) => {
      // Freed name: a deleted connector keeps its ledger under a name nobody will register.
      await manager.getRepository(Connector).update(id, {
        enabled: false,
        deletedAt: new Date(),
        name: `${connector.name.slice(0, NAME_MAX - 20)} (deleted ${id})`,
      });
      await manager.getRepository(ConnectorSecret).delete({ connectorId: id });
    });
    await this.options.onChange();
    return true;
  }

  async test(id: number, principal: Principal): Promise<ConnectorTestResult> {
    const connector = await this.requireManageable(id, principal, 'testConnector');
    const kind = connectorKind(connector.kind)!;
    const config = kind.configSchema.parse(JSON.parse(connector.config));
    const { context, session } = await this.runner.connectorContext(connector.id, AbortSignal.timeout(60_000));
    try {
      this.requireEndpointsAllowed(kind.endpoints(config), session.policy, 'config');
      // A kind's unexpected failure reaches the caller and the logs without the secrets it may quote.
      const check = await kind.check(config, context).catch((error: unknown) => {
        throw redactError(error, context.secrets);
      });
      if (!check.ok) return { ...check, message: redact(check.message, context.secrets), streams: [] };
      try {
        return { ...check, message: redact(check.message, context.secrets), streams: await kind.discover(config, context) };
      } catch (error) {
        const message = redact(error instanceof Error ? error.message : String(error), context.secrets);
        return { ok: false, message: `reached, but discovery failed: ${message}`, streams: [] };
      }
    } finally {
      await session.close();
    }
  }

  /** BAD_USER_INPUT naming the configuration field whose host is not on the outbound allowlist. */
  private requireEndpointsAllowed(endpoints: ReturnType<ConnectorKind['endpoints']>, policy: OutboundPolicy, prefix: string): void {
    for (const endpoint of endpoints) {
      try {
        policy.requireAllowed(endpoint.host, endpoint.port);
      } catch (error) {
        throw badInput(`${prefix}.${endpoint.field}`, (error as Error).message);
      }
    }
  }

  /** A manual run (routine window) or, with dates, a backfill of that window. */
  async run(
    id: number,
    from: string | null | undefined,
    to: string | null | undefined,
    principal: Principal,
    wait: boolean,
    requestId?: string,
  ): Promise<ConnectorRun> {
    const connector = await this.requireManageable(id, principal, 'runConnector');
    const actor = principal.name;
    if (connector.kind === 'push') throw badInput('id', 'a push connector has no source to run; send rows with submitObservations');
    const today = todayIn(this.options.timeZone);
    if ((from == null) !== (to == null)) throw badInput(from == null ? 'from' : 'to', 'give both from and to for a backfill, or neither');
    if (from != null && to != null) {
      if (!isValidDate(from)) throw badInput('from', `"${from}" is not a date`);
      if (!isValidDate(to)) throw badInput('to', `"${to}" is not a date`);
      if (from > to) throw badInput('from', `${from} is after to ${to}`);
      if (to > today) throw badInput('to', `${to} is in the future (today is ${today})`);
    }
    const started = await this.runner.start({
      connectorId: connector.id,
      trigger: from != null ? RunTrigger.BACKFILL : RunTrigger.MANUAL,
      window: from != null && to != null ? { from, to } : undefined,
      actor,
      requestId,
    });
    return wait ? started.finished : started.run;
  }

  /**
   * The push connector `id` the caller may send rows to, and the most rows one push may carry (its maxRowsPerPush):
   * checked before a pushed body is read, so the limit applies while it is parsed.
   */
  async pushTarget(id: number, principal: Principal): Promise<{ connector: Connector; maxRows: number }> {
    const connector = await this.requireManageable(id, principal, 'submitObservations');
    if (connector.kind !== 'push') throw badInput('connectorId', `connector ${id} is of kind ${connector.kind}, not push`);
    if (!connector.enabled) throw new HubError('CONFLICT', `connector ${id} is disabled`);
    return { connector, maxRows: (JSON.parse(connector.config) as { maxRowsPerPush?: number }).maxRowsPerPush ?? 50_000 };
  }

  /** Rows a department sends: one PUSH run, one pass through the ingestion path, one summary. */
  async push(id: number, rows: readonly ObservationRow[], principal: Principal, requestId?: string): Promise<PushResult> {
    const { connector, maxRows: limit } = await this.pushTarget(id, principal);
    const actor = principal.name;
    if (rows.length === 0) throw badInput('rows', 'send at least one row');
    if (rows.length > limit) throw badInput('rows', `at most ${limit} rows per push, got ${rows.length}`);
    const run = await this.runner.begin({ connectorId: id, trigger: RunTrigger.PUSH, actor, requestId }, connector);
    try {
      const summary = await this.runner.ingest(run, connector, rows);
      const finished = await this.runner.finishPush(run, summary);
      const rejections = await this.dataSource.getRepository(RunRejection).find({ where: { runId: run.id }, order: { rowIndex: 'ASC' }, take: 1000 });
      return { run: finished, summary, rejections };
    } catch (error) {
      await this.runner.finishPush(run, null, error);
      throw error;
    }
  }

  private validName(name: string, field: string): string {
    const trimmed = name.trim();
    if (trimmed.length < 3 || trimmed.length > NAME_MAX) throw badInput(field, `must be 3 to ${NAME_MAX} characters`);
    return trimmed;
  }

  private async assertNameFree(repository: ReturnType<DataSource['getRepository']>, name: string): Promise<void> {
    if (await repository.findOneBy({ name })) throw new HubError('CONFLICT', `a connector named "${name}" exists`, 'input.name');
  }

  private validSecrets(kindName: string, secrets: SecretInput[]): Array<{ name: string; value: string }> {
    const allowed = connectorKind(kindName)!.secretNames;
    const seen = new Set<string>();
    return secrets.map((secret, index) => {
      if (!allowed.includes(secret.name)) {
        throw badInput(`input.secrets.${index}.name`, `"${secret.name}" is not a secret of ${kindName} connectors (${allowed.join(', ') || 'none'})`);
      }
      if (seen.has(secret.name)) throw badInput(`input.secrets.${index}.name`, `"${secret.name}" given twice`);
      if (secret.value.length > 4000) throw badInput(`input.secrets.${index}.value`, 'must be at most 4000 characters');
      seen.add(secret.name);
      return { name: secret.name, value: secret.value };
    });
  }

  private async validDefinition(candidate: Omit<Definition, 'mapping'> & { mapping: unknown }): Promise<Definition> {
    const kind = connectorKind(candidate.kind)!;
    if (candidate.kind === 'push') {
      if (candidate.schedule) throw badInput('input.schedule', 'push connectors have no schedule');
    } else {
      if (!candidate.schedule) throw badInput('input.schedule', 'a cron schedule is required, e.g. "0 17 * * *"');
      const problem = validateCron(candidate.schedule);
      if (problem) throw badInput('input.schedule', problem);
    }
    const zoneProblem = validateTimeZone(candidate.timeZone);
    if (zoneProblem) throw badInput('input.timeZone', zoneProblem);
    if (!Number.isInteger(candidate.lookbackDays) || candidate.lookbackDays < 0 || candidate.lookbackDays > LOOKBACK_MAX) {
      throw badInput('input.lookbackDays', `must be a whole number from 0 to ${LOOKBACK_MAX}`);
    }
    if (candidate.maxWindowDays != null && (!Number.isInteger(candidate.maxWindowDays) || candidate.maxWindowDays < 1 || candidate.maxWindowDays > LOOKBACK_MAX)) {
      throw badInput('input.maxWindowDays', `must be a whole number from 1 to ${LOOKBACK_MAX}`);
    }
    const config = kind.configSchema.safeParse(candidate.config);
    if (!config.success) throw zodToBadInput(config.error, 'input.config');
    this.requireEndpointsAllowed(kind.endpoints(config.data), await this.options.outbound.policy(), 'input.config');
    if (candidate.mapping == null) throw badInput('input.mapping', 'a mapping is required for pulled connectors');
    const mapping = connectorMappingSchema.safeParse(candidate.mapping);
    if (!mapping.success) throw zodToBadInput(mapping.error, 'input.mapping');
    const codes = metricCodesOf(mapping.data);
    if (codes.length > 0) {
      const metrics = await this.dataSource.getRepository(Metric).findBy({ code: In(codes) });
      for (const code of codes) {
        const metric = metrics.find((candidateMetric) => candidateMetric.code === code);
        if (!metric) throw badInput('input.mapping.metric', `unknown metric "${code}"`);
        if (metric.departmentId !== candidate.departmentId) {
          throw badInput('input.mapping.metric', `metric "${code}" belongs to another department`);
        }
      }
    }
    return { ...candidate, schedule: candidate.schedule || null, config: config.data, mapping: mapping.data };
  }
}
