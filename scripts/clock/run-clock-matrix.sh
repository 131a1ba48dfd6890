#!/usr/bin/env bash
# Runs every package's date-sensitive tests (its `test:dates` script) with the whole run's clock
# set to awkward moments and the machine in other time zones: a test that passes only on some
# days, hours or zones fails here on every day. Each scenario fakes "now" for every Node process
# of the run (FAKE_NOW through shift-clock.mjs in NODE_OPTIONS: test runners, workers, the e2e
# server and fakes) and the browser follows it (e2e/src/fixtures.ts). Run after a build.
set -euo pipefail
cd "$(dirname "$0")/../.."
preload="$PWD/scripts/clock/shift-clock.mjs"

# now | machine zone (TZ, and the browser's) | why
scenarios=(
  "2027-01-31T23:30:00Z|UTC|a Sunday 23:30 UTC, the last day of a month (tomorrow is next week and next month)"
  "2026-11-30T00:15:00Z|America/Los_Angeles|a Monday 00:15 UTC, the last day of a month, still Sunday where the machine is"
  "2027-03-28T09:00:00Z|Europe/Berlin|the day Europe/Berlin springs forward (a 23-hour Sunday)"
  "2026-10-25T10:00:00Z|Pacific/Auckland|the day Europe/Berlin falls back (a 25-hour Sunday), on a machine far ahead of UTC"
)

only="${CLOCK_SCENARIO:-}"
for scenario in "${scenarios[@]}"; do
  IFS='|' read -r now zone why <<<"$scenario"
  if [ -n "$only" ] && [ "$only" != "$now" ]; then continue; fi
  # The preload must really move the clock, or this run proves nothing.
  seen="$(FAKE_NOW="$now" TZ="$zone" node --import "$preload" -e 'process.stdout.write(new Date().toISOString().slice(0, 16))')"
  if [ "$seen" != "${now:0:16}" ]; then
    echo "clock matrix: the faked clock reads $seen, not $now" >&2
    exit 1
  fi
  echo "clock matrix: now $now, machine zone $zone: $why"
  FAKE_NOW="$now" TZ="$zone" E2E_TIMEZONE="$zone" NODE_OPTIONS="--import $preload ${NODE_OPTIONS:-}" \
    pnpm -r --workspace-concurrency=1 run test:dates
done
echo "clock matrix: every scenario passed"
