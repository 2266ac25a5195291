import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ConnectorVersion1796623239528 implements MigrationInterface {
  name = 'ConnectorVersion1796623239528';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Added in place: rebuilding the table here would have to repeat the indexes of every earlier migration.
    await queryRunner.query(`ALTER TABLE "connector" ADD COLUMN "version" integer NOT NULL DEFAULT (1)`);
    // A connector left behind its stored mapping versions by concurrent changes (before they were serialized)
    // takes the newest stored version of the mapping it holds.
    await queryRunner.query(
      'UPDATE "connector" SET "mappingVersion" = (SELECT MAX(v."version") FROM "connector_mapping_version" v WHERE v."connectorId" = "connector"."id" AND v."mapping" = "connector"."mapping") ' +
        'WHERE EXISTS (SELECT 1 FROM "connector_mapping_version" v WHERE v."connectorId" = "connector"."id" AND v."mapping" = "connector"."mapping" AND v."version" > "connector"."mappingVersion")',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "connector" DROP COLUMN "version"`);
  }
}
