import { In, IsNull, type DataSource, type EntityManager } from 'typeorm';
import type { ZodError } from 'zod';
import { connectorKind, CONNECTOR_KIND_NAMES } from '../../../connectors/registry';
import type { ConnectorContext, ConnectorKind } from '../../../connectors/sdk/contract';
import { connectorMappingSchema, IDENTITY_MAPPING, metricCodesOf, type ConnectorMapping, type ObservationRow } from '../../../connectors/sdk/mapping';
import { isValidDate } from '../../common/period';
import { todayIn } from '../../common/clock';
import { badInput, HubError, notFound } from '../../common/errors';
import { requireByCode } from '../../database/by-code';
import { isDuplicateKeyError, retryWriteConflicts } from '../../database/write-conflicts';
import type { ConnectorRunner } from '../../ingestion/connector-runner';
import type { ImportSummary } from '../../ingestion/ingest';
import { readPreview, withSource, type SourceCall } from './connector-preview';
import { storedRejection } from '../../ingestion/rejections';
import { assertRole, assertVisible, CONNECTOR_WRITE_ROLES, forbidden } from '../../security/access';
import { Role, type Principal } from '../../security/principal';
import { shortestInterval, validateCron, validateTimeZone } from '../../scheduler/scheduler';
import { secretDestination, type ConnectorSecretStore } from '../../security/connector-secrets';
import type { OutboundGuard } from '../../security/outbound-guard';
import type { OutboundPolicy } from '../../security/outbound-policy';
import { Department } from '../departments/department.entity';
import { assertNotReorganized } from '../departments/department-history';
import { Metric } from '../metrics/metric.entity';
import { ConnectorRun, RunRejection } from './connector-run.entity';
import { Connector, ConnectorMappingVersion, ConnectorSecret, RunStatus, RunTrigger } from './connector.entity';
import type { ConnectorInput, ConnectorPreview, ConnectorTestResult, ConnectorUpdateInput, PushResult, SecretInput, ValidatedDefinition } from './connector.types';
import { parseNodeId, toGlobalId } from '../../graphql/node-id';

export const NAME_MAX = 200;
export const LOOKBACK_MAX = 3660;

