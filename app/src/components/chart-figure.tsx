import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  type ChartDataset,
  DoughnutController,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type TooltipItem,
} from 'chart.js';
import { createEffect, createUniqueId, For, onCleanup, onMount, Show } from 'solid-js';

// Only the pieces these charts use, so the rest of chart.js stays out of the bundle.
Chart.register(
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  DoughnutController,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

export interface ChartSeries {
  label: string;
  /** Raw values, one per label (seconds, counts, percentages). */
  values: readonly number[];
  /** How a raw value reads: in tooltips and in the table. */
  format: (value: number) => string;
  /** The value drawn (hours for seconds); the raw value when absent. */
  plot?: (value: number) => number;
  /** Drawn as a line against a second axis on the right (a mixed chart). */
  line?: boolean;
  /** Listed in the table only, not drawn (a share next to a time). */
  tableOnly?: boolean;
}

export interface ChartFigureProps {
  caption: string;
  kind: 'bar' | 'doughnut';
  /** Heading of the label column of the table. */
  labelHeading: string;
  labels: readonly string[];
  series: readonly ChartSeries[];
  /** One colour per label (doughnut slices, bars); a palette from the theme when absent. */
  colors?: readonly (string | null)[];
  /** Axis titles: left (first drawn series), right (line series). */
  axisTitle?: string;
  lineAxisTitle?: string;
  /** Shown when there is nothing to draw. */
  emptyText?: string;
}

interface Theme {
  text: string;
  muted: string;
  line: string;
  panel: string;
  palette: string[];
}

/** Colours from the CSS variables of the current theme (light or dark). */
function readTheme(): Theme {
  const style = getComputedStyle(document.documentElement);
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const accent = read('--accent', '#2563eb');
  return {
    text: read('--text', '#0f172a'),
    muted: read('--muted', '#64748b'),
    line: read('--line', '#e2e8f0'),
    panel: read('--panel', '#ffffff'),
    // Theme colours first, then mid-tones that read on both light and dark panels.
    palette: [
      accent,
      read('--ok', '#16a34a'),
      read('--warn', '#d97706'),
      read('--danger', '#dc2626'),
      '#8b5cf6',
      '#14b8a6',
      '#ec4899',
      '#84cc16',
      '#06b6d4',
      '#f97316',
    ],
  };
}

type BarLine = 'bar' | 'line';
type AnyChart = Chart<BarLine, number[], string> | Chart<'doughnut', number[], string>;

/**
 * A chart in a `<figure>`: the canvas carries an accessible name and a visually hidden table
 * repeats the numbers for screen readers. The chart is created once and updated in place when
 * the data change (only when they really do), recoloured when the theme switches, destroyed on
 * cleanup.
 */
export function ChartFigure(props: ChartFigureProps) {
  const captionId = createUniqueId();
  let canvas: HTMLCanvasElement | undefined;
  let chart: AnyChart | undefined;
  let chartKind: ChartFigureProps['kind'] | undefined;
  let signature = '';

  const drawn = () => props.series.filter((series) => !series.tableOnly);
  const isEmpty = () => drawn().every((series) => series.values.every((value) => value === 0));
  const summary = () => {
    const first = drawn()[0];
    if (!first || isEmpty()) return `${props.caption}: ${props.emptyText ?? 'no data'}`;
    if (props.labels.length > 12) {
      return `${props.caption}: ${props.labels.length} ${props.labelHeading.toLowerCase()} values, listed in the table that follows`;
    }
    const parts = props.labels.map(
      (label, index) => `${label} ${first.format(first.values[index] ?? 0)}`,
    );
    return `${props.caption}: ${parts.join(', ')}`;
  };

  const plotted = (series: ChartSeries) =>
    series.values.map((value) => (series.plot ? series.plot(value) : value));
  const colorAt = (theme: Theme, index: number) =>
    props.colors?.[index] ?? theme.palette[index % theme.palette.length] ?? theme.muted;

  const tooltipLabel = (item: TooltipItem<BarLine> | TooltipItem<'doughnut'>) => {
    const series = drawn()[item.datasetIndex];
    if (!series) return '';
    const value = series.format(series.values[item.dataIndex] ?? 0);
    return props.kind === 'doughnut' ? ` ${item.label}: ${value}` : ` ${series.label}: ${value}`;
  };

  const barDatasets = (theme: Theme): ChartDataset<BarLine, number[]>[] =>
    drawn().map((series, index) => {
      if (series.line) {
        const color = theme.palette[(index + 1) % theme.palette.length] ?? theme.text;
        return {
          type: 'line',
          label: series.label,
          data: plotted(series),
          yAxisID: 'y1',
          borderColor: color,
          backgroundColor: color,
          pointRadius: 2,
          tension: 0.2,
          order: 0,
        };
      }
      const colors =
        props.colors && drawn().length === 1
          ? props.labels.map((_, at) => colorAt(theme, at))
          : (theme.palette[index % theme.palette.length] ?? theme.muted);
      return {
        type: 'bar',
        label: series.label,
        data: plotted(series),
        yAxisID: 'y',
        backgroundColor: colors,
        borderRadius: 3,
        order: 1,
      };
    });

  const doughnutDatasets = (theme: Theme): ChartDataset<'doughnut', number[]>[] =>
    drawn().map((series) => ({
      label: series.label,
      data: plotted(series),
      backgroundColor: props.labels.map((_, at) => colorAt(theme, at)),
      borderColor: theme.panel,
      borderWidth: 2,
    }));

  const reducedMotion = () => matchMedia('(prefers-reduced-motion: reduce)').matches;

  const create = (element: HTMLCanvasElement, theme: Theme): AnyChart => {
    const labels = [...props.labels];
    if (props.kind === 'doughnut') {
      const config: ChartConfiguration<'doughnut', number[], string> = {
        type: 'doughnut',
        data: { labels, datasets: doughnutDatasets(theme) },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: reducedMotion() ? false : {},
          color: theme.text,
          plugins: {
            legend: { position: 'right', labels: { color: theme.text } },
            tooltip: { callbacks: { label: tooltipLabel } },
          },
        },
      };
      return new Chart(element, config);
    }
    const hasLine = drawn().some((series) => series.line);
    const config: ChartConfiguration<BarLine, number[], string> = {
      type: 'bar',
      data: { labels, datasets: barDatasets(theme) },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reducedMotion() ? false : {},
        color: theme.text,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { ticks: { color: theme.muted }, grid: { color: theme.line } },
          y: {
            beginAtZero: true,
            ticks: { color: theme.muted },
            grid: { color: theme.line },
            title: {
              display: Boolean(props.axisTitle),
              text: props.axisTitle ?? '',
              color: theme.muted,
            },
          },
          y1: {
            display: hasLine,
            position: 'right',
            beginAtZero: true,
            ticks: { color: theme.muted, precision: 0 },
            grid: { drawOnChartArea: false },
            title: {
              display: Boolean(props.lineAxisTitle),
              text: props.lineAxisTitle ?? '',
              color: theme.muted,
            },
          },
        },
        plugins: {
          legend: { display: drawn().length > 1, labels: { color: theme.text } },
          tooltip: { callbacks: { label: tooltipLabel } },
        },
      },
    };
    return new Chart(element, config);
  };

  /** Rebuilds the chart (first draw, theme switch). */
  const redraw = () => {
    if (!canvas) return;
    chart?.destroy();
    chartKind = props.kind;
    chart = create(canvas, readTheme());
  };

  onMount(() => {
    // Dark mode is a `data-theme` attribute on <html>: recolour when it changes.
    const observer = new MutationObserver(() => redraw());
    observer.observe(document.documentElement, {
      attributes: true,
      attributeFilter: ['data-theme'],
    });
    onCleanup(() => observer.disconnect());
  });

  createEffect(() => {
    const labels = [...props.labels];
    const values = drawn().map(plotted);
    const colors = props.colors ? [...props.colors] : null;
    const next = JSON.stringify([props.kind, labels, values, colors]);
    if (next === signature) return;
    signature = next;
    if (!chart || chartKind !== props.kind) {
      redraw();
      return;
    }
    // Same chart, new numbers: update in place so it animates rather than flashes.
    const theme = readTheme();
    chart.data.labels = labels;
    if (chartKind === 'doughnut') {
      const doughnut = chart as Chart<'doughnut', number[], string>;
      doughnut.data.datasets = doughnutDatasets(theme);
    } else {
      const bars = chart as Chart<BarLine, number[], string>;
      bars.data.datasets = barDatasets(theme);
    }
    chart.update();
  });

  onCleanup(() => {
    chart?.destroy();
    chart = undefined;
  });

  return (
    <figure aria-labelledby={captionId}>
      <figcaption id={captionId}>{props.caption}</figcaption>
      <div style={{ position: 'relative', height: '260px' }}>
        <canvas ref={canvas} role="img" aria-label={summary()} />
      </div>
      <Show when={isEmpty()}>
        <p class="hint">{props.emptyText ?? 'No data for this period.'}</p>
      </Show>
      <table class="visually-hidden">
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">{props.labelHeading}</th>
            <For each={props.series}>{(series) => <th scope="col">{series.label}</th>}</For>
          </tr>
        </thead>
        <tbody>
          <For each={props.labels}>
            {(label, index) => (
              <tr>
                <th scope="row">{label}</th>
                <For each={props.series}>
                  {(series) => <td>{series.format(series.values[index()] ?? 0)}</td>}
                </For>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </figure>
  );
}
