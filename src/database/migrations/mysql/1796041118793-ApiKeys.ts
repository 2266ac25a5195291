import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ApiKeys1796041118793 implements MigrationInterface {
  name = 'ApiKeys1796041118793';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`api_key\` (\`id\` int NOT NULL AUTO_INCREMENT, \`name\` varchar(200) NOT NULL, \`role\` varchar(16) NOT NULL, \`prefix\` varchar(16) NOT NULL, \`hash\` varchar(64) NOT NULL, \`createdAt\` datetime NOT NULL, \`createdBy\` varchar(200) NOT NULL, \`lastUsedAt\` datetime NULL, \`revokedAt\` datetime NULL, \`expiresAt\` datetime NULL, UNIQUE INDEX \`UQ_api_key_hash\` (\`hash\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`api_key_department\` (\`apiKeyId\` int NOT NULL, \`departmentId\` int NOT NULL, INDEX \`IDX_5eac196760c5f1482017abe9ff\` (\`apiKeyId\`), INDEX \`IDX_1e386e46aa6c6830299bb7b548\` (\`departmentId\`), PRIMARY KEY (\`apiKeyId\`, \`departmentId\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`ALTER TABLE \`api_key_department\` ADD CONSTRAINT \`FK_5eac196760c5f1482017abe9ff8\` FOREIGN KEY (\`apiKeyId\`) REFERENCES \`api_key\`(\`id\`) ON DELETE CASCADE ON UPDATE CASCADE`);
    await queryRunner.query(`ALTER TABLE \`api_key_department\` ADD CONSTRAINT \`FK_1e386e46aa6c6830299bb7b5482\` FOREIGN KEY (\`departmentId\`) REFERENCES \`department\`(\`id\`) ON DELETE CASCADE ON UPDATE CASCADE`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`api_key_department\` DROP FOREIGN KEY \`FK_1e386e46aa6c6830299bb7b5482\``);
    await queryRunner.query(`ALTER TABLE \`api_key_department\` DROP FOREIGN KEY \`FK_5eac196760c5f1482017abe9ff8\``);
    await queryRunner.query(`DROP INDEX \`IDX_1e386e46aa6c6830299bb7b548\` ON \`api_key_department\``);
    await queryRunner.query(`DROP INDEX \`IDX_5eac196760c5f1482017abe9ff\` ON \`api_key_department\``);
    await queryRunner.query(`DROP TABLE \`api_key_department\``);
    await queryRunner.query(`DROP INDEX \`UQ_api_key_hash\` ON \`api_key\``);
    await queryRunner.query(`DROP TABLE \`api_key\``);
  }
}
