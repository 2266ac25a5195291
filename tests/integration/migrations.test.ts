import type { DataSource } from 'typeorm';
import { FactBasis } from '../../src/common/enums';
import { createDataSource, migrate } from '../../src/database/data-source';
import { Connector } from '../../src/modules/connectors/connector.entity';
import { Department } from '../../src/modules/departments/department.entity';
import { OutboundHostDepartment } from '../../src/modules/outbound/outbound-host.entity';
import { AuditOutcome } from '../../src/security/audit';
import { AuditEvent } from '../../src/security/audit-event.entity';
import { onServerDatabase, testDatabaseConfig } from '../helpers/test-database';

/** Every table the entities map to, the many-to-many junction table included. */
function hubTables(dataSource: DataSource): string[] {
  return [...new Set(dataSource.entityMetadatas.map((metadata) => metadata.tableName))].sort();
}

async function existingTables(dataSource: DataSource): Promise<string[]> {
  const rows: Array<{ name: string }> = onServerDatabase()
    ? await dataSource.query('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()')
    : await dataSource.query(`SELECT name FROM sqlite_master WHERE type = 'table'`);
  return rows.map((row) => row.name).sort();
}

async function executedMigrations(dataSource: DataSource): Promise<number> {
  const rows: Array<{ n: number | string }> = await dataSource.query('SELECT COUNT(*) AS n FROM migrations');
  return Number(rows[0].n);
}

async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  const sql = await dataSource.driver.createSchemaBuilder().log();
  return sql.upQueries.map((query) => query.query);
}

