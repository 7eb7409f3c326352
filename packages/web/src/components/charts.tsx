import { useEffect, useMemo, useRef } from "react";
import uPlot, { type AlignedData, type Options } from "uplot";
import "uplot/dist/uPlot.min.css";

/** uPlot in a container that follows its width. Loaded lazily: only the health page needs it. */
function UPlotChart({ options, data, label }: { options: Omit<Options, "width">; data: AlignedData; label: string }) {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const width = () => Math.max(280, Math.floor(element.clientWidth));
    const plot = new uPlot({ ...options, width: width() } as Options, data, element);
    const observer = new ResizeObserver(() => plot.setSize({ width: width(), height: options.height }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [options, data]);
  return <div ref={container} className="chart" role="img" aria-label={label} />;
}

const ACCENT = "#0f766e";
const WARN = "#b54708";
const DANGER = "#b42318";
const GRID = { stroke: "#e5e7eb", width: 1 };
const AXIS = { stroke: "#5b6670", grid: GRID, ticks: { stroke: "#d0d5dd", width: 1 } };

/** Latency per provider over the window: a P95 bar with P50 and P99 marks. */
export function LatencyChart({ rows, label, names }: { rows: { p50: number; p95: number; p99: number }[]; names: string[]; label: string }) {
  // Keyed on the values, not the arrays' identities: a re-render with equal data keeps the chart.
  const key = JSON.stringify([rows, names]);
  const { options, data } = useMemo(() => latencyChart(rows, names), [key]);
  return <UPlotChart options={options} data={data} label={label} />;
}

function latencyChart(rows: { p50: number; p95: number; p99: number }[], names: string[]): { options: Omit<Options, "width">; data: AlignedData } {
  const indices = rows.map((_, index) => index);
  const data: AlignedData = [indices, rows.map((row) => row.p50), rows.map((row) => row.p95), rows.map((row) => row.p99)];
  const bars = uPlot.paths.bars?.({ size: [0.5, 48] });
  const options: Omit<Options, "width"> = {
    height: 220,
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: false, range: [-0.5, Math.max(rows.length - 0.5, 0.5)] }, y: { range: (_u, _min, max) => [0, Math.max(10, max * 1.1)] } },
    axes: [
      { ...AXIS, splits: () => indices, values: (_u, splits) => splits.map((index) => shorten(names[index] ?? "")) },
      { ...AXIS, size: 60, values: (_u, splits) => splits.map((value) => `${value} ms`) },
    ],
    series: [
      { label: "provider", value: (_u, index) => (index === null || index === undefined ? "—" : (names[index] ?? "")) },
      { label: "P50", stroke: ACCENT, width: 0, points: { show: true, size: 9, fill: ACCENT, stroke: ACCENT }, paths: () => null, value: (_u, v) => ms(v) },
      { label: "P95", stroke: WARN, fill: "rgba(181, 71, 8, 0.25)", width: 1, paths: bars, points: { show: false }, value: (_u, v) => ms(v) },
      { label: "P99", stroke: DANGER, width: 0, points: { show: true, size: 9, fill: DANGER, stroke: DANGER }, paths: () => null, value: (_u, v) => ms(v) },
    ],
  };
  return { options, data };
}

/** A provider's recent calls: latency over time, failures in red. */
export function CallsChart({
  calls,
  timeZone,
  label,
  labels,
}: {
  calls: { at: string; latencyMs: number; ok: boolean }[];
  timeZone: string;
  label: string;
  labels: { ok: string; failed: string };
}) {
  // Keyed on the values, not the arrays' identities: a re-render with equal data keeps the chart.
  const key = JSON.stringify([calls, timeZone, labels]);
  const { options, data } = useMemo(() => callsChart(calls, timeZone, labels), [key]);
  return <UPlotChart options={options} data={data} label={label} />;
}

function callsChart(
  calls: { at: string; latencyMs: number; ok: boolean }[],
  timeZone: string,
  labels: { ok: string; failed: string },
): { options: Omit<Options, "width">; data: AlignedData } {
  const sorted = [...calls].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const times = sorted.map((call) => Date.parse(call.at) / 1000);
  const first = times[0] ?? 0;
  const last = times.at(-1) ?? first;
  const data: AlignedData = [
    times,
    sorted.map((call) => (call.ok ? call.latencyMs : null)),
    sorted.map((call) => (call.ok ? null : call.latencyMs)),
  ];
  const options: Omit<Options, "width"> = {
    height: 200,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), timeZone),
    scales: {
      // From the data, at least a minute wide: uPlot widens a zero-width time range to 1000 days when timestamps are in seconds.
      x: { range: () => [first - Math.max(30, (last - first) * 0.05), last + Math.max(30, (last - first) * 0.05)] },
      y: { range: (_u, _min, max) => [0, Math.max(10, (max ?? 0) * 1.1)] },
    },
    axes: [AXIS, { ...AXIS, size: 60, values: (_u, splits) => splits.map((value) => `${value} ms`) }],
    series: [
      {},
      { label: labels.ok, stroke: ACCENT, width: 0, paths: () => null, points: { show: true, size: 7, fill: ACCENT, stroke: ACCENT }, value: (_u, v) => ms(v) },
      { label: labels.failed, stroke: DANGER, width: 0, paths: () => null, points: { show: true, size: 8, fill: DANGER, stroke: DANGER }, value: (_u, v) => ms(v) },
    ],
  };
  return { options, data };
}

function ms(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : `${Math.round(value)} ms`;
}

function shorten(name: string): string {
  return name.length > 14 ? `${name.slice(0, 13)}…` : name;
}
