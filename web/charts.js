// Charts with uPlot (the global the uPlot script defines; web/package.json pins it, the build
// embeds it). Each chart's box says how many points it draws (data-points), for the tests and
// for a reader of the page's source.
import { h } from './dom.js';

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea'];

function size(box) {
  const w = Math.max(280, Math.min(box.clientWidth || 640, 960));
  return { width: w, height: Math.round(Math.min(320, w * 0.45)) };
}

/**
 * A line chart into a new box: `x` the x values (unix seconds with `time`, else numbers),
 * `series` [{label, values}] of the same length. Returns the box (append it first, then draw:
 * the box must be in the page to have a width).
 */
export function lineChart({ title, x, series, time = true, testid, yLabel = null, stepped = false, bars = false }) {
  const box = h('div', { class: 'chart', 'data-testid': testid, 'data-points': String(x.length) }, h('h3', {}, title));
  const draw = () => {
    if (!x.length) {
      box.append(h('p', { class: 'empty' }, 'no data in this range'));
      return;
    }
    const opts = {
      ...size(box),
      scales: { x: { time } },
      axes: [{}, { label: yLabel ?? undefined, size: 70 }],
      series: [{}, ...series.map((s, i) => ({
        label: s.label,
        stroke: COLORS[i % COLORS.length],
        width: 2,
        ...(stepped ? { paths: uPlot.paths.stepped({ align: 1 }) } : {}),
        ...(bars ? { paths: uPlot.paths.bars({ size: [0.8, 12] }), fill: `${COLORS[i % COLORS.length]}55`, points: { show: false } } : {}),
      }))],
      legend: { live: true },
    };
    new uPlot(opts, [x, ...series.map((s) => s.values)], box);
  };
  return { box, draw };
}

/** The Lorenz curve: cumulative share of holders (x) against share of supply (y), and the diagonal. */
export function lorenzChart({ points, testid }) {
  const x = points.map((p) => p[0]);
  const y = points.map((p) => p[1]);
  const chart = lineChart({
    title: 'Lorenz curve',
    x,
    series: [{ label: 'share of supply', values: y }, { label: 'equal shares', values: x }],
    time: false,
    testid,
  });
  return chart;
}