function zodToBadInput(error: ZodError, prefix: string): HubError {
  let issue = error.issues[0];
  // A union (one mapping, or { rows }) reports "invalid input"; the first alternative says what is wrong.
  while (issue.code === 'invalid_union' && issue.unionErrors[0]?.issues[0]) issue = issue.unionErrors[0].issues[0];
  const path = [prefix, ...issue.path.map(String)].join('.');
  const others = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problems)` : '';
  return badInput(path, `${issue.message}${others}`);
}

function nameConflict(name: string): HubError {
  return new HubError('CONFLICT', `this department already has a connector named "${name}"`, 'input.name');
}

/** Turns the unique index's refusal (a concurrent writer took the name first) into the same CONFLICT. */
function nameTaken(name: string): (error: unknown) => never {
  return (error) => {
    throw isDuplicateKeyError(error) ? nameConflict(name) : error;
  };
}

/** A connector's key from an `id` argument: its global id, or its database number (see parseNodeId). */
export function parseConnectorId(id: string, field = 'id'): number {
  return parseNodeId(id, 'Connector', field, 'connector');
}

interface Definition {
  kind: string;
  departmentId: number;
  /** Whether an administrator writes this configuration (which allowlist entries it may use). */
  configuredByAdmin: boolean;
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
      /** MIN_SCHEDULE_MINUTES in ms: the most frequent schedule a DEPARTMENT_IT caller may set. */
      minScheduleIntervalMs: number;
      /**
       * Longest a testConnector call waits for the source (ms): then it answers `ok: false` with a timeout. Keep it
       * below the GraphQL operation limit so the answer is the source's problem, not a request timeout.
       */
      testTimeoutMs: number;
    },
  ) {}

  /**
   * A connector that has not been deleted, or NOT_FOUND; with `principal`, a connector outside the caller's
   * departments is NOT_FOUND too, with the same message, so an id tells nothing about other departments.
   */
  async requireConnector(id: number, principal?: Principal): Promise<Connector> {
    const connector = await this.dataSource.getRepository(Connector).findOneBy({ id, deletedAt: IsNull() });
    const missing = () => notFound('connector', toGlobalId('Connector', id));
    if (!connector) throw missing();
    if (principal) assertVisible(principal, connector.departmentId, missing);
    return connector;
  }

  /**
   * A connector the caller may manage, run or push to: ADMIN, or DEPARTMENT_IT of the connector's department
   * (its mapping can only name that department's metrics, see validDefinition).
   */
  async requireManageable(id: number, principal: Principal, action: string): Promise<Connector> {
    assertRole(principal, CONNECTOR_WRITE_ROLES, action);
    return this.requireConnector(id, principal);
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
    await assertNotReorganized(this.dataSource, department, 'input.department');
    const definition = await this.validDefinition({
      kind: input.kind,
      departmentId: department.id,
      configuredByAdmin: principal.role === Role.ADMIN,
      schedule: input.schedule ?? null,
      timeZone: input.timeZone ?? this.options.timeZone,
      lookbackDays: input.lookbackDays ?? 7,
      maxWindowDays: input.maxWindowDays ?? null,
      config: input.config,
      mapping: input.mapping ?? (kind.pulled ? undefined : IDENTITY_MAPPING),
    }, { principal, scheduleSet: true });
    const secrets = this.validSecrets(input.kind, input.secrets ?? []);
    const connector = await this.dataSource.transaction(async (manager) => {
      await this.assertNameFree(manager.getRepository(Connector), definition.departmentId, name);
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
        version: 1,
        createdAt: now,
        updatedAt: now,
        deletedAt: null,
        configuredByAdmin: definition.configuredByAdmin,
      });
      await manager.getRepository(ConnectorMappingVersion).insert({
        connectorId: saved.id, version: 1, mapping: saved.mapping, createdAt: now, createdBy: actor,
      });
      await this.options.secrets.write(manager, saved.id, secrets.filter((secret) => secret.value !== ''), secretDestination(kind, definition.config));
      return saved;
    }).catch(nameTaken(name));
    await this.options.onChange();
    return connector;
  }

  /**
   * Checks a whole definition as `register` would (or, with `id`, as `update` to this definition would) without
   * writing anything, and answers it as it would be stored: the name trimmed and in NFC, defaults filled. The
   * connectors-as-code tooling checks every manifest this way before it applies any, and compares the answer with
   * what is registered to tell a change from none.
   */
  async validate(input: ConnectorInput, id: number | null, principal: Principal): Promise<ValidatedDefinition> {
    assertRole(principal, CONNECTOR_WRITE_ROLES, 'validateConnector');
    const name = this.validName(input.name, 'input.name');
    const kind = connectorKind(input.kind);
    if (!kind) throw badInput('input.kind', `unknown kind "${input.kind}"; one of ${CONNECTOR_KIND_NAMES.join(', ')}`);
    const department = await requireByCode(this.dataSource, Department, 'department', input.department);
    if (principal.departmentIds && !principal.departmentIds.includes(department.id)) {
      throw forbidden(`input.department: ${department.code} is outside the departments of this caller`);
    }
    const current = id == null ? null : await this.requireManageable(id, principal, 'validateConnector');
    if (current && current.kind !== input.kind) throw badInput('input.kind', `connector ${id} is of kind ${current.kind}; a connector's kind never changes`);
    if (current && current.departmentId !== department.id) throw badInput('input.department', `connector ${id} belongs to another department; a connector's department never changes`);
    const secrets = this.validSecrets(input.kind, input.secrets ?? []);
    const parsed = kind.configSchema.safeParse(input.config);
    // As update does: whoever changes the configuration answers for where it points.
    const configChanged = !current || !parsed.success || JSON.stringify(parsed.data) !== current.config;
    const schedule = input.schedule ?? null;
    const definition = await this.validDefinition({
      kind: input.kind,
      departmentId: department.id,
      configuredByAdmin: configChanged ? principal.role === Role.ADMIN : current.configuredByAdmin,
      schedule,
      timeZone: input.timeZone ?? current?.timeZone ?? this.options.timeZone,
      lookbackDays: input.lookbackDays ?? 7,
      maxWindowDays: input.maxWindowDays ?? null,
      config: input.config,
      mapping: input.mapping ?? (kind.pulled ? undefined : IDENTITY_MAPPING),
    }, { principal, scheduleSet: !current || schedule !== current.schedule });
    if (current && configChanged) await this.requireSecretsFollow(current, definition.config, secrets);
    if (!current || current.name !== name) await this.assertNameFree(this.dataSource.getRepository(Connector), department.id, name);
    return {
      name,
      kind: input.kind,
      department: department.code,
      schedule: definition.schedule,
      timeZone: definition.timeZone,
      lookbackDays: definition.lookbackDays,
      maxWindowDays: definition.maxWindowDays,
      config: definition.config as Record<string, unknown>,
      mapping: definition.mapping as unknown as Record<string, unknown>,
    };
  }

  /**
   * Changes a connector. The change is applied inside one transaction to the definition as it is when the
   * transaction holds it (the row is locked on MySQL/MariaDB; SQLite runs one write transaction at a time):
   * concurrent changes apply one after the other, each keeping what the others changed, and each one is a new
   * `version`. With `expectedVersion` a change made against an older definition is refused CONFLICT.
   */
  async update(id: number, input: ConnectorUpdateInput, principal: Principal): Promise<Connector> {
    // The department and kind of a connector never change: access and secret names are checked before locking.
    const found = await this.requireManageable(id, principal, 'updateConnector');
    const actor = principal.name;
    const name = input.name != null ? this.validName(input.name, 'input.name') : null;
    const kind = connectorKind(found.kind)!;
    const secrets = this.validSecrets(found.kind, input.secrets ?? []);
    // Checked before locking (they read other tables): a move needs the secrets again, and the allowlist entries
    // the connector may use depend on whether an administrator writes its configuration.
    const intended = kind.configSchema.safeParse(input.config ?? JSON.parse(found.config));
    if (intended.success) await this.requireSecretsFollow(found, intended.data, secrets);
    const reach = await this.runner.reachOf(found);
    const policies = new Map<boolean, OutboundPolicy>();
    for (const configuredByAdmin of new Set([found.configuredByAdmin, principal.role === Role.ADMIN])) {
      policies.set(configuredByAdmin, await this.options.outbound.policy({ ...reach, configuredByAdmin }));
    }
    await retryWriteConflicts(
      () =>
        this.dataSource.transaction(async (manager) => {
          const current = await this.lockConnector(manager, id);
          if (input.expectedVersion != null && input.expectedVersion !== current.version) {
            throw new HubError(
              'CONFLICT',
              `input.expectedVersion: connector ${id} is at version ${current.version}, not ${input.expectedVersion}; it was changed since it was read: read it again and reapply the change`,
              'input.expectedVersion',
            );
          }
          // Whoever changes the configuration answers for where it points: the allowlist entries it may use follow.
          const configChanged = input.config != null && JSON.stringify(input.config) !== current.config;
          const configuredByAdmin = configChanged ? principal.role === Role.ADMIN : current.configuredByAdmin;
          const policy = policies.get(configuredByAdmin) ?? (await this.options.outbound.policy({ ...reach, configuredByAdmin }));
          const definition = await this.validDefinition({
            kind: current.kind,
            departmentId: current.departmentId,
            configuredByAdmin,
            schedule: input.schedule !== undefined ? input.schedule : current.schedule,
            timeZone: input.timeZone ?? current.timeZone,
            lookbackDays: input.lookbackDays ?? current.lookbackDays,
            maxWindowDays: input.maxWindowDays !== undefined ? input.maxWindowDays : current.maxWindowDays,
            config: input.config ?? JSON.parse(current.config),
            mapping: input.mapping ?? JSON.parse(current.mapping),
          }, { principal, scheduleSet: input.schedule !== undefined, within: { manager, policy } });
          const newName = name ?? current.name;
          if (newName !== current.name) await this.assertNameFree(manager.getRepository(Connector), current.departmentId, newName);
          const mapping = JSON.stringify(definition.mapping);
          const mappingChanged = input.mapping != null && mapping !== current.mapping;
          const mappingVersion = mappingChanged ? (await this.newestMappingVersion(manager, current)) + 1 : current.mappingVersion;
          const now = new Date();
          await manager.getRepository(Connector).update(id, {
            name: newName,
            schedule: definition.schedule,
            timeZone: definition.timeZone,
            lookbackDays: definition.lookbackDays,
            maxWindowDays: definition.maxWindowDays,
            config: JSON.stringify(definition.config),
            mapping,
            mappingVersion,
            version: current.version + 1,
            configuredByAdmin: definition.configuredByAdmin,
            updatedAt: now,
          });
          if (mappingChanged) {
            await manager.getRepository(ConnectorMappingVersion).insert({ connectorId: id, version: mappingVersion, mapping, createdAt: now, createdBy: actor });
          }
          await this.options.secrets.write(manager, id, secrets, secretDestination(kind, definition.config));
        }),
      { what: `updateConnector ${id}` },
    ).catch(nameTaken(name ?? found.name));
    await this.options.onChange();
    return this.requireConnector(id);
  }

  /** The connector, locked for the rest of the transaction (a write lock on MySQL/MariaDB), or NOT_FOUND. */
  private async lockConnector(manager: EntityManager, id: number): Promise<Connector> {
    // SQLite has no row locks; its write transactions run one at a time (database/sqlite-transactions.ts).
    const lock = this.dataSource.options.type === 'better-sqlite3' ? undefined : { mode: 'pessimistic_write' as const };
    const connector = await manager.getRepository(Connector).findOne({ where: { id, deletedAt: IsNull() }, lock });
    if (!connector) throw notFound('connector', toGlobalId('Connector', id));
    return connector;
  }

  /**
   * The newest mapping version of a locked connector: its mappingVersion, or a newer stored version (left by a
   * lost race before changes were serialized), so the next version never collides with a stored one.
   */
  private async newestMappingVersion(manager: EntityManager, connector: Connector): Promise<number> {
    const stored = await manager.getRepository(ConnectorMappingVersion).maximum('version', { connectorId: connector.id });
    return Math.max(connector.mappingVersion, Number(stored ?? 0));
  }

  async setEnabled(id: number, enabled: boolean, principal: Principal): Promise<Connector> {
    await this.requireManageable(id, principal, 'setConnectorEnabled');
    await this.dataSource
      .getRepository(Connector)
      .createQueryBuilder()
      .update()
      .set({ enabled, updatedAt: new Date(), version: () => 'version + 1' })
      .where('id = :id', { id })
      .execute();
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
    const config = kind.configSchema.safeParse(JSON.parse(connector.config));
    if (!config.success) {
      const problem = zodToBadInput(config.error, 'config');
      return { ok: false, message: `the stored configuration is not valid any more: ${problem.message}; update the connector`, warnings: [], streams: [] };
    }
    return withSource<ConnectorTestResult>(this.sourceCall(), connector, kind, config.data, (context) => this.probe(kind, config.data, context), (message) => ({
      ok: false, message, warnings: [], streams: [],
    }));
  }

  /**
   * What a definition would bring, before it is saved, writing nothing (see connector-preview.ts): checked as
   * validateConnector checks it, scope included; the secrets of input.secrets (used for this read only, never
   * stored), and for the others a saved connector's own when `id` is given.
   */
  async preview(input: ConnectorInput, id: number | null, principal: Principal): Promise<ConnectorPreview> {
    const definition = await this.validate(input, id, principal);
    const secrets = this.validSecrets(input.kind, input.secrets ?? []);
    const current = id == null ? null : await this.requireManageable(id, principal, 'previewConnector');
    const department = await requireByCode(this.dataSource, Department, 'department', definition.department);
    const config = JSON.stringify(definition.config);
    const connector = Object.assign(new Connector(), {
      id: current?.id ?? 0,
      kind: definition.kind,
      departmentId: department.id,
      // As validate: whoever changes the configuration answers for where it points.
      configuredByAdmin: current && current.config === config ? current.configuredByAdmin : principal.role === Role.ADMIN,
      config,
      timeZone: definition.timeZone,
    });
    return readPreview(this.dataSource, this.sourceCall(secrets), connector, definition, todayIn(this.options.timeZone));
  }

  /**
   * How testConnector and previewConnector reach a source: the runner's context (with the secrets given in the
   * call, if any), the test's time limit, the allowlist.
   */
  private sourceCall(secrets: ReadonlyArray<{ name: string; value: string }> = []): SourceCall {
    return { runner: this.runner, limitMs: this.options.testTimeoutMs, allow: (endpoints, policy) => this.requireEndpointsAllowed(endpoints, policy, 'config'), secrets };
  }

  /** Checks the source, then discovers its streams; what the kind said, unredacted. */
  private async probe(kind: ConnectorKind, config: unknown, context: ConnectorContext): Promise<ConnectorTestResult> {
    const check = await kind.check(config, context);
    const warnings = check.warnings ?? [];
    if (!check.ok) return { ok: false, message: check.message, warnings, streams: [] };
    try {
      return { ok: true, message: check.message, warnings, streams: await kind.discover(config, context) };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, message: `reached, but discovery failed: ${message}`, warnings, streams: [] };
    }
  }

  /**
   * Secrets go only to the destination they were set for. An update that moves the connector (another host or
   * port in its configuration) must give every secret it has again, in the same call; returns the destination
   * the written secrets are bound to.
   */
  private async requireSecretsFollow(current: Connector, config: unknown, secrets: ReadonlyArray<{ name: string }>): Promise<string> {
    const kind = connectorKind(current.kind)!;
    const destination = secretDestination(kind, config);
    // Secrets set before destinations were recorded are bound to where the connector points now.
    const before = kind.configSchema.safeParse(JSON.parse(current.config));
    const now = before.success ? secretDestination(kind, before.data) : null;
    const given = new Set(secrets.map((secret) => secret.name));
    const missing = (await this.options.secrets.bindings(current.id))
      .filter((secret) => (secret.destination ?? now) !== destination && !given.has(secret.name))
      .map((secret) => secret.name);
    if (missing.length > 0) {
      throw badInput(
        'input.secrets',
        `the connector now reaches ${destination || 'no host'}: give its secrets (${missing.join(', ')}) again in the same call, ` +
          'or they would be sent to a destination they were not set for',
      );
    }
    return destination;
  }

  /**
   * Department staff may not schedule a connector more often than MIN_SCHEDULE_MINUTES: a source a department
   * chooses must not keep the hub (and the source) busy every second. Administrators are exempt.
   */
  private requireScheduleFloor(schedule: string, timeZone: string): void {
    const floorMs = this.options.minScheduleIntervalMs;
    const shortest = shortestInterval(schedule, timeZone, floorMs);
    if (shortest >= floorMs) return;
    const every = shortest < 60_000 ? `${Math.round(shortest / 1000)} s` : `${Math.round(shortest / 60_000)} min`;
    throw badInput(
      'input.schedule',
      `"${schedule}" fires ${every} after a previous fire; a department's connector may fire at most every ${floorMs / 60_000} min (MIN_SCHEDULE_MINUTES), e.g. "*/${Math.max(5, floorMs / 60_000)} * * * *"; an administrator may set a more frequent schedule`,
    );
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
    if (!connectorKind(connector.kind)?.pulled) throw badInput('id', `a ${connector.kind} connector has no source to run; send rows with submitObservations`);
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
    if (connectorKind(connector.kind)?.pulled !== false) throw badInput('connectorId', `connector ${id} is of kind ${connector.kind}, which the hub pulls: rows cannot be pushed to it`);
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
    let summary: ImportSummary;
    try {
      summary = await this.runner.ingest(run, connector, rows);
    } catch (error) {
      await this.runner.finishPush(run, connector, null, error);
      throw error;
    }
    // Committed: the answer is what was stored, whatever happens to the run's bookkeeping from here on (the ledger
    // row left RUNNING is closed as INTERRUPTED once its heartbeat is stale). The rejections are the ones stored, in
    // their stored form (bounded, raw as JSON), without reading them back.
    const finished = await this.runner.finishPush(run, connector, summary).catch(() =>
      Object.assign(run, {
        fetched: summary.fetched,
        imported: summary.imported,
        updated: summary.updated,
        unchanged: summary.unchanged,
        rejected: summary.rejected,
        batches: 1, attempts: 1,
        status: summary.rejected > 0 ? RunStatus.PARTIAL : RunStatus.SUCCEEDED,
        finishedAt: new Date(),
      }),
    );
    const rejections = summary.rejections.map((rejection) => Object.assign(new RunRejection(), { runId: run.id, ...storedRejection(rejection) }));
    return { run: finished, summary, rejections };
  }

  /** The name as stored: NFC (one encoding for "ở", however it was typed), trimmed. */
  private validName(name: string, field: string): string {
    const trimmed = name.normalize('NFC').trim();
    if (trimmed.length < 3 || trimmed.length > NAME_MAX) throw badInput(field, `must be 3 to ${NAME_MAX} characters`);
    return trimmed;
  }

  /**
   * Names are unique within a department only (byte for byte: see the Connector entity), so a conflict never
   * reveals what another department called its connectors. The unique index settles two writers at once.
   */
  private async assertNameFree(repository: ReturnType<DataSource['getRepository']>, departmentId: number, name: string): Promise<void> {
    if (await repository.findOneBy({ departmentId, name })) throw nameConflict(name);
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

  /**
   * The candidate definition, validated. Inside a transaction pass its manager and the outbound policy read
   * before it: the checks then take no second pool connection while the transaction holds one.
   */
  private async validDefinition(
    candidate: Omit<Definition, 'mapping'> & { mapping: unknown },
    change: { principal: Principal; scheduleSet: boolean; within?: { manager: EntityManager; policy: OutboundPolicy } },
  ): Promise<Definition> {
    const kind = connectorKind(candidate.kind)!;
    const zoneProblem = validateTimeZone(candidate.timeZone);
    if (!kind.pulled) {
      if (candidate.schedule) throw badInput('input.schedule', `${candidate.kind} connectors have no schedule`);
    } else {
      if (!candidate.schedule) throw badInput('input.schedule', 'a cron schedule is required, e.g. "0 17 * * *"');
      const problem = validateCron(candidate.schedule);
      if (problem) throw badInput('input.schedule', problem);
      if (change.scheduleSet && change.principal.role !== Role.ADMIN && !zoneProblem) this.requireScheduleFloor(candidate.schedule, candidate.timeZone);
    }
    if (zoneProblem) throw badInput('input.timeZone', zoneProblem);
    if (!Number.isInteger(candidate.lookbackDays) || candidate.lookbackDays < 0 || candidate.lookbackDays > LOOKBACK_MAX) {
      throw badInput('input.lookbackDays', `must be a whole number from 0 to ${LOOKBACK_MAX}`);
    }
    if (candidate.maxWindowDays != null && (!Number.isInteger(candidate.maxWindowDays) || candidate.maxWindowDays < 1 || candidate.maxWindowDays > LOOKBACK_MAX)) {
      throw badInput('input.maxWindowDays', `must be a whole number from 1 to ${LOOKBACK_MAX}`);
    }
    const config = kind.configSchema.safeParse(candidate.config);
    if (!config.success) throw zodToBadInput(config.error, 'input.config');
    const policy = change.within?.policy ?? (await this.options.outbound.policy(await this.runner.reachOf(candidate)));
    this.requireEndpointsAllowed(kind.endpoints(config.data), policy, 'input.config');
    if (candidate.mapping == null) throw badInput('input.mapping', 'a mapping is required for pulled connectors');
    const mapping = connectorMappingSchema.safeParse(candidate.mapping);
    if (!mapping.success) throw zodToBadInput(mapping.error, 'input.mapping');
    const codes = metricCodesOf(mapping.data);
    if (codes.length > 0) {
      const metrics = await (change.within?.manager ?? this.dataSource.manager).getRepository(Metric).findBy({ code: In(codes) });
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
