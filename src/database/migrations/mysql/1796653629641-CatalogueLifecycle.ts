import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CatalogueLifecycle1796653629641 implements MigrationInterface {
  name = 'CatalogueLifecycle1796653629641';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`metric_change\` (\`id\` int NOT NULL AUTO_INCREMENT, \`subjectId\` int NOT NULL, \`field\` varchar(32) NOT NULL, \`fromValue\` varchar(300) NULL, \`toValue\` varchar(300) NOT NULL, \`changedAt\` datetime NOT NULL, \`author\` varchar(200) NOT NULL, \`details\` text NULL, \`note\` text NULL, INDEX \`IDX_b8bf6f47c679ba8c40f62e1ad6\` (\`changedAt\`), INDEX \`IDX_7abdeaa181abb45f3e8267e35c\` (\`subjectId\`, \`changedAt\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`ALTER TABLE \`task_group\` ADD \`planYear\` int NOT NULL DEFAULT '2024'`);
    await queryRunner.query(`ALTER TABLE \`pilot_model\` ADD \`progressNote\` text NULL`);
    await queryRunner.query(`ALTER TABLE \`pilot_model\` ADD \`retiredOn\` date NULL`);
    await queryRunner.query(`ALTER TABLE \`pilot_model_change\` ADD \`details\` text NULL`);
    await queryRunner.query(`ALTER TABLE \`task\` ADD \`progressNote\` text NULL`);
    await queryRunner.query(`ALTER TABLE \`task\` ADD \`retiredOn\` date NULL`);
    await queryRunner.query(`ALTER TABLE \`task\` ADD \`originTaskId\` int NULL`);
    await queryRunner.query(`ALTER TABLE \`task_change\` ADD \`details\` text NULL`);
    await queryRunner.query(`ALTER TABLE \`metric\` ADD \`description\` text NULL`);
    await queryRunner.query(`ALTER TABLE \`metric\` ADD \`retiredOn\` date NULL`);
    await queryRunner.query(`CREATE INDEX \`IDX_6ee91a7d420bd2092f6609b134\` ON \`task_group\` (\`planYear\`)`);
    await queryRunner.query(`ALTER TABLE \`task\` ADD CONSTRAINT \`FK_4e0fc984b75ff24de63a6f691ab\` FOREIGN KEY (\`originTaskId\`) REFERENCES \`task\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`metric_change\` ADD CONSTRAINT \`FK_077f244eef43225ac9220902334\` FOREIGN KEY (\`subjectId\`) REFERENCES \`metric\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`metric_change\` DROP FOREIGN KEY \`FK_077f244eef43225ac9220902334\``);
    await queryRunner.query(`ALTER TABLE \`task\` DROP FOREIGN KEY \`FK_4e0fc984b75ff24de63a6f691ab\``);
    await queryRunner.query(`DROP INDEX \`IDX_6ee91a7d420bd2092f6609b134\` ON \`task_group\``);
    await queryRunner.query(`ALTER TABLE \`metric\` DROP COLUMN \`retiredOn\``);
    await queryRunner.query(`ALTER TABLE \`metric\` DROP COLUMN \`description\``);
    await queryRunner.query(`ALTER TABLE \`task_change\` DROP COLUMN \`details\``);
    await queryRunner.query(`ALTER TABLE \`task\` DROP COLUMN \`originTaskId\``);
    await queryRunner.query(`ALTER TABLE \`task\` DROP COLUMN \`retiredOn\``);
    await queryRunner.query(`ALTER TABLE \`task\` DROP COLUMN \`progressNote\``);
    await queryRunner.query(`ALTER TABLE \`pilot_model_change\` DROP COLUMN \`details\``);
    await queryRunner.query(`ALTER TABLE \`pilot_model\` DROP COLUMN \`retiredOn\``);
    await queryRunner.query(`ALTER TABLE \`pilot_model\` DROP COLUMN \`progressNote\``);
    await queryRunner.query(`ALTER TABLE \`task_group\` DROP COLUMN \`planYear\``);
    await queryRunner.query(`DROP INDEX \`IDX_7abdeaa181abb45f3e8267e35c\` ON \`metric_change\``);
    await queryRunner.query(`DROP INDEX \`IDX_b8bf6f47c679ba8c40f62e1ad6\` ON \`metric_change\``);
    await queryRunner.query(`DROP TABLE \`metric_change\``);
  }
}
