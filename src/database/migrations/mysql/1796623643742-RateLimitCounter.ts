import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RateLimitCounter1796623643742 implements MigrationInterface {
  name = 'RateLimitCounter1796623643742';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`rate_limit_counter\` (\`key\` varchar(255) NOT NULL, \`points\` int NOT NULL DEFAULT '0', \`expire\` bigint NULL, PRIMARY KEY (\`key\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE \`rate_limit_counter\``);
  }
}
