/**
 * A reorganization racing the catalogue writes that name the department it ends: new work given to a department
 * while it is being merged away must not end up led by a department that no longer exists (nothing left behind).
 * On MariaDB the merge is held half-way (a row it must move is locked by the test) while createTask runs; on SQLite
 * writes are serialized, so the same requests in order must give the same end state.
 */
import ExcelJS from 'exceljs';
import { Task } from '../../src/modules/catalogue/task.entity';
import { TaskGroup } from '../../src/modules/catalogue/task-group.entity';
import { Department } from '../../src/modules/departments/department.entity';
import { isSqlite } from '../../src/database/sql-dialect';
import { waitFor } from '../helpers/subscriptions';
import { QUIET_BACKGROUND, startTestHub, type TestHub } from '../helpers/test-hub';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
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

  type Answer = Awaited<ReturnType<TestHub['graphql']>>;

  /**
   * Merges `department` into SO_XD while `during` runs: on MariaDB the merge is held half-way (one of its tasks is
   * locked here) until `during` waits for it or answers; on SQLite (writes serialized) one after the other.
   */
  async function mergeWhile<T>(department: string, during: () => Promise<T>): Promise<{ merged: Answer; result: T; departmentId: number }> {
    const { id } = await hub.dataSource.getRepository(Department).findOneByOrFail({ code: department });
    const merge = { departments: [department], into: 'SO_XD', effectiveDate: '2025-03-01', note: 'Quyết định hợp nhất' };
    if (isSqlite(hub.dataSource.manager)) {
      const merged = await hub.graphql(MERGE, { input: merge });
      return { merged, result: await during(), departmentId: id };
    }
    const runner = hub.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    // Holds one of the department's tasks: the merge locks the department, then waits here before moving its tasks.
    await runner.query('SELECT id FROM task WHERE leadDepartmentId = ? ORDER BY id LIMIT 1 FOR UPDATE', [id]);
    const merging = hub.graphql(MERGE, { input: merge });
    await waitFor('the merge to wait for the held task', async () => (await running()) >= 1);
    let settled = false;
    const doing = during().finally(() => {
      settled = true;
    });
    await waitFor('the request to wait for the merge, or to answer', async () => settled || (await running()) >= 2);
    await runner.rollbackTransaction();
    await runner.release();
    const [merged, result] = await Promise.all([merging, doing]);
    return { merged, result, departmentId: id };
  }

  it('a task created for a department while it is merged away is refused: none is led by the ended department', async () => {
    const task = { code: 'T99.70', taskGroup: 'TG05', title: 'Late task for Transport', leadDepartment: 'SO_GTVT', responsiblePerson: 'Director', deadline: '2026-12-31' };
    const { merged, result: created, departmentId } = await mergeWhile('SO_GTVT', () => hub.graphql(CREATE_TASK, { input: task }));
    expect(merged.errors).toBeUndefined();
    expect({ code: created.errors?.[0].extensions?.code, field: created.errors?.[0].extensions?.field, message: created.errors?.[0].message }).toEqual({
      code: 'BAD_USER_INPUT', field: 'input.leadDepartment', message: expect.stringContaining('department "SO_GTVT" no longer exists (since 2025-03-01)'),
    });
    expect(await hub.dataSource.getRepository(Task).findOneBy({ code: 'T99.70' })).toBeNull();
    expect(await hub.dataSource.getRepository(Task).countBy({ leadDepartmentId: departmentId })).toBe(0);
  });

  it('an import applied while a department is merged away writes nothing led by it: its rows are problems, or it waits', async () => {
    const book = new ExcelJS.Workbook();
    book.addWorksheet('TaskGroups').addRows([['code', 'program', 'plan_year', 'name', 'lead_department'], ['TG26.71', 'DA06', 2026, 'Plan 2026', 'VP_UBND']]);
    book.addWorksheet('Tasks').addRows([['code', 'task_group', 'title', 'lead_department', 'responsible_person', 'deadline'], ['T99.71', 'TG26.71', 'Imported task', 'SO_YT', 'Director', '2026-12-31']]);
    const file = Buffer.from(await book.xlsx.writeBuffer());
    const post = () => fetch(new URL('/catalogue/import?apply=true', hub.hub.url), { method: 'POST', headers: { ...hub.headers, 'content-type': XLSX }, body: file })
      .then(async (response) => ({ status: response.status, body: (await response.json()) as { applied?: boolean; problems?: Array<{ column: string; message: string }> } }));
    const { merged, result: imported, departmentId } = await mergeWhile('SO_YT', post);
    expect(merged.errors).toBeUndefined();
    expect({ status: imported.status, applied: imported.body.applied, problems: imported.body.problems?.map((problem) => problem.column) }).toEqual({ status: 400, applied: false, problems: ['lead_department'] });
    expect(await hub.dataSource.getRepository(TaskGroup).findOneBy({ code: 'TG26.71' })).toBeNull();
    expect(await hub.dataSource.getRepository(Task).findOneBy({ code: 'T99.71' })).toBeNull();
    expect(await hub.dataSource.getRepository(Task).countBy({ leadDepartmentId: departmentId })).toBe(0);
  });
});
