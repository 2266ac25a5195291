import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Department reorganizations: merges and splits, their predecessor → successor links, and every item moved (who led what when). */
export class DepartmentReorganizations1796664624576 implements MigrationInterface {
  name = 'DepartmentReorganizations1796664624576';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "department_reorganization" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "kind" varchar(16) NOT NULL, "effectiveOn" date NOT NULL, "note" text NOT NULL, "author" varchar(200) NOT NULL, "recordedAt" datetime NOT NULL)`);
    await queryRunner.query(`CREATE INDEX "IDX_fe9755f6c63a5d8ac7c74eeae0" ON "department_reorganization" ("effectiveOn") `);
    await queryRunner.query(`CREATE TABLE "department_succession" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "reorganizationId" integer NOT NULL, "predecessorId" integer NOT NULL, "successorId" integer NOT NULL)`);
    await queryRunner.query(`CREATE INDEX "IDX_2462a8a53d2f4ec0234640c027" ON "department_succession" ("successorId") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_department_succession" ON "department_succession" ("predecessorId", "successorId") `);
    await queryRunner.query(`CREATE TABLE "department_move" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "reorganizationId" integer NOT NULL, "subjectType" varchar(24) NOT NULL, "subjectId" integer NOT NULL, "fromDepartmentId" integer NOT NULL, "toDepartmentId" integer NOT NULL, "effectiveOn" date NOT NULL, "effectiveAt" datetime NOT NULL)`);
    await queryRunner.query(`CREATE INDEX "IDX_54d237b7f071e441294fa5a624" ON "department_move" ("effectiveOn") `);
    await queryRunner.query(`CREATE INDEX "IDX_962975fea10cb55792c5c6036c" ON "department_move" ("subjectType", "subjectId", "effectiveAt") `);
    await queryRunner.query(`DROP INDEX "IDX_2462a8a53d2f4ec0234640c027"`);
    await queryRunner.query(`DROP INDEX "UQ_department_succession"`);
    await queryRunner.query(`CREATE TABLE "temporary_department_succession" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "reorganizationId" integer NOT NULL, "predecessorId" integer NOT NULL, "successorId" integer NOT NULL, CONSTRAINT "FK_88e86caa186165fa1ea92876ca4" FOREIGN KEY ("reorganizationId") REFERENCES "department_reorganization" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "FK_5a116658f6d2ebc9bd256c99542" FOREIGN KEY ("predecessorId") REFERENCES "department" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "FK_2462a8a53d2f4ec0234640c027a" FOREIGN KEY ("successorId") REFERENCES "department" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_department_succession"("id", "reorganizationId", "predecessorId", "successorId") SELECT "id", "reorganizationId", "predecessorId", "successorId" FROM "department_succession"`);
    await queryRunner.query(`DROP TABLE "department_succession"`);
    await queryRunner.query(`ALTER TABLE "temporary_department_succession" RENAME TO "department_succession"`);
    await queryRunner.query(`CREATE INDEX "IDX_2462a8a53d2f4ec0234640c027" ON "department_succession" ("successorId") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_department_succession" ON "department_succession" ("predecessorId", "successorId") `);
    await queryRunner.query(`DROP INDEX "IDX_54d237b7f071e441294fa5a624"`);
    await queryRunner.query(`DROP INDEX "IDX_962975fea10cb55792c5c6036c"`);
    await queryRunner.query(`CREATE TABLE "temporary_department_move" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "reorganizationId" integer NOT NULL, "subjectType" varchar(24) NOT NULL, "subjectId" integer NOT NULL, "fromDepartmentId" integer NOT NULL, "toDepartmentId" integer NOT NULL, "effectiveOn" date NOT NULL, "effectiveAt" datetime NOT NULL, CONSTRAINT "FK_24f3b9309b31e775a03449d1063" FOREIGN KEY ("reorganizationId") REFERENCES "department_reorganization" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "FK_f66661aef4374d8b802b60dd9f4" FOREIGN KEY ("fromDepartmentId") REFERENCES "department" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "FK_abea06fd72375061cbf1bb2a7dd" FOREIGN KEY ("toDepartmentId") REFERENCES "department" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_department_move"("id", "reorganizationId", "subjectType", "subjectId", "fromDepartmentId", "toDepartmentId", "effectiveOn", "effectiveAt") SELECT "id", "reorganizationId", "subjectType", "subjectId", "fromDepartmentId", "toDepartmentId", "effectiveOn", "effectiveAt" FROM "department_move"`);
    await queryRunner.query(`DROP TABLE "department_move"`);
    await queryRunner.query(`ALTER TABLE "temporary_department_move" RENAME TO "department_move"`);
    await queryRunner.query(`CREATE INDEX "IDX_54d237b7f071e441294fa5a624" ON "department_move" ("effectiveOn") `);
    await queryRunner.query(`CREATE INDEX "IDX_962975fea10cb55792c5c6036c" ON "department_move" ("subjectType", "subjectId", "effectiveAt") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_962975fea10cb55792c5c6036c"`);
    await queryRunner.query(`DROP INDEX "IDX_54d237b7f071e441294fa5a624"`);
    await queryRunner.query(`ALTER TABLE "department_move" RENAME TO "temporary_department_move"`);
    await queryRunner.query(`CREATE TABLE "department_move" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "reorganizationId" integer NOT NULL, "subjectType" varchar(24) NOT NULL, "subjectId" integer NOT NULL, "fromDepartmentId" integer NOT NULL, "toDepartmentId" integer NOT NULL, "effectiveOn" date NOT NULL, "effectiveAt" datetime NOT NULL)`);
    await queryRunner.query(`INSERT INTO "department_move"("id", "reorganizationId", "subjectType", "subjectId", "fromDepartmentId", "toDepartmentId", "effectiveOn", "effectiveAt") SELECT "id", "reorganizationId", "subjectType", "subjectId", "fromDepartmentId", "toDepartmentId", "effectiveOn", "effectiveAt" FROM "temporary_department_move"`);
    await queryRunner.query(`DROP TABLE "temporary_department_move"`);
    await queryRunner.query(`CREATE INDEX "IDX_962975fea10cb55792c5c6036c" ON "department_move" ("subjectType", "subjectId", "effectiveAt") `);
    await queryRunner.query(`CREATE INDEX "IDX_54d237b7f071e441294fa5a624" ON "department_move" ("effectiveOn") `);
    await queryRunner.query(`DROP INDEX "UQ_department_succession"`);
    await queryRunner.query(`DROP INDEX "IDX_2462a8a53d2f4ec0234640c027"`);
    await queryRunner.query(`ALTER TABLE "department_succession" RENAME TO "temporary_department_succession"`);
    await queryRunner.query(`CREATE TABLE "department_succession" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "reorganizationId" integer NOT NULL, "predecessorId" integer NOT NULL, "successorId" integer NOT NULL)`);
    await queryRunner.query(`INSERT INTO "department_succession"("id", "reorganizationId", "predecessorId", "successorId") SELECT "id", "reorganizationId", "predecessorId", "successorId" FROM "temporary_department_succession"`);
    await queryRunner.query(`DROP TABLE "temporary_department_succession"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_department_succession" ON "department_succession" ("predecessorId", "successorId") `);
    await queryRunner.query(`CREATE INDEX "IDX_2462a8a53d2f4ec0234640c027" ON "department_succession" ("successorId") `);
    await queryRunner.query(`DROP INDEX "IDX_962975fea10cb55792c5c6036c"`);
    await queryRunner.query(`DROP INDEX "IDX_54d237b7f071e441294fa5a624"`);
    await queryRunner.query(`DROP TABLE "department_move"`);
    await queryRunner.query(`DROP INDEX "UQ_department_succession"`);
    await queryRunner.query(`DROP INDEX "IDX_2462a8a53d2f4ec0234640c027"`);
    await queryRunner.query(`DROP TABLE "department_succession"`);
    await queryRunner.query(`DROP INDEX "IDX_fe9755f6c63a5d8ac7c74eeae0"`);
    await queryRunner.query(`DROP TABLE "department_reorganization"`);
  }
}
