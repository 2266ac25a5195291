import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Connectors1796033187190 implements MigrationInterface {
  name = 'Connectors1796033187190';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`connector\` (\`id\` int NOT NULL AUTO_INCREMENT, \`name\` varchar(200) NOT NULL, \`kind\` varchar(32) NOT NULL, \`departmentId\` int NOT NULL, \`schedule\` varchar(100) NULL, \`timeZone\` varchar(64) NOT NULL, \`enabled\` tinyint NOT NULL DEFAULT 1, \`lookbackDays\` int NOT NULL DEFAULT '7', \`maxWindowDays\` int NULL, \`config\` text NOT NULL, \`mapping\` text NOT NULL, \`mappingVersion\` int NOT NULL DEFAULT '1', \`createdAt\` datetime NOT NULL, \`updatedAt\` datetime NOT NULL, \`deletedAt\` datetime NULL, UNIQUE INDEX \`UQ_connector_name\` (\`name\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`connector_mapping_version\` (\`connectorId\` int NOT NULL, \`version\` int NOT NULL, \`mapping\` text NOT NULL, \`createdAt\` datetime NOT NULL, \`createdBy\` varchar(200) NOT NULL, PRIMARY KEY (\`connectorId\`, \`version\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`connector_secret\` (\`connectorId\` int NOT NULL, \`name\` varchar(64) NOT NULL, \`value\` text NOT NULL, \`keyId\` varchar(64) NULL, PRIMARY KEY (\`connectorId\`, \`name\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`connector_run\` (\`id\` int NOT NULL AUTO_INCREMENT, \`connectorId\` int NOT NULL, \`trigger\` varchar(16) NOT NULL, \`status\` varchar(16) NOT NULL, \`attempts\` int NOT NULL DEFAULT '0', \`scheduledFor\` datetime NULL, \`startedAt\` datetime NOT NULL, \`finishedAt\` datetime NULL, \`windowFrom\` date NULL, \`windowTo\` date NULL, \`fetched\` int NOT NULL DEFAULT '0', \`imported\` int NOT NULL DEFAULT '0', \`updated\` int NOT NULL DEFAULT '0', \`unchanged\` int NOT NULL DEFAULT '0', \`rejected\` int NOT NULL DEFAULT '0', \`errorClass\` varchar(32) NULL, \`errorMessage\` text NULL, \`mappingVersion\` int NULL, \`state\` text NULL, \`heartbeatAt\` datetime NULL, \`owner\` varchar(100) NOT NULL, \`requestId\` varchar(100) NULL, \`startedBy\` varchar(200) NOT NULL, INDEX \`IDX_8ac348a99b44ee976abf7f6de8\` (\`status\`), INDEX \`IDX_37ec03af191be7cb0b4687264c\` (\`connectorId\`, \`startedAt\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`run_rejection\` (\`id\` int NOT NULL AUTO_INCREMENT, \`runId\` int NOT NULL, \`rowIndex\` int NOT NULL, \`reason\` varchar(40) NOT NULL, \`message\` varchar(500) NOT NULL, \`raw\` text NOT NULL, INDEX \`IDX_152defa51f5b8d62af88996f52\` (\`runId\`, \`rowIndex\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`observation_revision\` (\`id\` int NOT NULL AUTO_INCREMENT, \`observationId\` int NOT NULL, \`value\` double NOT NULL, \`numerator\` double NULL, \`denominator\` double NULL, \`recordedAt\` datetime NOT NULL, \`source\` varchar(100) NOT NULL, \`runId\` int NULL, \`mappingVersion\` int NULL, \`revisedAt\` datetime NOT NULL, \`revisedBy\` varchar(200) NOT NULL, \`revisedByRunId\` int NULL, INDEX \`IDX_4eb186ee7c79d7950bce483d5e\` (\`observationId\`, \`revisedAt\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`scheduler_lease\` (\`key\` varchar(191) NOT NULL, \`owner\` varchar(100) NOT NULL, \`acquiredAt\` datetime NOT NULL, \`expiresAt\` datetime NOT NULL, PRIMARY KEY (\`key\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`ALTER TABLE \`metric\` ADD \`reportingLagDays\` int NULL`);
    await queryRunner.query(`ALTER TABLE \`observation\` ADD \`runId\` int NULL`);
    await queryRunner.query(`ALTER TABLE \`observation\` ADD \`mappingVersion\` int NULL`);
    await queryRunner.query(`ALTER TABLE \`connector\` ADD CONSTRAINT \`FK_abe2687c516bb885106c3f24372\` FOREIGN KEY (\`departmentId\`) REFERENCES \`department\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`connector_mapping_version\` ADD CONSTRAINT \`FK_3acbbf50ec3a9e9979dbe16415d\` FOREIGN KEY (\`connectorId\`) REFERENCES \`connector\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`connector_secret\` ADD CONSTRAINT \`FK_3859f5ceef87e238a7d97b8c6a9\` FOREIGN KEY (\`connectorId\`) REFERENCES \`connector\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`connector_run\` ADD CONSTRAINT \`FK_5cf5b5e24675f431eb9f4464527\` FOREIGN KEY (\`connectorId\`) REFERENCES \`connector\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`run_rejection\` ADD CONSTRAINT \`FK_19cb31d26008176fbc54bdd8dba\` FOREIGN KEY (\`runId\`) REFERENCES \`connector_run\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`observation\` ADD CONSTRAINT \`FK_e4c465c2537b95a98b3947fc6a9\` FOREIGN KEY (\`runId\`) REFERENCES \`connector_run\`(\`id\`) ON DELETE SET NULL ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`observation_revision\` ADD CONSTRAINT \`FK_c62aad10eee93f233decae57f28\` FOREIGN KEY (\`observationId\`) REFERENCES \`observation\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`observation_revision\` ADD CONSTRAINT \`FK_9b03eec971e337d10acb9491133\` FOREIGN KEY (\`revisedByRunId\`) REFERENCES \`connector_run\`(\`id\`) ON DELETE SET NULL ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`observation_revision\` DROP FOREIGN KEY \`FK_9b03eec971e337d10acb9491133\``);
    await queryRunner.query(`ALTER TABLE \`observation_revision\` DROP FOREIGN KEY \`FK_c62aad10eee93f233decae57f28\``);
    await queryRunner.query(`ALTER TABLE \`observation\` DROP FOREIGN KEY \`FK_e4c465c2537b95a98b3947fc6a9\``);
    await queryRunner.query(`ALTER TABLE \`run_rejection\` DROP FOREIGN KEY \`FK_19cb31d26008176fbc54bdd8dba\``);
    await queryRunner.query(`ALTER TABLE \`connector_run\` DROP FOREIGN KEY \`FK_5cf5b5e24675f431eb9f4464527\``);
    await queryRunner.query(`ALTER TABLE \`connector_secret\` DROP FOREIGN KEY \`FK_3859f5ceef87e238a7d97b8c6a9\``);
    await queryRunner.query(`ALTER TABLE \`connector_mapping_version\` DROP FOREIGN KEY \`FK_3acbbf50ec3a9e9979dbe16415d\``);
    await queryRunner.query(`ALTER TABLE \`connector\` DROP FOREIGN KEY \`FK_abe2687c516bb885106c3f24372\``);
    await queryRunner.query(`ALTER TABLE \`observation\` DROP COLUMN \`mappingVersion\``);
    await queryRunner.query(`ALTER TABLE \`observation\` DROP COLUMN \`runId\``);
    await queryRunner.query(`ALTER TABLE \`metric\` DROP COLUMN \`reportingLagDays\``);
    await queryRunner.query(`DROP TABLE \`scheduler_lease\``);
    await queryRunner.query(`DROP INDEX \`IDX_4eb186ee7c79d7950bce483d5e\` ON \`observation_revision\``);
    await queryRunner.query(`DROP TABLE \`observation_revision\``);
    await queryRunner.query(`DROP INDEX \`IDX_152defa51f5b8d62af88996f52\` ON \`run_rejection\``);
    await queryRunner.query(`DROP TABLE \`run_rejection\``);
    await queryRunner.query(`DROP INDEX \`IDX_37ec03af191be7cb0b4687264c\` ON \`connector_run\``);
    await queryRunner.query(`DROP INDEX \`IDX_8ac348a99b44ee976abf7f6de8\` ON \`connector_run\``);
    await queryRunner.query(`DROP TABLE \`connector_run\``);
    await queryRunner.query(`DROP TABLE \`connector_secret\``);
    await queryRunner.query(`DROP TABLE \`connector_mapping_version\``);
    await queryRunner.query(`DROP INDEX \`UQ_connector_name\` ON \`connector\``);
    await queryRunner.query(`DROP TABLE \`connector\``);
  }
}
