import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RunLedgerSchedulingOps1796643410473 implements MigrationInterface {
  name = 'RunLedgerSchedulingOps1796643410473';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "skipped_fire" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "connectorId" integer NOT NULL, "reason" varchar(16) NOT NULL, "slot" datetime NOT NULL, "firstSlot" datetime, "missed" integer NOT NULL DEFAULT (1), "runId" integer, "recordedAt" datetime NOT NULL, "owner" varchar(100) NOT NULL)`);
    await queryRunner.query(`CREATE INDEX "IDX_058d9686be98b27a7b87ca1c95" ON "skipped_fire" ("connectorId", "id") `);
    await queryRunner.query(`DROP INDEX "IDX_37ec03af191be7cb0b4687264c"`);
    await queryRunner.query(`DROP INDEX "IDX_8ac348a99b44ee976abf7f6de8"`);
    await queryRunner.query(`CREATE TABLE "temporary_connector_run" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "connectorId" integer NOT NULL, "trigger" varchar(16) NOT NULL, "status" varchar(16) NOT NULL, "attempts" integer NOT NULL DEFAULT (0), "scheduledFor" datetime, "startedAt" datetime NOT NULL, "finishedAt" datetime, "windowFrom" date, "windowTo" date, "fetched" integer NOT NULL DEFAULT (0), "imported" integer NOT NULL DEFAULT (0), "updated" integer NOT NULL DEFAULT (0), "unchanged" integer NOT NULL DEFAULT (0), "rejected" integer NOT NULL DEFAULT (0), "errorClass" varchar(32), "errorMessage" text, "mappingVersion" integer, "state" text, "heartbeatAt" datetime, "owner" varchar(100) NOT NULL, "requestId" varchar(100), "startedBy" varchar(200) NOT NULL, "durationMs" integer, "rerunOf" integer, CONSTRAINT "FK_5cf5b5e24675f431eb9f4464527" FOREIGN KEY ("connectorId") REFERENCES "connector" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_connector_run"("id", "connectorId", "trigger", "status", "attempts", "scheduledFor", "startedAt", "finishedAt", "windowFrom", "windowTo", "fetched", "imported", "updated", "unchanged", "rejected", "errorClass", "errorMessage", "mappingVersion", "state", "heartbeatAt", "owner", "requestId", "startedBy") SELECT "id", "connectorId", "trigger", "status", "attempts", "scheduledFor", "startedAt", "finishedAt", "windowFrom", "windowTo", "fetched", "imported", "updated", "unchanged", "rejected", "errorClass", "errorMessage", "mappingVersion", "state", "heartbeatAt", "owner", "requestId", "startedBy" FROM "connector_run"`);
    await queryRunner.query(`DROP TABLE "connector_run"`);
    await queryRunner.query(`ALTER TABLE "temporary_connector_run" RENAME TO "connector_run"`);
    await queryRunner.query(`CREATE INDEX "IDX_37ec03af191be7cb0b4687264c" ON "connector_run" ("connectorId", "startedAt") `);
    await queryRunner.query(`CREATE INDEX "IDX_8ac348a99b44ee976abf7f6de8" ON "connector_run" ("status") `);
    await queryRunner.query(`DROP INDEX "IDX_058d9686be98b27a7b87ca1c95"`);
    await queryRunner.query(`CREATE TABLE "temporary_skipped_fire" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "connectorId" integer NOT NULL, "reason" varchar(16) NOT NULL, "slot" datetime NOT NULL, "firstSlot" datetime, "missed" integer NOT NULL DEFAULT (1), "runId" integer, "recordedAt" datetime NOT NULL, "owner" varchar(100) NOT NULL, CONSTRAINT "FK_bc704d728ef0dd62eece5097207" FOREIGN KEY ("connectorId") REFERENCES "connector" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_skipped_fire"("id", "connectorId", "reason", "slot", "firstSlot", "missed", "runId", "recordedAt", "owner") SELECT "id", "connectorId", "reason", "slot", "firstSlot", "missed", "runId", "recordedAt", "owner" FROM "skipped_fire"`);
    await queryRunner.query(`DROP TABLE "skipped_fire"`);
    await queryRunner.query(`ALTER TABLE "temporary_skipped_fire" RENAME TO "skipped_fire"`);
    await queryRunner.query(`CREATE INDEX "IDX_058d9686be98b27a7b87ca1c95" ON "skipped_fire" ("connectorId", "id") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_058d9686be98b27a7b87ca1c95"`);
    await queryRunner.query(`ALTER TABLE "skipped_fire" RENAME TO "temporary_skipped_fire"`);
    await queryRunner.query(`CREATE TABLE "skipped_fire" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "connectorId" integer NOT NULL, "reason" varchar(16) NOT NULL, "slot" datetime NOT NULL, "firstSlot" datetime, "missed" integer NOT NULL DEFAULT (1), "runId" integer, "recordedAt" datetime NOT NULL, "owner" varchar(100) NOT NULL)`);
    await queryRunner.query(`INSERT INTO "skipped_fire"("id", "connectorId", "reason", "slot", "firstSlot", "missed", "runId", "recordedAt", "owner") SELECT "id", "connectorId", "reason", "slot", "firstSlot", "missed", "runId", "recordedAt", "owner" FROM "temporary_skipped_fire"`);
    await queryRunner.query(`DROP TABLE "temporary_skipped_fire"`);
    await queryRunner.query(`CREATE INDEX "IDX_058d9686be98b27a7b87ca1c95" ON "skipped_fire" ("connectorId", "id") `);
    await queryRunner.query(`DROP INDEX "IDX_8ac348a99b44ee976abf7f6de8"`);
    await queryRunner.query(`DROP INDEX "IDX_37ec03af191be7cb0b4687264c"`);
    await queryRunner.query(`ALTER TABLE "connector_run" RENAME TO "temporary_connector_run"`);
    await queryRunner.query(`CREATE TABLE "connector_run" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "connectorId" integer NOT NULL, "trigger" varchar(16) NOT NULL, "status" varchar(16) NOT NULL, "attempts" integer NOT NULL DEFAULT (0), "scheduledFor" datetime, "startedAt" datetime NOT NULL, "finishedAt" datetime, "windowFrom" date, "windowTo" date, "fetched" integer NOT NULL DEFAULT (0), "imported" integer NOT NULL DEFAULT (0), "updated" integer NOT NULL DEFAULT (0), "unchanged" integer NOT NULL DEFAULT (0), "rejected" integer NOT NULL DEFAULT (0), "errorClass" varchar(32), "errorMessage" text, "mappingVersion" integer, "state" text, "heartbeatAt" datetime, "owner" varchar(100) NOT NULL, "requestId" varchar(100), "startedBy" varchar(200) NOT NULL, CONSTRAINT "FK_5cf5b5e24675f431eb9f4464527" FOREIGN KEY ("connectorId") REFERENCES "connector" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "connector_run"("id", "connectorId", "trigger", "status", "attempts", "scheduledFor", "startedAt", "finishedAt", "windowFrom", "windowTo", "fetched", "imported", "updated", "unchanged", "rejected", "errorClass", "errorMessage", "mappingVersion", "state", "heartbeatAt", "owner", "requestId", "startedBy") SELECT "id", "connectorId", "trigger", "status", "attempts", "scheduledFor", "startedAt", "finishedAt", "windowFrom", "windowTo", "fetched", "imported", "updated", "unchanged", "rejected", "errorClass", "errorMessage", "mappingVersion", "state", "heartbeatAt", "owner", "requestId", "startedBy" FROM "temporary_connector_run"`);
    await queryRunner.query(`DROP TABLE "temporary_connector_run"`);
    await queryRunner.query(`CREATE INDEX "IDX_8ac348a99b44ee976abf7f6de8" ON "connector_run" ("status") `);
    await queryRunner.query(`CREATE INDEX "IDX_37ec03af191be7cb0b4687264c" ON "connector_run" ("connectorId", "startedAt") `);
    await queryRunner.query(`DROP INDEX "IDX_058d9686be98b27a7b87ca1c95"`);
    await queryRunner.query(`DROP TABLE "skipped_fire"`);
  }
}
