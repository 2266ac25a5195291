import 'uplot/dist/uPlot.min.css';
import uPlot from 'uplot';
import { useEffect, useRef } from 'react';
import { formatNumber, messages, type Lang } from '../i18n';

export interface ChartLine {
  label: string;
  values: Array<number | null>;
}

const COLOURS = ['#0b5394', '#b45f06', '#38761d', '#741b47', '#134f5c', '#7f6000', '#990000', '#351c75'];

/** A time-series chart (uPlot, canvas) of lines over periods; its text alternative is the table beside it. */
export function Chart({ periods, lines, lang, label }: { periods: string[]; lines: ChartLine[]; lang: Lang; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element || periods.length === 0) return;
    const width = Math.max(320, Math.min(element.clientWidth || 900, 1200));
    const plot = new uPlot(
      {
        width,
        height: 280,
        scales: { x: { time: false } },
        axes: [
          { values: (_u, ticks) => ticks.map((tick) => periods[Math.round(tick)] ?? '') , space: 60 },
          { values: (_u, ticks) => ticks.map((tick) => formatNumber(lang, tick, 2)), size: 70 },
        ],
        series: [{ label: messages(lang)('period'), value: (_u, index) => (index === null ? '' : periods[Math.round(index)] ?? '') }, ...lines.map((line, index) => ({ label: line.label, stroke: COLOURS[index % COLOURS.length], width: 2, value: (_u: uPlot, value: number | null) => formatNumber(lang, value, 2), spanGaps: true }))],
      },
      [periods.map((_period, index) => index), ...lines.map((line) => line.values)] as uPlot.AlignedData,
      element,
    );
    return () => plot.destroy();
  }, [periods, lines, lang]);
  return <div className="chart" ref={box} role="img" aria-label={label} />;
}
