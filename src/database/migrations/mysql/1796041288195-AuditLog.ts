import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AuditLog1796041288195 implements MigrationInterface {
  name = 'AuditLog1796041288195';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`audit_event\` (\`id\` int NOT NULL AUTO_INCREMENT, \`at\` datetime(3) NOT NULL, \`actorSubject\` varchar(200) NOT NULL, \`actorName\` varchar(200) NOT NULL, \`actorRole\` varchar(32) NULL, \`action\` varchar(100) NOT NULL, \`targetType\` varchar(64) NULL, \`targetId\` varchar(200) NULL, \`outcome\` varchar(16) NOT NULL, \`errorCode\` varchar(64) NULL, \`requestId\` varchar(100) NULL, \`clientIp\` varchar(64) NULL, \`details\` text NULL, INDEX \`IDX_audit_event_outcome\` (\`outcome\`, \`id\`), INDEX \`IDX_audit_event_target\` (\`targetType\`, \`targetId\`, \`id\`), INDEX \`IDX_audit_event_action\` (\`action\`, \`id\`), INDEX \`IDX_audit_event_actor\` (\`actorSubject\`, \`id\`), INDEX \`IDX_audit_event_at\` (\`at\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`IDX_audit_event_at\` ON \`audit_event\``);
    await queryRunner.query(`DROP INDEX \`IDX_audit_event_actor\` ON \`audit_event\``);
    await queryRunner.query(`DROP INDEX \`IDX_audit_event_action\` ON \`audit_event\``);
    await queryRunner.query(`DROP INDEX \`IDX_audit_event_target\` ON \`audit_event\``);
    await queryRunner.query(`DROP INDEX \`IDX_audit_event_outcome\` ON \`audit_event\``);
    await queryRunner.query(`DROP TABLE \`audit_event\``);
  }
}
