import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RunLedgerSchedulingOps1796643410473 implements MigrationInterface {
  name = 'RunLedgerSchedulingOps1796643410473';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`skipped_fire\` (\`id\` int NOT NULL AUTO_INCREMENT, \`connectorId\` int NOT NULL, \`reason\` varchar(16) NOT NULL, \`slot\` datetime NOT NULL, \`firstSlot\` datetime NULL, \`missed\` int NOT NULL DEFAULT '1', \`runId\` int NULL, \`recordedAt\` datetime NOT NULL, \`owner\` varchar(100) NOT NULL, INDEX \`IDX_058d9686be98b27a7b87ca1c95\` (\`connectorId\`, \`id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`ALTER TABLE \`connector_run\` ADD \`durationMs\` int NULL`);
    await queryRunner.query(`ALTER TABLE \`connector_run\` ADD \`rerunOf\` int NULL`);
    await queryRunner.query(`ALTER TABLE \`skipped_fire\` ADD CONSTRAINT \`FK_bc704d728ef0dd62eece5097207\` FOREIGN KEY (\`connectorId\`) REFERENCES \`connector\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`skipped_fire\` DROP FOREIGN KEY \`FK_bc704d728ef0dd62eece5097207\``);
    await queryRunner.query(`ALTER TABLE \`connector_run\` DROP COLUMN \`rerunOf\``);
    await queryRunner.query(`ALTER TABLE \`connector_run\` DROP COLUMN \`durationMs\``);
    await queryRunner.query(`DROP INDEX \`IDX_058d9686be98b27a7b87ca1c95\` ON \`skipped_fire\``);
    await queryRunner.query(`DROP TABLE \`skipped_fire\``);
  }
}
