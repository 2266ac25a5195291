import type { MigrationInterface, QueryRunner } from 'typeorm';

export class LiveEvents1796653582763 implements MigrationInterface {
  name = 'LiveEvents1796653582763';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "live_event" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "origin" varchar(100) NOT NULL, "payload" text NOT NULL, "createdAt" datetime NOT NULL)`);
    await queryRunner.query(`CREATE INDEX "IDX_2fcd92a3ec4bcd68e80e879af4" ON "live_event" ("createdAt") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_2fcd92a3ec4bcd68e80e879af4"`);
    await queryRunner.query(`DROP TABLE "live_event"`);
  }
}
