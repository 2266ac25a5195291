import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A pilot model needs only a code, names and a lead department: responsible person, deadline and task group become
 * optional, and the model carries its programme and the first plan year it counts in (until now both were read
 * from its task group, from which they are filled here). One table rebuild each way (SQLite cannot change a
 * column's nullability in place); down fails while a model has no task group, deadline or responsible person.
 */
export class PilotModelOptionalPlan1796664381965 implements MigrationInterface {
  name = 'PilotModelOptionalPlan1796664381965';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_867f38be0cf0fa55c185aeeace"`);
    await queryRunner.query(`DROP INDEX "IDX_82b18f926f67c1d1e41fa58920"`);
    await queryRunner.query(`DROP INDEX "UQ_pilot_model_code"`);
    await queryRunner.query(`CREATE TABLE "temporary_pilot_model" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "code" varchar(32) NOT NULL, "leadDepartmentId" integer NOT NULL, "responsiblePerson" varchar(200), "deadline" date, "status" varchar(16) NOT NULL, "completedAt" datetime, "basis" varchar(16) NOT NULL, "number" integer NOT NULL, "name" varchar(300) NOT NULL, "nameVi" varchar(300) NOT NULL, "taskGroupId" integer, "statusIsDemo" boolean NOT NULL DEFAULT (0), "progressNote" text, "retiredOn" date, "programId" integer NOT NULL, "planYear" integer NOT NULL, CONSTRAINT "FK_6caab460a1f3d0a45b6b91a4f93" FOREIGN KEY ("leadDepartmentId") REFERENCES "department" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "FK_84264cf5fa19fc3f2352dab4937" FOREIGN KEY ("taskGroupId") REFERENCES "task_group" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "FK_86583bce48274f4a6c004745320" FOREIGN KEY ("programId") REFERENCES "program" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_pilot_model"("id", "code", "leadDepartmentId", "responsiblePerson", "deadline", "status", "completedAt", "basis", "number", "name", "nameVi", "taskGroupId", "statusIsDemo", "progressNote", "retiredOn", "programId", "planYear") SELECT "pilot_model"."id", "pilot_model"."code", "pilot_model"."leadDepartmentId", "pilot_model"."responsiblePerson", "pilot_model"."deadline", "pilot_model"."status", "pilot_model"."completedAt", "pilot_model"."basis", "pilot_model"."number", "pilot_model"."name", "pilot_model"."nameVi", "pilot_model"."taskGroupId", "pilot_model"."statusIsDemo", "pilot_model"."progressNote", "pilot_model"."retiredOn", "task_group"."programId", "task_group"."planYear" FROM "pilot_model" INNER JOIN "task_group" ON "task_group"."id" = "pilot_model"."taskGroupId"`);
    await queryRunner.query(`DROP TABLE "pilot_model"`);
    await queryRunner.query(`ALTER TABLE "temporary_pilot_model" RENAME TO "pilot_model"`);
    await queryRunner.query(`CREATE INDEX "IDX_867f38be0cf0fa55c185aeeace" ON "pilot_model" ("deadline") `);
    await queryRunner.query(`CREATE INDEX "IDX_82b18f926f67c1d1e41fa58920" ON "pilot_model" ("status") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_pilot_model_code" ON "pilot_model" ("code") `);
    await queryRunner.query(`CREATE INDEX "IDX_f9c7b3482410cd446543e9828f" ON "pilot_model" ("planYear") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_f9c7b3482410cd446543e9828f"`);
    await queryRunner.query(`DROP INDEX "IDX_867f38be0cf0fa55c185aeeace"`);
    await queryRunner.query(`DROP INDEX "IDX_82b18f926f67c1d1e41fa58920"`);
    await queryRunner.query(`DROP INDEX "UQ_pilot_model_code"`);
    await queryRunner.query(`ALTER TABLE "pilot_model" RENAME TO "temporary_pilot_model"`);
    await queryRunner.query(`CREATE TABLE "pilot_model" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "code" varchar(32) NOT NULL, "leadDepartmentId" integer NOT NULL, "responsiblePerson" varchar(200) NOT NULL, "deadline" date NOT NULL, "status" varchar(16) NOT NULL, "completedAt" datetime, "basis" varchar(16) NOT NULL, "number" integer NOT NULL, "name" varchar(300) NOT NULL, "nameVi" varchar(300) NOT NULL, "taskGroupId" integer NOT NULL, "statusIsDemo" boolean NOT NULL DEFAULT (0), "progressNote" text, "retiredOn" date, CONSTRAINT "FK_6caab460a1f3d0a45b6b91a4f93" FOREIGN KEY ("leadDepartmentId") REFERENCES "department" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION, CONSTRAINT "FK_84264cf5fa19fc3f2352dab4937" FOREIGN KEY ("taskGroupId") REFERENCES "task_group" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "pilot_model"("id", "code", "leadDepartmentId", "responsiblePerson", "deadline", "status", "completedAt", "basis", "number", "name", "nameVi", "taskGroupId", "statusIsDemo", "progressNote", "retiredOn") SELECT "id", "code", "leadDepartmentId", "responsiblePerson", "deadline", "status", "completedAt", "basis", "number", "name", "nameVi", "taskGroupId", "statusIsDemo", "progressNote", "retiredOn" FROM "temporary_pilot_model"`);
    await queryRunner.query(`DROP TABLE "temporary_pilot_model"`);
    await queryRunner.query(`CREATE INDEX "IDX_867f38be0cf0fa55c185aeeace" ON "pilot_model" ("deadline") `);
    await queryRunner.query(`CREATE INDEX "IDX_82b18f926f67c1d1e41fa58920" ON "pilot_model" ("status") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_pilot_model_code" ON "pilot_model" ("code") `);
  }
}
