// Charts drawn by uPlot: the node's payments/s, ticks/s and balances over time, and a sparkline of
// ticks per second for each stream.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Series } from '../store';

function usePlot(make: (el: HTMLElement) => uPlot, data: uPlot.AlignedData, deps: unknown[]) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  useEffect(() => {
    if (!el.current) return;
    plot.current = make(el.current);
    return () => plot.current?.destroy();
  }, deps);
  useEffect(() => {
    plot.current?.setData(data);
  });
  return el;
}

export function LiveChart({ series, width }: { series: Series; width: number }) {
  const data: uPlot.AlignedData = [series.t, series.paymentsPerSec, series.ticksPerSec, series.channelSat, series.ledgerSat];
  const el = usePlot(
    (target) =>
      new uPlot(
        {
          width,
          height: 220,
          scales: { x: { time: true }, rate: { auto: true, range: (_u, _min, max) => [0, Math.max(1, max) * 1.25] }, sat: { auto: true } },
          axes: [{}, { scale: 'rate', label: 'per second' }, { scale: 'sat', side: 1, label: 'sat', size: 80, grid: { show: false } }],
          series: [
            {},
            { label: 'payments/s', scale: 'rate', stroke: '#0b6e6e', width: 2 },
            { label: 'stream ticks/s', scale: 'rate', stroke: '#c2410c', width: 2 },
            { label: 'in channels (sat)', scale: 'sat', stroke: '#2563eb', width: 1.5 },
            { label: 'on the ledger (sat)', scale: 'sat', stroke: '#6b7280', width: 1.5, dash: [4, 4] },
          ],
        },
        data,
        target,
      ),
    data,
    [width],
  );
  return <div ref={el} class="chart" data-testid="live-chart" />;
}

export function Sparkline({ values }: { values: number[] }) {
  const xs = values.map((_, i) => i);
  const data: uPlot.AlignedData = [xs, values];
  const el = usePlot(
    (target) =>
      new uPlot(
        {
          width: 120,
          height: 28,
          legend: { show: false },
          cursor: { show: false },
          scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.25] } },
          axes: [{ show: false }, { show: false }],
          series: [{}, { stroke: '#c2410c', fill: 'rgba(194,65,12,0.15)', width: 1.5 }],
        },
        data,
        target,
      ),
    data,
    [],
  );
  return <div ref={el} class="spark" title="ticks per second, last minute" />;
}
