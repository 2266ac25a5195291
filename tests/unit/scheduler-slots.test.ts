import { slotsBetween } from '../../src/scheduler/scheduler';

/** The slots of a schedule between two instants: what the missed-fire check counts after a downtime. */
describe('slotsBetween', () => {
  it('counts the slots after `after` up to and including `until`', () => {
    const after = new Date('2026-12-07T05:00:00.000Z');
    expect(slotsBetween('*/3 * * * * *', 'UTC', after, new Date('2026-12-07T05:00:10.000Z'))).toEqual({
      first: new Date('2026-12-07T05:00:03.000Z'),
      last: new Date('2026-12-07T05:00:09.000Z'),
      count: 3,
    });
    expect(slotsBetween('*/3 * * * * *', 'UTC', after, new Date('2026-12-07T05:00:09.000Z'))!.count).toBe(3);
    expect(slotsBetween('*/3 * * * * *', 'UTC', after, new Date('2026-12-07T05:00:02.999Z'))).toBeNull();
  });

  it('reads the schedule in its zone: 06:00 in Ho Chi Minh City is 23:00 UTC the day before', () => {
    const missed = slotsBetween('0 6 * * *', 'Asia/Ho_Chi_Minh', new Date('2026-12-01T00:00:00Z'), new Date('2026-12-07T12:00:00Z'));
    expect(missed).toEqual({ first: new Date('2026-12-01T23:00:00Z'), last: new Date('2026-12-06T23:00:00Z'), count: 6 });
  });

  it('stops counting at the cap, and still finds the last slot', () => {
    const missed = slotsBetween('* * * * * *', 'UTC', new Date('2026-12-07T00:00:00Z'), new Date('2026-12-08T00:00:00Z'), 100);
    expect(missed).toEqual({ first: new Date('2026-12-07T00:00:01Z'), last: new Date('2026-12-08T00:00:00Z'), count: 100 });
    const daily = slotsBetween('0 6 * * *', 'UTC', new Date('2026-01-01T00:00:00Z'), new Date('2026-12-07T12:00:00Z'), 10);
    expect(daily).toEqual({ first: new Date('2026-01-01T06:00:00Z'), last: new Date('2026-12-07T06:00:00Z'), count: 10 });
  });
});
