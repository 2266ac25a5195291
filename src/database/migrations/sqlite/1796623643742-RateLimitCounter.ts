import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RateLimitCounter1796623643742 implements MigrationInterface {
  name = 'RateLimitCounter1796623643742';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "rate_limit_counter" ("key" varchar(255) PRIMARY KEY NOT NULL, "points" integer NOT NULL DEFAULT (0), "expire" bigint)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "rate_limit_counter"`);
  }
}
