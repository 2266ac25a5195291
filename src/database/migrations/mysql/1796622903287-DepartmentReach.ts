import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-department reach and connector names:
 * - `outbound_host_department`: the departments whose connectors may use an allowlist entry. Existing entries get
 *   none, so they keep serving the connectors an administrator configured, and department-configured connectors
 *   need an administrator to grant their department (setOutboundHostDepartments).
 * - `connector.configuredByAdmin`: existing connectors count as configured by an administrator unless the audit
 *   log shows that a caller of another role registered them or changed their configuration.
 * - connector names are unique within a department (no longer across departments), compared byte for byte:
 *   utf8mb4_unicode_ci took "So Y te" and "Sở Y tế", and any two emoji, for the same name; the column is utf8mb4_bin.
 * - `connector_run_lock`: at most one pulled run per connector at a time.
 */

export class DepartmentReach1796622903287 implements MigrationInterface {
  name = 'DepartmentReach1796622903287';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`UQ_connector_name\` ON \`connector\``);
    await queryRunner.query(`CREATE TABLE \`connector_run_lock\` (\`connectorId\` int NOT NULL, \`runId\` int NOT NULL, \`acquiredAt\` datetime NOT NULL, PRIMARY KEY (\`connectorId\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`outbound_host_department\` (\`outboundHostId\` int NOT NULL, \`departmentId\` int NOT NULL, PRIMARY KEY (\`outboundHostId\`, \`departmentId\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`ALTER TABLE \`connector\` ADD \`configuredByAdmin\` tinyint NOT NULL DEFAULT 0`);
    await queryRunner.query(`ALTER TABLE \`connector\` MODIFY \`name\` varchar(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL`);
    await queryRunner.query(`UPDATE \`connector\` SET \`configuredByAdmin\` = 1 WHERE CAST(\`id\` AS CHAR) NOT IN (SELECT \`targetId\` FROM \`audit_event\` WHERE \`targetType\` = 'connector' AND \`targetId\` IS NOT NULL AND \`outcome\` = 'SUCCESS' AND \`actorRole\` <> 'ADMIN' AND (\`action\` = 'registerConnector' OR (\`action\` = 'updateConnector' AND \`details\` LIKE '%"config"%')))`);
    await queryRunner.query(`CREATE UNIQUE INDEX \`UQ_connector_department_name\` ON \`connector\` (\`departmentId\`, \`name\`)`);
    await queryRunner.query(`ALTER TABLE \`connector_run_lock\` ADD CONSTRAINT \`FK_fcd315be28cbae760bcdf6e5b2d\` FOREIGN KEY (\`connectorId\`) REFERENCES \`connector\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`outbound_host_department\` ADD CONSTRAINT \`FK_d3a21ddea331aa0f168b21fc07f\` FOREIGN KEY (\`outboundHostId\`) REFERENCES \`outbound_host\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`outbound_host_department\` ADD CONSTRAINT \`FK_8926271922e709462c56ee48ad9\` FOREIGN KEY (\`departmentId\`) REFERENCES \`department\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`outbound_host_department\` DROP FOREIGN KEY \`FK_8926271922e709462c56ee48ad9\``);
    await queryRunner.query(`ALTER TABLE \`outbound_host_department\` DROP FOREIGN KEY \`FK_d3a21ddea331aa0f168b21fc07f\``);
    await queryRunner.query(`ALTER TABLE \`connector_run_lock\` DROP FOREIGN KEY \`FK_fcd315be28cbae760bcdf6e5b2d\``);
    // The unique index also serves the department foreign key (MySQL dropped the key's own index when it was
    // created): the key is re-added after it, which gives it an index again.
    await queryRunner.query(`ALTER TABLE \`connector\` DROP FOREIGN KEY \`FK_abe2687c516bb885106c3f24372\``);
    await queryRunner.query(`DROP INDEX \`UQ_connector_department_name\` ON \`connector\``);
    await queryRunner.query(`ALTER TABLE \`connector\` ADD CONSTRAINT \`FK_abe2687c516bb885106c3f24372\` FOREIGN KEY (\`departmentId\`) REFERENCES \`department\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`connector\` DROP COLUMN \`configuredByAdmin\``);
    await queryRunner.query(`ALTER TABLE \`connector\` MODIFY \`name\` varchar(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL`);
    await queryRunner.query(`DROP TABLE \`outbound_host_department\``);
    await queryRunner.query(`DROP TABLE \`connector_run_lock\``);
    await queryRunner.query(`CREATE UNIQUE INDEX \`UQ_connector_name\` ON \`connector\` (\`name\`)`);
  }
}
