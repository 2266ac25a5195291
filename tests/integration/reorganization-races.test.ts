/**
 * A reorganization racing the catalogue writes that name the department it ends: new work given to a department
 * while it is being merged away must not end up led by a department that no longer exists (nothing left behind).
 * On MariaDB the merge is held half-way (a row it must move is locked by the test) while createTask runs; on SQLite
 * writes are serialized, so the same requests in order must give the same end state.
 */
import { Task } from '../../src/modules/catalogue/task.entity';
import { Department } from '../../src/modules/departments/department.entity';
import { isSqlite } from '../../src/database/sql-dialect';
import { waitFor } from '../helpers/subscriptions';
import { QUIET_BACKGROUND, startTestHub, type TestHub } from '../helpers/test-hub';

const MERGE = 'mutation ($input: MergeDepartmentsInput!) { mergeDepartments(input: $input) { successors { code } } }';
const CREATE_TASK = 'mutation ($input: TaskInput!) { createTask(input: $input) { code leadDepartment { code } } }';

describe('reorganizations racing catalogue writes', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await startTestHub({ seed: true, environment: QUIET_BACKGROUND });
  });
  afterAll(async () => {
    await hub?.close();
  });

  /** Statements of the hub running (waiting for a lock, here) on MariaDB, other than this one. */
  const running = async () => Number((await hub.dataSource.query(
    "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE COMMAND = 'Query' AND INFO NOT LIKE '%PROCESSLIST%' AND DB = DATABASE()",
  ))[0].n);

  it('a task created for a department while it is merged away is refused, or moved with the rest: none is led by the ended department', async () => {
    const transport = await hub.dataSource.getRepository(Department).findOneByOrFail({ code: 'SO_GTVT' });
    const merge = { departments: ['SO_GTVT'], into: 'SO_XD', effectiveDate: '2025-03-01', note: 'Quyết định hợp nhất Sở GTVT và Sở Xây dựng' };
    const task = { code: 'T99.70', taskGroup: 'TG05', title: 'Late task for Transport', leadDepartment: 'SO_GTVT', responsiblePerson: 'Director', deadline: '2026-12-31' };
    let merged: Awaited<ReturnType<TestHub['graphql']>>;
    let created: Awaited<ReturnType<TestHub['graphql']>>;
    if (isSqlite(hub.dataSource.manager)) {
      merged = await hub.graphql(MERGE, { input: merge });
      created = await hub.graphql(CREATE_TASK, { input: task });
    } else {
      const runner = hub.dataSource.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      // Holds one of Transport's tasks: the merge locks Transport, then waits here before moving its tasks.
      await runner.query('SELECT id FROM task WHERE leadDepartmentId = ? ORDER BY id LIMIT 1 FOR UPDATE', [transport.id]);
      const merging = hub.graphql(MERGE, { input: merge });
      await waitFor('the merge to wait for the held task', async () => (await running()) >= 1);
      let settled = false;
      const creating = hub.graphql(CREATE_TASK, { input: task }).finally(() => {
        settled = true;
      });
      await waitFor('createTask to wait for the merge, or to answer', async () => settled || (await running()) >= 2);
      await runner.rollbackTransaction();
      await runner.release();
      [merged, created] = await Promise.all([merging, creating]);
    }
    expect(merged.errors).toBeUndefined();
    const stored = await hub.dataSource.getRepository(Task).findOneBy({ code: 'T99.70' });
    if (created.errors) {
      expect({ code: created.errors[0].extensions?.code, field: created.errors[0].extensions?.field, message: created.errors[0].message }).toEqual({
        code: 'BAD_USER_INPUT', field: 'input.leadDepartment', message: expect.stringContaining('department "SO_GTVT" no longer exists (since 2025-03-01)'),
      });
      expect(stored).toBeNull();
    } else {
      expect(stored?.leadDepartmentId).not.toBe(transport.id);
    }
    expect(await hub.dataSource.getRepository(Task).countBy({ leadDepartmentId: transport.id })).toBe(0);
  });
});
