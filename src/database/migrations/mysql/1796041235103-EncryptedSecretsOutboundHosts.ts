import type { MigrationInterface, QueryRunner } from 'typeorm';

export class EncryptedSecretsOutboundHosts1796041235103 implements MigrationInterface {
  name = 'EncryptedSecretsOutboundHosts1796041235103';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`outbound_host\` (\`id\` int NOT NULL AUTO_INCREMENT, \`pattern\` varchar(300) NOT NULL, \`allowPrivate\` tinyint NOT NULL DEFAULT 0, \`note\` varchar(500) NULL, \`createdBy\` varchar(200) NOT NULL, \`createdAt\` datetime NOT NULL, UNIQUE INDEX \`UQ_outbound_host_pattern\` (\`pattern\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`ALTER TABLE \`connector_secret\` ADD \`ciphertext\` text NULL`);
    await queryRunner.query(`ALTER TABLE \`connector_secret\` ADD \`iv\` varchar(24) NULL`);
    await queryRunner.query(`ALTER TABLE \`connector_secret\` ADD \`tag\` varchar(32) NULL`);
    await queryRunner.query(`ALTER TABLE \`connector_secret\` CHANGE \`value\` \`value\` text NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`connector_secret\` CHANGE \`value\` \`value\` text NOT NULL`);
    await queryRunner.query(`ALTER TABLE \`connector_secret\` DROP COLUMN \`tag\``);
    await queryRunner.query(`ALTER TABLE \`connector_secret\` DROP COLUMN \`iv\``);
    await queryRunner.query(`ALTER TABLE \`connector_secret\` DROP COLUMN \`ciphertext\``);
    await queryRunner.query(`DROP INDEX \`UQ_outbound_host_pattern\` ON \`outbound_host\``);
    await queryRunner.query(`DROP TABLE \`outbound_host\``);
  }
}
