/** Periods as the API writes them: 2024-03-31 (DAY), 2024-W13 (WEEK), 2024-03 (MONTH), 2024-Q1 (QUARTER), 2024 (YEAR). */
export type Granularity = 'DAY' | 'WEEK' | 'MONTH' | 'QUARTER' | 'YEAR';

export const GRANULARITIES: Granularity[] = ['DAY', 'WEEK', 'MONTH', 'QUARTER', 'YEAR'];

/** The coarser of two granularities. */
export function coarser(a: Granularity, b: Granularity): Granularity {
  return GRANULARITIES.indexOf(a) >= GRANULARITIES.indexOf(b) ? a : b;
}

/** The period of `granularity` holding the day `iso` (YYYY-MM-DD); weeks as ISO weeks. */
export function periodOf(iso: string, granularity: Granularity): string {
  const [year, month] = iso.split('-').map(Number);
  switch (granularity) {
    case 'DAY':
      return iso.slice(0, 10);
    case 'MONTH':
      return iso.slice(0, 7);
    case 'QUARTER':
      return `${year}-Q${Math.floor((month - 1) / 3) + 1}`;
    case 'YEAR':
      return String(year);
    case 'WEEK': {
      const date = new Date(`${iso.slice(0, 10)}T00:00:00Z`);
      const day = (date.getUTCDay() + 6) % 7;
      date.setUTCDate(date.getUTCDate() - day + 3);
      const weekYear = date.getUTCFullYear();
      const firstThursday = new Date(Date.UTC(weekYear, 0, 4));
      const week = 1 + Math.round((date.getTime() - firstThursday.getTime()) / 86_400_000 / 7 - ((firstThursday.getUTCDay() + 6) % 7) / 7 + 3 / 7);
      return `${weekYear}-W${String(week).padStart(2, '0')}`;
    }
  }
}

export function today(): string {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}
