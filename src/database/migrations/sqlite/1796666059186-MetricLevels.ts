import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The unit levels a metric is reported at (comma-separated UnitLevel names); metrics defined before: every level. */
export class MetricLevels1796666059186 implements MigrationInterface {
  name = 'MetricLevels1796666059186';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "UQ_metric_code"`);
    await queryRunner.query(`CREATE TABLE "temporary_metric" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "code" varchar(64) NOT NULL, "name" varchar(300) NOT NULL, "nameVi" varchar(300) NOT NULL, "unit" varchar(64) NOT NULL, "kind" varchar(16) NOT NULL, "frequency" varchar(16) NOT NULL, "pilotModelId" integer NOT NULL, "departmentId" integer NOT NULL, "targetValue" double, "targetDate" date, "basis" varchar(16) NOT NULL, "reportingLagDays" integer, "minValue" double, "maxValue" double, "description" text, "retiredOn" date, "levels" varchar(64) NOT NULL DEFAULT ('PROVINCE,DISTRICT,COMMUNE'), CONSTRAINT "FK_47132005653acd3fedd32461cc0" FOREIGN KEY ("departmentId") REFERENCES "department" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "FK_8f0b9141e0fb0cf32c528faca10" FOREIGN KEY ("pilotModelId") REFERENCES "pilot_model" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_metric"("id", "code", "name", "nameVi", "unit", "kind", "frequency", "pilotModelId", "departmentId", "targetValue", "targetDate", "basis", "reportingLagDays", "minValue", "maxValue", "description", "retiredOn") SELECT "id", "code", "name", "nameVi", "unit", "kind", "frequency", "pilotModelId", "departmentId", "targetValue", "targetDate", "basis", "reportingLagDays", "minValue", "maxValue", "description", "retiredOn" FROM "metric"`);
    await queryRunner.query(`DROP TABLE "metric"`);
    await queryRunner.query(`ALTER TABLE "temporary_metric" RENAME TO "metric"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_metric_code" ON "metric" ("code") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "UQ_metric_code"`);
    await queryRunner.query(`ALTER TABLE "metric" RENAME TO "temporary_metric"`);
    await queryRunner.query(`CREATE TABLE "metric" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "code" varchar(64) NOT NULL, "name" varchar(300) NOT NULL, "nameVi" varchar(300) NOT NULL, "unit" varchar(64) NOT NULL, "kind" varchar(16) NOT NULL, "frequency" varchar(16) NOT NULL, "pilotModelId" integer NOT NULL, "departmentId" integer NOT NULL, "targetValue" double, "targetDate" date, "basis" varchar(16) NOT NULL, "reportingLagDays" integer, "minValue" double, "maxValue" double, "description" text, "retiredOn" date, CONSTRAINT "FK_47132005653acd3fedd32461cc0" FOREIGN KEY ("departmentId") REFERENCES "department" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "FK_8f0b9141e0fb0cf32c528faca10" FOREIGN KEY ("pilotModelId") REFERENCES "pilot_model" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "metric"("id", "code", "name", "nameVi", "unit", "kind", "frequency", "pilotModelId", "departmentId", "targetValue", "targetDate", "basis", "reportingLagDays", "minValue", "maxValue", "description", "retiredOn") SELECT "id", "code", "name", "nameVi", "unit", "kind", "frequency", "pilotModelId", "departmentId", "targetValue", "targetDate", "basis", "reportingLagDays", "minValue", "maxValue", "description", "retiredOn" FROM "temporary_metric"`);
    await queryRunner.query(`DROP TABLE "temporary_metric"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_metric_code" ON "metric" ("code") `);
  }
}
