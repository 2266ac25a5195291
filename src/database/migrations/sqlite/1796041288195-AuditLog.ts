import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AuditLog1796041288195 implements MigrationInterface {
  name = 'AuditLog1796041288195';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "audit_event" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "at" datetime(3) NOT NULL, "actorSubject" varchar(200) NOT NULL, "actorName" varchar(200) NOT NULL, "actorRole" varchar(32), "action" varchar(100) NOT NULL, "targetType" varchar(64), "targetId" varchar(200), "outcome" varchar(16) NOT NULL, "errorCode" varchar(64), "requestId" varchar(100), "clientIp" varchar(64), "details" text)`);
    await queryRunner.query(`CREATE INDEX "IDX_audit_event_outcome" ON "audit_event" ("outcome", "id") `);
    await queryRunner.query(`CREATE INDEX "IDX_audit_event_target" ON "audit_event" ("targetType", "targetId", "id") `);
    await queryRunner.query(`CREATE INDEX "IDX_audit_event_action" ON "audit_event" ("action", "id") `);
    await queryRunner.query(`CREATE INDEX "IDX_audit_event_actor" ON "audit_event" ("actorSubject", "id") `);
    await queryRunner.query(`CREATE INDEX "IDX_audit_event_at" ON "audit_event" ("at") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_audit_event_at"`);
    await queryRunner.query(`DROP INDEX "IDX_audit_event_actor"`);
    await queryRunner.query(`DROP INDEX "IDX_audit_event_action"`);
    await queryRunner.query(`DROP INDEX "IDX_audit_event_target"`);
    await queryRunner.query(`DROP INDEX "IDX_audit_event_outcome"`);
    await queryRunner.query(`DROP TABLE "audit_event"`);
  }
}
