import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataSource, In, Like } from 'typeorm';
import { createDataSource, migrate } from '../../src/database/data-source';
import { ConnectorRun } from '../../src/modules/connectors/connector-run.entity';
import { Connector, RunErrorClass, RunStatus, RunTrigger } from '../../src/modules/connectors/connector.entity';
import { Department } from '../../src/modules/departments/department.entity';
import { INTERRUPTED_MESSAGE, markInterruptedRuns } from '../../src/scheduler/interrupted-runs';
import { processOwnerId } from '../../src/scheduler/process-owner';
import { DatabaseRunCoordinator, LEASE_KEY_MAX_LENGTH, leaseKey } from '../../src/scheduler/run-coordinator';
import { SchedulerLease } from '../../src/scheduler/scheduler-lease.entity';
import { Scheduler, validateCron, validateTimeZone } from '../../src/scheduler/scheduler';
import { openTestDatabase, type TestDatabase } from '../helpers/test-database';

jest.setTimeout(60_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
}

const uniqueId = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

interface Fire {
  jobId: string;
  slot: Date;
  at: number;
}

describe('scheduler', () => {
  let db: TestDatabase;
  const schedulers: Scheduler[] = [];
  const errors: Array<{ error: unknown; jobId?: string }> = [];

  function newScheduler(fires: Fire[], extra: { onFire?: (jobId: string, slot: Date) => Promise<void> } = {}): Scheduler {
    const scheduler = new Scheduler({
      coordinator: new DatabaseRunCoordinator(db.dataSource),
      defaultTimeZone: 'Asia/Ho_Chi_Minh',
      onError: (error, jobId) => errors.push({ error, jobId }),
      onFire:
        extra.onFire ??
        (async (jobId, slot) => {
          fires.push({ jobId, slot, at: Date.now() });
        }),
    });
    schedulers.push(scheduler);
    return scheduler;
  }

  beforeAll(async () => {
    db = await openTestDatabase();
  });

  afterAll(async () => {
    for (const scheduler of schedulers) await scheduler.stop({ deadlineMs: 2_000 });
    await db.dataSource.destroy();
  });

  beforeEach(() => {
    errors.length = 0;
  });

  describe('DatabaseRunCoordinator', () => {
    it('claims a key once and records the lease', async () => {
      const first = new DatabaseRunCoordinator(db.dataSource, { owner: 'host-a:1:aa' });
      const second = new DatabaseRunCoordinator(db.dataSource, { owner: 'host-b:2:bb' });
      const key = `job:${uniqueId('once')}:2030-01-01T00:00:00.000Z`;

      expect(await first.shouldRun(key, 60_000)).toBe(true);
      expect(await first.shouldRun(key, 60_000)).toBe(false);
      expect(await second.shouldRun(key, 60_000)).toBe(false);

      const lease = await db.dataSource.getRepository(SchedulerLease).findOneByOrFail({ key });
      expect(lease.owner).toBe('host-a:1:aa');
      const held = lease.expiresAt.getTime() - lease.acquiredAt.getTime();
      expect(held).toBeGreaterThanOrEqual(59_000);
      expect(held).toBeLessThanOrEqual(61_000);
    });

    it('defaults the owner to this process id', () => {
      const coordinator = new DatabaseRunCoordinator(db.dataSource);
      expect(coordinator.owner).toBe(processOwnerId());
      expect(processOwnerId()).toMatch(new RegExp(`^.+:${process.pid}:[0-9a-f]{8}$`));
      expect(processOwnerId().length).toBeLessThanOrEqual(100);
    });

    it('hashes keys longer than the column into distinct keys that fit', async () => {
      const base = `job:${'x'.repeat(300)}`;
      const one = `${base}:2030-01-01T00:00:00.000Z`;
      const two = `${base}:2030-01-01T00:00:01.000Z`;
      expect(leaseKey('job:short:2030-01-01T00:00:00.000Z')).toBe('job:short:2030-01-01T00:00:00.000Z');
      expect(leaseKey(one)).toHaveLength(LEASE_KEY_MAX_LENGTH);
      expect(leaseKey(one)).not.toBe(leaseKey(two));
      // Non-ASCII ids are cut on whole characters.
      expect(Array.from(leaseKey(`job:${'Nghệ An 😀 '.repeat(40)}:2030`)).length).toBeLessThanOrEqual(LEASE_KEY_MAX_LENGTH);

      const coordinator = new DatabaseRunCoordinator(db.dataSource);
      expect(await coordinator.shouldRun(one, 1_000)).toBe(true);
      expect(await coordinator.shouldRun(two, 1_000)).toBe(true);
      expect(await coordinator.shouldRun(one, 1_000)).toBe(false);
    });

    it('reports other failures through onError and does not claim', async () => {
      const seen: Array<{ error: unknown; key: string }> = [];
      const broken = new DataSource({ type: 'better-sqlite3', database: ':memory:' }); // never initialised
      const coordinator = new DatabaseRunCoordinator(broken, { onError: (error, key) => seen.push({ error, key }) });
      expect(await coordinator.shouldRun('job:x:2030-01-01T00:00:00.000Z', 1_000)).toBe(false);
      expect(seen).toHaveLength(1);
      expect(seen[0].key).toBe('job:x:2030-01-01T00:00:00.000Z');
      expect(seen[0].error).toBeInstanceOf(Error);
    });

    it('purges expired leases only', async () => {
      const coordinator = new DatabaseRunCoordinator(db.dataSource);
      const prefix = `job:${uniqueId('purge')}`;
      expect(await coordinator.shouldRun(`${prefix}:old`, 1_000)).toBe(true);
      expect(await coordinator.shouldRun(`${prefix}:live`, 3_600_000)).toBe(true);

      // Datetime columns without fractions may round up: look far enough ahead for the short lease.
      const purged = await coordinator.purgeExpired(new Date(Date.now() + 5_000));
      expect(purged).toBeGreaterThanOrEqual(1);
      const left = await db.dataSource.getRepository(SchedulerLease).findBy({ key: Like(`${prefix}:%`) });
      expect(left.map((lease) => lease.key)).toEqual([`${prefix}:live`]);
      // A purged slot can be claimed again: rows must outlive any process that could still try the slot.
      expect(await coordinator.purgeExpired(new Date(Date.now() - 60_000))).toBe(0);
    });

    describe('across two data sources (two processes’ pools)', () => {
      let first: DataSource;
      let second: DataSource;
      let folder: string | undefined;

      beforeAll(async () => {
        if (db.config.kind === 'sqlite') {
          // :memory: is private to one connection: share a file instead.
          folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-lease-'));
          const location = path.join(folder, 'hub.sqlite');
          first = createDataSource({ kind: 'sqlite', location, poolSize: 1 });
          await first.initialize();
          await migrate(first);
        } else {
          first = db.dataSource;
        }
        second = createDataSource(db.config.kind === 'sqlite' ? { kind: 'sqlite', location: first.options.database as string, poolSize: 1 } : db.config);
        await second.initialize();
      });

      afterAll(async () => {
        await second?.destroy();
        if (first && first !== db.dataSource) await first.destroy();
        if (folder) fs.rmSync(folder, { recursive: true, force: true });
      });

      it('lets exactly one claim win, even when both race', async () => {
        const a = new DatabaseRunCoordinator(first, { owner: 'proc-a' });
        const b = new DatabaseRunCoordinator(second, { owner: 'proc-b' });
        const slotKeys = Array.from({ length: 5 }, (_, index) => `job:${uniqueId('race')}:2030-01-01T00:00:0${index}.000Z`);
        const errorsSeen: unknown[] = [];
        a.onError = (error) => errorsSeen.push(error);
        b.onError = (error) => errorsSeen.push(error);

        for (const key of slotKeys) {
          const outcomes = await Promise.all(Array.from({ length: 8 }, (_, index) => (index % 2 ? b : a).shouldRun(key, 30_000)));
          expect(outcomes.filter(Boolean)).toHaveLength(1);
        }
        expect(errorsSeen).toEqual([]);
        const leases = await second.getRepository(SchedulerLease).findBy({ key: In(slotKeys) });
        expect(leases).toHaveLength(slotKeys.length);
        // The other pool sees the claim and is refused.
        expect(await b.shouldRun(slotKeys[0], 30_000)).toBe(false);
        expect(await a.shouldRun(slotKeys[0], 30_000)).toBe(false);
      });
    });
  });

  describe('validators', () => {
    it.each([
      '* * * * *',
      '* * * * * *',
      '*/5 * * * * *',
      '0 30 7 * * 1-5',
      '0 7 * * mon-fri',
      '15 2 1,15 * *',
      '0 0 L * *',
      '@daily',
    ])('accepts %j', (expression) => {
      expect(validateCron(expression)).toBeNull();
    });

    it.each([
      ['', /required/],
      ['   ', /required/],
      ['* * *', /5 or 6 fields/],
      ['* * * * * * *', /5 or 6 fields/],
      ['61 * * * *', /61 .*minute/],
      ['0 24 * * *', /24 .*hour/],
      ['*/0 * * * *', /minute/],
      ['1-70 * * * *', /minute/],
      ['0 0 30 2 *', /impossible/],
      ['0 0 L-30 2 *', /never fires/],
      ['every day', /./],
      ['* * * * ; rm', /illegal/],
    ])('rejects %j', (expression, message) => {
      expect(validateCron(expression)).toMatch(message);
    });

    it('rejects non-strings and over-long expressions', () => {
      expect(validateCron(undefined)).toMatch(/required/);
      expect(validateCron(`0 0 ${'1,'.repeat(60)}1 * *`)).toMatch(/at most 100/);
    });

    it('validates time zones', () => {
      expect(validateTimeZone('Asia/Ho_Chi_Minh')).toBeNull();
      expect(validateTimeZone('UTC')).toBeNull();
      expect(validateTimeZone('Etc/GMT-7')).toBeNull();
      expect(validateTimeZone('Mars/Olympus')).toMatch(/unknown time zone/);
      expect(validateTimeZone('GMT+7')).toMatch(/unknown time zone/);
      expect(validateTimeZone('')).toMatch(/required/);
      expect(validateTimeZone(null)).toMatch(/required/);
    });

    it('refuses an invalid default zone', () => {
      expect(() => new Scheduler({ coordinator: new DatabaseRunCoordinator(db.dataSource), defaultTimeZone: 'Nowhere/City', onFire: async () => undefined })).toThrow(/defaultTimeZone/);
    });
  });

  describe('Scheduler', () => {
    it('fires an every-second job with its slot times and claims each slot', async () => {
      const fires: Fire[] = [];
      const scheduler = newScheduler(fires);
      const id = uniqueId('tick');
      expect(scheduler.plan([{ id, cron: '* * * * * *', timeZone: 'Asia/Ho_Chi_Minh' }])).toEqual({ added: [id], changed: [], removed: [], unchanged: [], rejected: [] });

      await waitFor(() => fires.length >= 3, 6_000);
      await scheduler.stop();
      const count = fires.length;

      for (const fire of fires) {
        expect(fire.jobId).toBe(id);
        expect(fire.slot.getMilliseconds()).toBe(0);
        expect(fire.at).toBeGreaterThanOrEqual(fire.slot.getTime());
        expect(fire.at - fire.slot.getTime()).toBeLessThan(1_500);
      }
      for (let index = 1; index < fires.length; index += 1) {
        const step = fires[index].slot.getTime() - fires[index - 1].slot.getTime();
        expect(step).toBeGreaterThanOrEqual(1_000);
        expect(step % 1_000).toBe(0);
      }
      const leases = await db.dataSource.getRepository(SchedulerLease).findBy({ key: Like(`job:${id}:%`) });
      expect(leases.map((lease) => lease.key).sort()).toEqual(fires.map((fire) => `job:${id}:${fire.slot.toISOString()}`).sort());
      expect(new Set(leases.map((lease) => lease.owner))).toEqual(new Set([processOwnerId()]));

      await sleep(1_500);
      expect(fires).toHaveLength(count); // stopped means stopped
      expect(() => scheduler.plan([])).toThrow(/stopped/);
    });

    it('does not run a slot another process already claimed', async () => {
      const fires: Fire[] = [];
      const scheduler = newScheduler(fires);
      const id = uniqueId('taken');
      // Another process took the next few seconds.
      const other = new DatabaseRunCoordinator(db.dataSource, { owner: 'other-process' });
      const start = Math.ceil(Date.now() / 1_000) * 1_000;
      const taken = new Set<string>();
      for (let second = 0; second < 30; second += 2) {
        const slot = new Date(start + second * 1_000).toISOString();
        await other.shouldRun(`job:${id}:${slot}`, 60_000);
        taken.add(slot);
      }
      scheduler.plan([{ id, cron: '* * * * * *', timeZone: 'UTC' }]);
      await waitFor(() => fires.length >= 3, 8_000);
      await scheduler.stop();
      for (const fire of fires) expect(taken.has(fire.slot.toISOString())).toBe(false);
    });

    it('reads crons in the job zone and reports the next run', () => {
      const scheduler = newScheduler([]);
      scheduler.plan([
        { id: 'seven-hcm', cron: '0 0 7 * * *', timeZone: 'Asia/Ho_Chi_Minh' },
        { id: 'seven-utc', cron: '0 7 * * *', timeZone: 'UTC' },
        { id: 'seven-default', cron: '0 7 * * *', timeZone: '' },
      ]);
      const hcm = scheduler.nextRunAt('seven-hcm');
      const utc = scheduler.nextRunAt('seven-utc');
      expect(hcm?.toISOString()).toMatch(/T00:00:00\.000Z$/);
      expect(utc?.toISOString()).toMatch(/T07:00:00\.000Z$/);
      expect(scheduler.nextRunAt('seven-default')?.getTime()).toBe(hcm?.getTime());
      expect(hcm!.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3_600_000);
      expect(scheduler.nextRunAt('nope')).toBeNull();
    });

    it('replans: adds, removes and changes jobs, leaves unchanged ones alone', async () => {
      const fires: Fire[] = [];
      const scheduler = newScheduler(fires);
      const [a, b, c] = [uniqueId('a'), uniqueId('b'), uniqueId('c')];
      scheduler.plan([
        { id: a, cron: '* * * * * *', timeZone: 'UTC' },
        { id: b, cron: '* * * * * *', timeZone: 'UTC' },
      ]);
      const of = (id: string) => fires.filter((fire) => fire.jobId === id);
      await waitFor(() => of(a).length >= 2 && of(b).length >= 2, 6_000);

      const replannedAt = Date.now();
      expect(
        scheduler.plan([
          { id: a, cron: '*/2 * * * * *', timeZone: 'UTC' },
          { id: c, cron: '* * * * * *', timeZone: 'UTC' },
        ]),
      ).toEqual({ added: [c], changed: [a], removed: [b], unchanged: [], rejected: [] });
      expect(scheduler.plannedJobIds().sort()).toEqual([a, c].sort());
      expect(scheduler.nextRunAt(b)).toBeNull();
      expect(scheduler.nextRunAt(a)!.getUTCSeconds() % 2).toBe(0);

      await sleep(4_200);
      // The removed job stops: no slot after the replan.
      expect(of(b).filter((fire) => fire.slot.getTime() > replannedAt)).toEqual([]);
      // The changed job follows its new cron.
      const aAfter = of(a).filter((fire) => fire.slot.getTime() > replannedAt);
      expect(aAfter.length).toBeGreaterThanOrEqual(1);
      for (const fire of aAfter) expect(fire.slot.getUTCSeconds() % 2).toBe(0);
      expect(of(c).length).toBeGreaterThanOrEqual(3);

      // Same plan again: nothing is touched.
      const nextA = scheduler.nextRunAt(a);
      expect(
        scheduler.plan([
          { id: c, cron: '* * * * * *', timeZone: 'UTC' },
          { id: a, cron: '*/2 * * * * *', timeZone: 'UTC' },
        ]),
      ).toEqual({ added: [], changed: [], removed: [], unchanged: [c, a], rejected: [] });
      expect(scheduler.nextRunAt(a)!.getTime()).toBeGreaterThanOrEqual(nextA!.getTime());

      // A zone change is a change; invalid jobs are rejected and reported, and lose their task.
      const result = scheduler.plan([
        { id: a, cron: '*/2 * * * * *', timeZone: 'Asia/Ho_Chi_Minh' },
        { id: c, cron: '61 * * * *', timeZone: 'UTC' },
        { id: 'bad-zone', cron: '* * * * *', timeZone: 'Mars/Olympus' },
      ]);
      expect(result.changed).toEqual([a]);
      expect(result.removed).toEqual([c]);
      expect(result.rejected.map((rejected) => rejected.id)).toEqual([c, 'bad-zone']);
      expect(result.rejected[0].message).toMatch(/minute/);
      expect(result.rejected[1].message).toMatch(/time zone/);
      expect(errors.map((error) => error.jobId)).toEqual([c, 'bad-zone']);
      expect(scheduler.plannedJobIds()).toEqual([a]);

      await scheduler.stop();
      const stoppedAt = Date.now();
      await sleep(1_200);
      expect(fires.filter((fire) => fire.at >= stoppedAt)).toEqual([]);
    });

    it('reports a failing fire and keeps the schedule', async () => {
      let calls = 0;
      const scheduler = newScheduler([], {
        onFire: async () => {
          calls += 1;
          throw new Error('source down');
        },
      });
      const id = uniqueId('failing');
      scheduler.plan([{ id, cron: '* * * * * *', timeZone: 'UTC' }]);
      await waitFor(() => calls >= 2, 5_000);
      await scheduler.stop();
      expect(errors.length).toBeGreaterThanOrEqual(2);
      expect(errors[0]).toEqual({ error: new Error('source down'), jobId: id });
    });

    it('stop() waits for a fire in progress, up to its deadline', async () => {
      let finished = 0;
      let started = 0;
      const slow = newScheduler([], {
        onFire: async () => {
          started += 1;
          await sleep(1_200);
          finished += 1;
        },
      });
      slow.plan([{ id: uniqueId('slow'), cron: '* * * * * *', timeZone: 'UTC' }]);
      await waitFor(() => started >= 1, 5_000);
      await slow.stop();
      expect(finished).toBe(started);

      let release: () => void = () => undefined;
      let stuckStarted = false;
      const stuck = newScheduler([], {
        onFire: async () => {
          stuckStarted = true;
          await new Promise<void>((resolve) => (release = resolve));
        },
      });
      stuck.plan([{ id: uniqueId('stuck'), cron: '* * * * * *', timeZone: 'UTC' }]);
      await waitFor(() => stuckStarted, 5_000);
      const before = Date.now();
      await stuck.stop({ deadlineMs: 300 });
      expect(Date.now() - before).toBeLessThan(1_500);
      expect(errors.some((error) => /stop deadline/.test(String(error.error)))).toBe(true);
      release();
    });

    it('purges old leases through the coordinator', async () => {
      const coordinator = new DatabaseRunCoordinator(db.dataSource);
      const key = `job:${uniqueId('old')}:2001-01-01T00:00:00.000Z`;
      await db.dataSource.getRepository(SchedulerLease).insert({
        key,
        owner: 'gone',
        acquiredAt: new Date('2001-01-01T00:00:00Z'),
        expiresAt: new Date('2001-01-01T00:05:00Z'),
      });
      const scheduler = new Scheduler({ coordinator, defaultTimeZone: 'UTC', onFire: async () => undefined, purgeIntervalMs: 0 });
      schedulers.push(scheduler);
      expect(await scheduler.purgeLeases()).toBeGreaterThanOrEqual(1);
      expect(await db.dataSource.getRepository(SchedulerLease).countBy({ key })).toBe(0);
    });
  });

  describe('markInterruptedRuns', () => {
    it('flips only RUNNING rows of other (or the named) owners', async () => {
      const department = (await db.dataSource.getRepository(Department).find({ take: 1, order: { id: 'ASC' } }))[0];
      const now = new Date();
      const connector = await db.dataSource.getRepository(Connector).save({
        departmentId: department.id,
        name: uniqueId('interrupted-connector'),
        kind: 'push',
        timeZone: 'Asia/Ho_Chi_Minh',
        config: '{}',
        mapping: '{}',
        createdAt: now,
        updatedAt: now,
      });
      const runs = db.dataSource.getRepository(ConnectorRun);
      const tenMinutesAgo = new Date(now.getTime() - 10 * 60_000);
      const make = async (status: RunStatus, owner: string, startedAt: Date) =>
        (
          await runs.save({
            connectorId: connector.id,
            trigger: RunTrigger.SCHEDULE,
            status,
            startedAt,
            owner,
            startedBy: 'scheduler',
            finishedAt: status === RunStatus.RUNNING ? null : now,
          })
        ).id;
      const goneA = await make(RunStatus.RUNNING, 'host-a:1:aaaa', tenMinutesAgo);
      const mine = await make(RunStatus.RUNNING, processOwnerId(), tenMinutesAgo);
      const done = await make(RunStatus.SUCCEEDED, 'host-a:1:aaaa', tenMinutesAgo);
      const fresh = await make(RunStatus.RUNNING, 'host-b:2:bbbb', now);
      const goneC = await make(RunStatus.RUNNING, 'host-c:3:cccc', tenMinutesAgo);

      const statusOf = async () =>
        Object.fromEntries((await runs.findBy({ connectorId: connector.id })).map((run) => [run.id, run.status]));

      expect(await markInterruptedRuns(db.dataSource, { graceMs: 60_000 })).toBe(2);
      expect(await statusOf()).toEqual({
        [goneA]: RunStatus.INTERRUPTED,
        [mine]: RunStatus.RUNNING,
        [done]: RunStatus.SUCCEEDED,
        [fresh]: RunStatus.RUNNING,
        [goneC]: RunStatus.INTERRUPTED,
      });
      const closed = await runs.findOneByOrFail({ id: goneA });
      expect(closed.errorClass).toBe(RunErrorClass.INTERNAL);
      expect(closed.errorMessage).toBe(INTERRUPTED_MESSAGE);
      expect(closed.errorMessage).toBe('the process running it stopped before it finished');
      expect(closed.finishedAt).toBeInstanceOf(Date);
      expect(Math.abs(closed.finishedAt!.getTime() - Date.now())).toBeLessThan(10_000);
      const untouched = await runs.findOneByOrFail({ id: done });
      expect(untouched.errorClass).toBeNull();

      // Named owner: only that owner's RUNNING runs, whatever their age.
      expect(await markInterruptedRuns(db.dataSource, { owner: 'host-b:2:bbbb' })).toBe(1);
      expect((await statusOf())[fresh]).toBe(RunStatus.INTERRUPTED);
      // Again: nothing left to flip.
      expect(await markInterruptedRuns(db.dataSource, { graceMs: 60_000 })).toBe(0);
      // Default grace (0) still spares this process's own runs.
      expect(await markInterruptedRuns(db.dataSource, {})).toBe(0);
      expect(await markInterruptedRuns(db.dataSource, { owner: processOwnerId() })).toBe(1);
      expect(Object.values(await statusOf()).filter((status) => status === RunStatus.RUNNING)).toEqual([]);
    });
  });
});
