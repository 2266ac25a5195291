import { daysBetween, todayIn } from '../../src/common/clock';
import { ProgressStatus, FactBasis } from '../../src/common/enums';
import { daysLate } from '../../src/modules/catalogue/accountable-item.service';
import { Task } from '../../src/modules/catalogue/task.entity';

function task(deadline: string, status: ProgressStatus, completedAt: Date | null): Task {
  return Object.assign(new Task(), { code: 'T', deadline, status, completedAt, basis: FactBasis.INFERRED });
}

describe('clock', () => {
  it('gives today in the hub time zone, not in UTC', () => {
    // 20:00 UTC on 1 April is already 2 April in Hà Nội (UTC+7).
    const evening = new Date('2024-04-01T20:00:00Z');
    expect(todayIn('Asia/Ho_Chi_Minh', evening)).toBe('2024-04-02');
    expect(todayIn('UTC', evening)).toBe('2024-04-01');
  });

  it('counts whole days between dates', () => {
    expect(daysBetween('2024-03-31', '2024-04-02')).toBe(2);
    expect(daysBetween('2024-02-28', '2024-03-01')).toBe(2);
    expect(daysBetween('2024-04-02', '2024-03-31')).toBe(-2);
  });
});

describe('daysLate', () => {
  it('counts open items until asOf and is 0 before the deadline', () => {
    expect(daysLate(task('2024-03-31', ProgressStatus.IN_PROGRESS, null), '2024-04-02', 'Asia/Ho_Chi_Minh')).toBe(2);
    expect(daysLate(task('2024-03-31', ProgressStatus.NOT_STARTED, null), '2024-03-31', 'Asia/Ho_Chi_Minh')).toBe(0);
  });

  it('counts completed items until their local completion date, whatever asOf says', () => {
    const completed = task('2024-03-31', ProgressStatus.COMPLETED, new Date('2024-04-01T20:00:00Z'));
    expect(daysLate(completed, '2026-01-01', 'Asia/Ho_Chi_Minh')).toBe(2);
    expect(daysLate(completed, '2026-01-01', 'UTC')).toBe(1);
    expect(daysLate(task('2024-03-31', ProgressStatus.COMPLETED, new Date('2024-03-20T02:00:00Z')), '2026-01-01', 'UTC')).toBe(0);
  });
});
