/**
 * `npm run bench`: runs the exported `run()` of every `bench/*.bench.ts` module, one after another, and prints
 * a summary. `npm run bench -- ingestion` runs only the modules whose file name contains "ingestion".
 */
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';

/** What a benchmark module's run() returns. */
export interface BenchReport {
  /** Markdown (usually a table) with the figures. */
  markdown: string;
  /** Targets the benchmark checks, e.g. "ingestRows ≤ 2 × raw upsert". */
  goals?: Array<{ label: string; met: boolean }>;
}

interface BenchModule {
  run: () => Promise<BenchReport>;
}

async function main(): Promise<number> {
  const filter = process.argv[2] ?? '';
  const files = fs
    .readdirSync(__dirname)
    .filter((file) => file.endsWith('.bench.ts') && file.includes(filter))
    .sort();
  if (files.length === 0) {
    console.error(`no bench/*.bench.ts module matches "${filter}"`);
    return 1;
  }
  const results: Array<{ name: string; seconds: number; report?: BenchReport; error?: unknown }> = [];
  for (const file of files) {
    const name = file.replace(/\.bench\.ts$/, '');
    console.log(`\n# ${name}\n`);
    const started = performance.now();
    try {
      const module = (await import(path.join(__dirname, file))) as Partial<BenchModule>;
      if (typeof module.run !== 'function') throw new Error(`${file} does not export run()`);
      const report = await module.run();
      results.push({ name, seconds: (performance.now() - started) / 1000, report });
      console.log(report.markdown);
    } catch (error) {
      results.push({ name, seconds: (performance.now() - started) / 1000, error });
      console.error(`${name} failed:`, error);
    }
  }

  console.log('\n# Summary\n');
  console.log('| benchmark | wall time | result |');
  console.log('|---|---:|---|');
  for (const { name, seconds, report, error } of results) {
    const outcome = error
      ? `FAILED: ${error instanceof Error ? error.message : String(error)}`
      : (report?.goals ?? []).map((goal) => `${goal.met ? 'met' : 'MISSED'}: ${goal.label}`).join('; ') || 'done';
    console.log(`| ${name} | ${seconds.toFixed(1)} s | ${outcome} |`);
  }
  return results.some((result) => result.error) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