describe('migrations', () => {
  let dataSource: DataSource;
  let allMigrations: string[];

  beforeAll(async () => {
    dataSource = createDataSource(testDatabaseConfig());
    await dataSource.initialize();
    await dataSource.dropDatabase();
    allMigrations = dataSource.migrations.map((migration) => migration.name ?? migration.constructor.name);
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  it('starts from a database without hub tables', async () => {
    const tables = await existingTables(dataSource);
    expect(tables.filter((table) => hubTables(dataSource).includes(table))).toEqual([]);
    expect(tables).not.toContain('migrations');
  });

  it('applies every migration, Initial first, creating every entity table', async () => {
    expect(allMigrations.length).toBeGreaterThanOrEqual(1);
    const applied = await migrate(dataSource);
    expect(applied).toEqual(allMigrations);
    expect(applied[0]).toMatch(/^Initial\d+$/);
    const tables = await existingTables(dataSource);
    for (const table of hubTables(dataSource)) expect(tables).toContain(table);
    expect(await executedMigrations(dataSource)).toBe(allMigrations.length);
  });

  it('leaves no difference between the entities and the migrated schema', async () => {
    expect(await pendingSchemaChanges(dataSource)).toEqual([]);
  });

  it('applies nothing when run again', async () => {
    expect(await migrate(dataSource)).toEqual([]);
    expect(await executedMigrations(dataSource)).toBe(allMigrations.length);
  });

  it('creates every hub table with utf8mb4_unicode_ci on the server database (connector names utf8mb4_bin)', async () => {
    if (!onServerDatabase()) return;
    const rows: Array<{ name: string; collation: string | null }> = await dataSource.query(
      'SELECT TABLE_NAME AS name, TABLE_COLLATION AS collation FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()',
    );
    const byTable = new Map(rows.map((row) => [row.name, row.collation]));
    for (const table of hubTables(dataSource)) {
      expect({ table, collation: byTable.get(table) }).toEqual({ table, collation: 'utf8mb4_unicode_ci' });
    }
    // Text columns inherit it: none may fall back to a 3-byte utf8 or latin1 collation.
    const columns: Array<{ tableName: string; columnName: string; collation: string }> = await dataSource.query(
      `SELECT TABLE_NAME AS tableName, COLUMN_NAME AS columnName, COLLATION_NAME AS collation
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND COLLATION_NAME IS NOT NULL`,
    );
    const hubColumns = columns.filter((column) => hubTables(dataSource).includes(column.tableName));
    expect(hubColumns.length).toBeGreaterThan(0);
    // Except connector names, compared byte for byte (unique per department: "Sở Y tế" and "So Y te" differ).
    expect(hubColumns.filter((column) => column.collation !== 'utf8mb4_unicode_ci')).toEqual([{ tableName: 'connector', columnName: 'name', collation: 'utf8mb4_bin' }]);
  });

  describe('Vietnamese text round-trips byte-exact', () => {
    const nfc = 'Nghệ An'.normalize('NFC');
    const nfd = 'Nghệ An'.normalize('NFD');
    const texts = [
      'Khám chữa bệnh bằng CCCD gắn chip',
      'Nghệ An',
      'Phường Hưng Bình',
      '📊 Báo cáo tổng hợp',
      nfd,
      nfc,
      'Đảng ủy – Ủy ban nhân dân “xã Hưng Đông” ₫',
    ];
    const code = (index: number) => `UTF8_TEST_${index}`;
    const hex = (text: string) => Buffer.from(text, 'utf8').toString('hex').toUpperCase();

    beforeAll(async () => {
      // The two normal forms really are different byte sequences.
      expect(Buffer.from(nfc, 'utf8').equals(Buffer.from(nfd, 'utf8'))).toBe(false);
      const repository = dataSource.getRepository(Department);
      for (const [index, text] of texts.entries()) {
        await repository.insert({
          code: code(index),
          name: text,
          nameVi: text,
          validFrom: null,
          validTo: null,
          basis: FactBasis.INFERRED,
        });
      }
    });

    it('reads back the same UTF-8 bytes through the repository', async () => {
      const rows = await dataSource.getRepository(Department).find({ order: { id: 'ASC' } });
      const byCode = new Map(rows.map((row) => [row.code, row]));
      for (const [index, text] of texts.entries()) {
        const row = byCode.get(code(index));
        expect(row).toBeDefined();
        expect({ code: code(index), equal: Buffer.from(row!.name, 'utf8').equals(Buffer.from(text, 'utf8')) }).toEqual({
          code: code(index),
          equal: true,
        });
        expect(Buffer.from(row!.nameVi, 'utf8').equals(Buffer.from(text, 'utf8'))).toBe(true);
      }
    });

    it('stores the same UTF-8 bytes (HEX of the column)', async () => {
      const rows: Array<{ code: string; nameHex: string; nameViHex: string }> = await dataSource.query(
        `SELECT code, HEX(name) AS nameHex, HEX(${dataSource.driver.escape('nameVi')}) AS nameViHex FROM department`,
      );
      const byCode = new Map(rows.map((row) => [row.code, row]));
      for (const [index, text] of texts.entries()) {
        const row = byCode.get(code(index));
        expect(row).toBeDefined();
        expect({ code: code(index), hex: row!.nameHex.toUpperCase() }).toEqual({ code: code(index), hex: hex(text) });
        expect(row!.nameViHex.toUpperCase()).toBe(hex(text));
      }
    });

    it('finds a row by its exact text', async () => {
      const found = await dataSource.getRepository(Department).findOneBy({ code: code(3) });
      expect(found?.name).toBe('📊 Báo cáo tổng hợp');
      const byName = await dataSource.getRepository(Department).findBy({ name: 'Phường Hưng Bình' });
      expect(byName.map((row) => row.code)).toEqual([code(2)]);
    });
  });

  it('undoes every migration, leaving no hub table behind', async () => {
    // The down migrations run on tables that hold rows (the Vietnamese texts above).
    expect(await dataSource.getRepository(Department).count()).toBeGreaterThan(0);
    let executed = await executedMigrations(dataSource);
    expect(executed).toBe(allMigrations.length);
    while (executed > 0) {
      await dataSource.undoLastMigration();
      const after = await executedMigrations(dataSource);
      expect(after).toBe(executed - 1);
      executed = after;
    }
    const tables = await existingTables(dataSource);
    expect(tables.filter((table) => hubTables(dataSource).includes(table))).toEqual([]);
    expect(tables.filter((table) => table.startsWith('temporary_'))).toEqual([]);
  });

  it('migrates again after a full undo, to the same schema', async () => {
    expect(await migrate(dataSource)).toEqual(allMigrations);
    expect(await pendingSchemaChanges(dataSource)).toEqual([]);
    expect(await migrate(dataSource)).toEqual([]);
    const tables = await existingTables(dataSource);
    for (const table of hubTables(dataSource)) expect(tables).toContain(table);
    // The tables were dropped and recreated: the earlier rows are gone.
    expect(await dataSource.getRepository(Department).count()).toBe(0);
  });

  it('DepartmentReach: existing entries serve administrator-configured connectors; staff connectors are told apart by the audit log', async () => {
    // Back to just before the migration, with the rows an earlier version held.
    const name = allMigrations.find((migration) => migration.startsWith('DepartmentReach'))!;
    const applied = async () => ((await dataSource.query('SELECT name FROM migrations')) as Array<{ name: string }>).map((row) => row.name);
    while ((await applied()).includes(name)) await dataSource.undoLastMigration();
    const q = (identifier: string) => dataSource.driver.escape(identifier);
    const department = await dataSource.getRepository(Department).save({ code: 'SO_YT', name: 'Health', nameVi: 'Sở Y tế', validFrom: null, validTo: null, basis: FactBasis.SOURCE });
    const now = new Date();
    const stamp = now.toISOString().slice(0, 19).replace('T', ' ');
    const ids: number[] = [];
    for (const connector of ['registered by staff', 'changed by staff', 'registered by an administrator', 'from before the audit log']) {
      await dataSource.query(
        `INSERT INTO ${q('connector')} (${['name', 'kind', 'departmentId', 'schedule', 'timeZone', 'enabled', 'lookbackDays', 'config', 'mapping', 'mappingVersion', 'createdAt', 'updatedAt'].map(q).join(', ')})
         VALUES (?, 'http-json', ?, '0 17 * * *', 'Asia/Ho_Chi_Minh', 1, 7, '{}', '{}', 1, ?, ?)`,
        [connector, department.id, stamp, stamp],
      );
      ids.push(Number(((await dataSource.query(`SELECT MAX(${q('id')}) AS id FROM ${q('connector')}`)) as Array<{ id: number }>)[0].id));
    }
    await dataSource.query(`INSERT INTO ${q('outbound_host')} (${['pattern', 'allowPrivate', 'note', 'createdBy', 'createdAt'].map(q).join(', ')}) VALUES ('data.soyte.example.gov.vn', 0, NULL, 'admin', ?)`, [stamp]);
    const audit = (role: string, action: string, id: number, details: unknown) =>
      dataSource.getRepository(AuditEvent).insert({
        at: now, actorSubject: 'key:1', actorName: 'key', actorRole: role, action, targetType: 'connector', targetId: String(id),
        outcome: AuditOutcome.SUCCESS, errorCode: null, requestId: null, clientIp: null, details: JSON.stringify(details),
      });
    await audit('DEPARTMENT_IT', 'registerConnector', ids[0], { arguments: { input: { name: 'x', config: {} } } });
    await audit('ADMIN', 'registerConnector', ids[1], { arguments: { input: { name: 'x', config: {} } } });
    await audit('DEPARTMENT_IT', 'updateConnector', ids[1], { arguments: { id: String(ids[1]), input: { config: { url: 'https://x' } } } });
    await audit('DEPARTMENT_IT', 'updateConnector', ids[2], { arguments: { id: String(ids[2]), input: { name: 'renamed' } } });
    await audit('ADMIN', 'registerConnector', ids[2], { arguments: { input: { name: 'x', config: {} } } });

    expect(await migrate(dataSource)).toEqual(allMigrations.slice(allMigrations.indexOf(name)));
    const flags = await dataSource.getRepository(Connector).find({ order: { id: 'ASC' }, select: { id: true, configuredByAdmin: true } });
    expect(flags.map((connector) => connector.configuredByAdmin)).toEqual([false, false, true, true]);
    expect(await dataSource.getRepository(OutboundHostDepartment).count()).toBe(0);
    expect(await pendingSchemaChanges(dataSource)).toEqual([]);
  });
});
