import {
  computeDashboard,
  computeTimeDistribution,
  type Dashboard,
  type DashboardPeriod,
  dashboardWindow,
  getTimezone,
  listProjects,
  monthsForRange,
  type Priority,
  type TimeDistribution,
} from '@tasks/crdt';
import { DateTime } from 'luxon';
import { createEffect, createMemo, createSignal, For, onCleanup } from 'solid-js';
import { ChartFigure, type ChartSeries } from '../components/chart-figure.js';
import { formatClock, formatHours } from '../components/time-format.js';
import { useWorkspace } from '../workspace-context.js';

const PERIODS: readonly { value: DashboardPeriod; label: string }[] = [
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
  { value: '90d', label: '90 days' },
];

const PRIORITY_NAMES: Record<Priority, string> = {
  LOW: 'Low',
  MEDIUM: 'Medium',
  HIGH: 'High',
  URGENT: 'Urgent',
};

const toHours = (seconds: number) => Math.round((seconds / 3600) * 100) / 100;
const percent = (value: number) => `${value}%`;
const count = (value: number) => String(value);
const capitalized = (word: string) => word.charAt(0) + word.slice(1).toLowerCase();

/** A series of tracked seconds: drawn in hours, read as h:mm. */
function timeSeries(values: readonly number[]): ChartSeries {
  return { label: 'Time tracked', values, format: formatHours, plot: toHours };
}

function shareSeries(values: readonly number[]): ChartSeries {
  return { label: 'Share', values, format: percent, tableOnly: true };
}

interface Stats {
  dashboard: Dashboard;
  distribution: TimeDistribution;
  /** Month documents the period reads. */
  months: string[];
}

/**
 * Productivity analytics, computed on this device from the local replica (works offline): stat
 * tiles and charts for the last 7, 30 or 90 days.
 */
