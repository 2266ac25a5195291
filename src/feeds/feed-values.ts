/**
 * Simulated values of the four department feeds: pure functions of (feed, unit, date), with realistic
 * magnitudes, a weekday/weekend pattern, public holidays and growth over 2024–2026. All of it is demo data.
 */
import { sequence, uniform } from './feed-hash';
import type { FeedUnit } from './feed-units';

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a 'YYYY-MM-DD' date (UTC). */
export function dayIndex(date: string): number {
  return Math.round(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

export function dateOfIndex(index: number): string {
  return new Date(index * DAY_MS).toISOString().slice(0, 10);
}

/** 0 = Monday … 6 = Sunday. */
export function weekday(date: string): number {
  return (((dayIndex(date) + 3) % 7) + 7) % 7;
}

const START = dayIndex('2024-01-01');
const elapsedDays = (date: string): number => Math.max(0, dayIndex(date) - START);
const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));

function dateRange(from: string, to: string): string[] {
  const dates: string[] = [];
  for (let day = dayIndex(from); day <= dayIndex(to); day++) dates.push(dateOfIndex(day));
  return dates;
}

/** Public holidays when offices close (New Year, Tết, Hùng Kings, 30/4–1/5, National Day); approximate. */
const HOLIDAYS: ReadonlySet<string> = new Set([
  '2024-01-01',
  ...dateRange('2024-02-08', '2024-02-14'),
  '2024-04-18',
  ...dateRange('2024-04-27', '2024-05-01'),
  '2024-09-02',
  '2024-09-03',
  '2025-01-01',
  ...dateRange('2025-01-25', '2025-02-02'),
  '2025-04-07',
  ...dateRange('2025-04-30', '2025-05-02'),
  '2025-09-01',
  '2025-09-02',
  '2026-01-01',
  '2026-01-02',
  ...dateRange('2026-02-14', '2026-02-22'),
  '2026-04-27',
  '2026-04-30',
  '2026-05-01',
  '2026-09-01',
  '2026-09-02',
]);

export function isHoliday(date: string): boolean {
  return HOLIDAYS.has(date);
}

/** Biometric (chip-ID) check-ins at medical facilities of one commune on one day: 0–120. */
export function biometricVisits(unit: FeedUnit, date: string): number {
  const t = elapsedDays(date);
  const adoption = 0.45 + (1.2 * t) / (t + 365); // 0.45 in January 2024, about 1.3 by the end of 2025
  const dayFactor = [1.15, 1.05, 1, 1, 0.95, 0.45, 0.25][weekday(date)] * (isHoliday(date) ? 0.3 : 1);
  const noise = 0.7 + 0.6 * uniform('health', unit.code, date);
  // A commune health station checks in at most 120 patients a day; the largest merged 2025 wards reach it.
  return clamp(Math.round(10 * unit.weight * adoption * dayFactor * noise), 0, 120);
}

/** Notarizations and authentications at self-service kiosks, per district (2025: per commune) and day: 0–40. */
export function kioskNotarizations(unit: FeedUnit, date: string): number {
  const t = elapsedDays(date);
  const rollout = 0.3 + (1.2 * t) / (t + 200); // kiosks installed through 2024
  const dayFactor = isHoliday(date) ? 0 : [1, 1, 1, 1, 1, 0.35, 0][weekday(date)];
  const noise = 0.6 + 0.8 * uniform('justice', unit.code, date);
  return clamp(Math.round(0.55 * unit.weight * rollout * dayFactor * noise), 0, 40);
}

export interface DrivingTests {
  monitored: number;
  idMismatch: number;
}

/** Driving-licence tests held under camera/ID monitoring, per district (2025: per commune) and day: 0–60. */
export function drivingTests(unit: FeedUnit, date: string): DrivingTests {
  // Tests run in sessions, not every day: most weekdays, some Saturdays, never on Sundays or holidays.
  const sessionChance = isHoliday(date) ? 0 : [0.6, 0.6, 0.6, 0.6, 0.6, 0.15, 0][weekday(date)];
  if (uniform('transport-session', unit.code, date) >= sessionChance) return { monitored: 0, idMismatch: 0 };
  const coverage = 0.55 + 0.45 * Math.min(1, elapsedDays(date) / 540); // monitoring equipment rolled out over 18 months
  const noise = 0.6 + 0.8 * uniform('transport', unit.code, date);
  const monitored = clamp(Math.round(1.7 * unit.weight * coverage * noise), 0, 60);
  // About 1% of candidates do not match their chip ID card: one draw per monitored test.
  const draw = sequence('transport-mismatch', unit.code, date);
  let idMismatch = 0;
  for (let i = 0; i < monitored; i++) if (draw() < 0.01) idMismatch++;
  return { monitored, idMismatch };
}

export interface Loans {
  count: number;
  /** Million VND. */
  amount: number;
}

/**
 * Unsecured policy loans disbursed in one month ('YYYY-MM'): 50–400 loans per district (fewer per 2025
 * commune), 30–100 million VND per loan on average, the average creeping up as loan ceilings rise.
 */
export function unsecuredLoans(unit: FeedUnit, month: string): Loans {
  const monthIndex = (Number(month.slice(0, 4)) - 2024) * 12 + Number(month.slice(5, 7)) - 1;
  const seasonal = [1.25, 0.7, 1.2, 1.1, 1, 1, 0.95, 1, 1.05, 1, 0.95, 0.85][Number(month.slice(5, 7)) - 1];
  const noise = 0.75 + 0.5 * uniform('nhcsxh-count', unit.code, month);
  const raw = Math.round(9 * unit.weight * seasonal * noise);
  const count = unit.level === 'district' ? clamp(raw, 50, 400) : clamp(raw, 0, 400);
  const perLoan = clamp(42 + 0.6 * monthIndex + 18 * uniform('nhcsxh-amount', unit.code, month), 30, 100);
  return { count, amount: Math.round(count * perLoan) };
}
