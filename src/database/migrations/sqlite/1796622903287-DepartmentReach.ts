import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-department reach and connector names:
 * - `outbound_host_department`: the departments whose connectors may use an allowlist entry. Existing entries get
 *   none, so they keep serving the connectors an administrator configured, and department-configured connectors
 *   need an administrator to grant their department (setOutboundHostDepartments).
 * - `connector.configuredByAdmin`: existing connectors count as configured by an administrator unless the audit
 *   log shows that a caller of another role registered them or changed their configuration.
 * - connector names are unique within a department (no longer across departments) (SQLite compares text byte for byte already).
 * - `connector_run_lock`: at most one pulled run per connector at a time.
 */

export class DepartmentReach1796622903287 implements MigrationInterface {
  name = 'DepartmentReach1796622903287';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "UQ_connector_name"`);
    await queryRunner.query(`CREATE TABLE "connector_run_lock" ("connectorId" integer PRIMARY KEY NOT NULL, "runId" integer NOT NULL, "acquiredAt" datetime NOT NULL)`);
    await queryRunner.query(`CREATE TABLE "outbound_host_department" ("outboundHostId" integer NOT NULL, "departmentId" integer NOT NULL, PRIMARY KEY ("outboundHostId", "departmentId"))`);
    await queryRunner.query(`CREATE TABLE "temporary_connector" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar(200) NOT NULL, "kind" varchar(32) NOT NULL, "departmentId" integer NOT NULL, "schedule" varchar(100), "timeZone" varchar(64) NOT NULL, "enabled" boolean NOT NULL DEFAULT (1), "lookbackDays" integer NOT NULL DEFAULT (7), "maxWindowDays" integer, "config" text NOT NULL, "mapping" text NOT NULL, "mappingVersion" integer NOT NULL DEFAULT (1), "createdAt" datetime NOT NULL, "updatedAt" datetime NOT NULL, "deletedAt" datetime, "configuredByAdmin" boolean NOT NULL DEFAULT (0), CONSTRAINT "FK_abe2687c516bb885106c3f24372" FOREIGN KEY ("departmentId") REFERENCES "department" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_connector"("id", "name", "kind", "departmentId", "schedule", "timeZone", "enabled", "lookbackDays", "maxWindowDays", "config", "mapping", "mappingVersion", "createdAt", "updatedAt", "deletedAt") SELECT "id", "name", "kind", "departmentId", "schedule", "timeZone", "enabled", "lookbackDays", "maxWindowDays", "config", "mapping", "mappingVersion", "createdAt", "updatedAt", "deletedAt" FROM "connector"`);
    await queryRunner.query(`DROP TABLE "connector"`);
    await queryRunner.query(`ALTER TABLE "temporary_connector" RENAME TO "connector"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_connector_department_name" ON "connector" ("departmentId", "name") `);
    await queryRunner.query(`UPDATE "connector" SET "configuredByAdmin" = 1 WHERE CAST("id" AS TEXT) NOT IN (SELECT "targetId" FROM "audit_event" WHERE "targetType" = 'connector' AND "targetId" IS NOT NULL AND "outcome" = 'SUCCESS' AND "actorRole" <> 'ADMIN' AND ("action" = 'registerConnector' OR ("action" = 'updateConnector' AND "details" LIKE '%"config"%')))`);
    await queryRunner.query(`CREATE TABLE "temporary_connector_run_lock" ("connectorId" integer PRIMARY KEY NOT NULL, "runId" integer NOT NULL, "acquiredAt" datetime NOT NULL, CONSTRAINT "FK_fcd315be28cbae760bcdf6e5b2d" FOREIGN KEY ("connectorId") REFERENCES "connector" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_connector_run_lock"("connectorId", "runId", "acquiredAt") SELECT "connectorId", "runId", "acquiredAt" FROM "connector_run_lock"`);
    await queryRunner.query(`DROP TABLE "connector_run_lock"`);
    await queryRunner.query(`ALTER TABLE "temporary_connector_run_lock" RENAME TO "connector_run_lock"`);
    await queryRunner.query(`CREATE TABLE "temporary_outbound_host_department" ("outboundHostId" integer NOT NULL, "departmentId" integer NOT NULL, CONSTRAINT "FK_d3a21ddea331aa0f168b21fc07f" FOREIGN KEY ("outboundHostId") REFERENCES "outbound_host" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "FK_8926271922e709462c56ee48ad9" FOREIGN KEY ("departmentId") REFERENCES "department" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("outboundHostId", "departmentId"))`);
    await queryRunner.query(`INSERT INTO "temporary_outbound_host_department"("outboundHostId", "departmentId") SELECT "outboundHostId", "departmentId" FROM "outbound_host_department"`);
    await queryRunner.query(`DROP TABLE "outbound_host_department"`);
    await queryRunner.query(`ALTER TABLE "temporary_outbound_host_department" RENAME TO "outbound_host_department"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "outbound_host_department" RENAME TO "temporary_outbound_host_department"`);
    await queryRunner.query(`CREATE TABLE "outbound_host_department" ("outboundHostId" integer NOT NULL, "departmentId" integer NOT NULL, PRIMARY KEY ("outboundHostId", "departmentId"))`);
    await queryRunner.query(`INSERT INTO "outbound_host_department"("outboundHostId", "departmentId") SELECT "outboundHostId", "departmentId" FROM "temporary_outbound_host_department"`);
    await queryRunner.query(`DROP TABLE "temporary_outbound_host_department"`);
    await queryRunner.query(`ALTER TABLE "connector_run_lock" RENAME TO "temporary_connector_run_lock"`);
    await queryRunner.query(`CREATE TABLE "connector_run_lock" ("connectorId" integer PRIMARY KEY NOT NULL, "runId" integer NOT NULL, "acquiredAt" datetime NOT NULL)`);
    await queryRunner.query(`INSERT INTO "connector_run_lock"("connectorId", "runId", "acquiredAt") SELECT "connectorId", "runId", "acquiredAt" FROM "temporary_connector_run_lock"`);
    await queryRunner.query(`DROP TABLE "temporary_connector_run_lock"`);
    await queryRunner.query(`DROP INDEX "UQ_connector_department_name"`);
    await queryRunner.query(`ALTER TABLE "connector" RENAME TO "temporary_connector"`);
    await queryRunner.query(`CREATE TABLE "connector" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar(200) NOT NULL, "kind" varchar(32) NOT NULL, "departmentId" integer NOT NULL, "schedule" varchar(100), "timeZone" varchar(64) NOT NULL, "enabled" boolean NOT NULL DEFAULT (1), "lookbackDays" integer NOT NULL DEFAULT (7), "maxWindowDays" integer, "config" text NOT NULL, "mapping" text NOT NULL, "mappingVersion" integer NOT NULL DEFAULT (1), "createdAt" datetime NOT NULL, "updatedAt" datetime NOT NULL, "deletedAt" datetime, CONSTRAINT "FK_abe2687c516bb885106c3f24372" FOREIGN KEY ("departmentId") REFERENCES "department" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "connector"("id", "name", "kind", "departmentId", "schedule", "timeZone", "enabled", "lookbackDays", "maxWindowDays", "config", "mapping", "mappingVersion", "createdAt", "updatedAt", "deletedAt") SELECT "id", "name", "kind", "departmentId", "schedule", "timeZone", "enabled", "lookbackDays", "maxWindowDays", "config", "mapping", "mappingVersion", "createdAt", "updatedAt", "deletedAt" FROM "temporary_connector"`);
    await queryRunner.query(`DROP TABLE "temporary_connector"`);
    await queryRunner.query(`DROP TABLE "outbound_host_department"`);
    await queryRunner.query(`DROP TABLE "connector_run_lock"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_connector_name" ON "connector" ("name") `);
  }
}