export function AnalyticsView() {
  const { docs, replica, now } = useWorkspace();
  const [period, setPeriod] = createSignal<DashboardPeriod>('7d');

  // A coarser clock than `now` (which ticks every second): numbers refresh once a minute, and
  // at once on any document change.
  const minute = createMemo(() => Math.floor(now().getTime() / 60_000));

  const stats = createMemo((): Stats => {
    minute();
    replica.version();
    const at = new Date();
    const zone = getTimezone(docs);
    const window = dashboardWindow(period(), zone, at);
    const startDate =
      window.days[0]?.date ?? DateTime.fromJSDate(at).setZone(zone).toISODate() ?? '';
    const endDate = window.days.at(-1)?.date ?? startDate;
    return {
      dashboard: computeDashboard(docs, { period: period(), now: at }),
      distribution: computeTimeDistribution(docs, { startDate, endDate, now: at }),
      months: monthsForRange(new Date(window.start * 1000), at),
    };
  });

  // Load the month documents of the period; their arrival bumps `replica.version()`.
  const months = createMemo(() => stats().months.join(','));
  const [loadedMonths, setLoadedMonths] = createSignal<string | null>(null);
  createEffect(() => {
    const keys = months();
    let live = true;
    void replica.ensureMonths(keys.split(',')).then(() => {
      if (live) setLoadedMonths(keys);
    });
    onCleanup(() => {
      live = false;
    });
  });
  const loading = () => loadedMonths() !== months();

  const dashboard = () => stats().dashboard;
  const distribution = () => stats().distribution;

  const projectColors = createMemo(() => {
    replica.version();
    return new Map(listProjects(docs).map((project) => [project.id, project.color]));
  });

  const daily = () => dashboard().daily_breakdown;
  const dailyLabels = () =>
    daily().map((day) =>
      DateTime.fromISO(day.date).toFormat(period() === '7d' ? 'ccc d' : 'LLL d'),
    );

  return (
    <section class="analytics-view" aria-labelledby="analytics-heading" aria-busy={loading()}>
      <header class="view-header">
        <h1 id="analytics-heading">Analytics</h1>
        <fieldset class="row" style={{ border: 0, padding: 0, margin: 0, flex: '0 0 auto' }}>
          <legend class="visually-hidden">Period</legend>
          <For each={PERIODS}>
            {(option) => (
              <button
                type="button"
                aria-pressed={period() === option.value}
                classList={{ primary: period() === option.value }}
                style={{ flex: '0 0 auto', 'white-space': 'nowrap' }}
                onClick={() => setPeriod(option.value)}
              >
                {option.label}
              </button>
            )}
          </For>
        </fieldset>
      </header>

      <div class="stats">
        <div class="stat">
          <span>Tasks completed</span>
          <strong>{dashboard().tasks_completed}</strong>
        </div>
        <div class="stat">
          <span>Tasks created</span>
          <strong>{dashboard().tasks_created}</strong>
        </div>
        <div class="stat">
          <span>Completion rate</span>
          <strong>{percent(dashboard().completion_rate)}</strong>
        </div>
        <div class="stat">
          <span>Total time tracked</span>
          <strong>{formatClock(dashboard().total_time_tracked)}</strong>
        </div>
        <div class="stat">
          <span>Average task duration</span>
          <strong>{formatClock(dashboard().avg_task_duration)}</strong>
        </div>
        <div class="stat">
          <span>Productivity score</span>
          <strong>
            {dashboard().productivity_score}
            <span class="visually-hidden"> out of 100</span>
          </strong>
        </div>
      </div>

      <div class="charts">
        <ChartFigure
          caption="Daily breakdown"
          kind="bar"
          labelHeading="Day"
          labels={dailyLabels()}
          series={[
            timeSeries(daily().map((day) => day.time_tracked)),
            {
              label: 'Tasks completed',
              values: daily().map((day) => day.tasks_completed),
              format: count,
              line: true,
            },
            {
              label: 'Tasks created',
              values: daily().map((day) => day.tasks_created),
              format: count,
              tableOnly: true,
            },
          ]}
          axisTitle="Hours"
          lineAxisTitle="Tasks"
          emptyText="No time tracked and no tasks completed in this period."
        />
        <ChartFigure
          caption="Time by project"
          kind="doughnut"
          labelHeading="Project"
          labels={distribution().by_project.map((item) => item.project_name)}
          colors={distribution().by_project.map((item) =>
            item.project_id === null ? null : (projectColors().get(item.project_id) ?? null),
          )}
          series={[
            timeSeries(distribution().by_project.map((item) => item.time)),
            shareSeries(distribution().by_project.map((item) => item.percentage)),
          ]}
          emptyText="No time tracked in this period."
        />
        <ChartFigure
          caption="Time by tag"
          kind="bar"
          labelHeading="Tag"
          labels={distribution().by_tag.map((item) => item.tag)}
          series={[
            timeSeries(distribution().by_tag.map((item) => item.time)),
            shareSeries(distribution().by_tag.map((item) => item.percentage)),
          ]}
          axisTitle="Hours"
          emptyText="No time tracked on tagged tasks in this period."
        />
        <ChartFigure
          caption="Time by day of week"
          kind="bar"
          labelHeading="Day of week"
          labels={distribution().by_day_of_week.map((item) => capitalized(item.day))}
          series={[
            timeSeries(distribution().by_day_of_week.map((item) => item.time)),
            shareSeries(distribution().by_day_of_week.map((item) => item.percentage)),
          ]}
          axisTitle="Hours"
          emptyText="No time tracked in this period."
        />
        <ChartFigure
          caption="Time by priority"
          kind="bar"
          labelHeading="Priority"
          labels={distribution().by_priority.map((item) =>
            item.priority === null ? 'No task' : PRIORITY_NAMES[item.priority],
          )}
          series={[
            timeSeries(distribution().by_priority.map((item) => item.time)),
            shareSeries(distribution().by_priority.map((item) => item.percentage)),
          ]}
          axisTitle="Hours"
          emptyText="No time tracked in this period."
        />
      </div>
    </section>
  );
}
