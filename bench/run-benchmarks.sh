#!/usr/bin/env bash
# Reproduces the figures of docs/performance.md: PHOLD small and large (median of N runs, events
# per second and peak RSS), the ratio against the bare reference loop, idle-node memory and the
# event-queue micro-benchmarks. Usage: bench/run-benchmarks.sh [BUILD_DIR] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}; runs=${2:-5}
phold=$build/bench/phold
median() { sort -g | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
for size in small large; do
  if [ "$size" = small ]; then args="--lps 1024 --start-events 16 --remote 0.1 --mean 1.0 --lookahead 0.1 --end 1000"
  else args="--lps 16384 --start-events 16 --remote 0.5 --mean 1.0 --lookahead 0.1 --end 20"; fi
  rates=(); rss=()
  for _ in $(seq "$runs"); do
    out=$($phold $args)
    rates+=("$(awk '/events_per_second/{print $2}' <<<"$out")")
    rss+=("$(awk '/peak_rss_mb/{print $2}' <<<"$out")")
    events=$(awk '/events_processed/{print $2}' <<<"$out")
  done
  printf 'PHOLD %s: %s events, median %.2f M events/s, peak RSS %s MB (%s runs)\n' "$size" "$events" \
    "$(printf '%s\n' "${rates[@]}" | median | awk '{print $1/1e6}')" "$(printf '%s\n' "${rss[@]}" | median)" "$runs"
done
bash ../shared/bench/compare-phold.sh "$phold" small "$runs" 2>/dev/null || echo "(../shared/bench/compare-phold.sh not found: no reference ratio)"
bash ../shared/bench/compare-phold.sh "$phold" large "$runs" 2>/dev/null || true
"$build/bench/idle_nodes" --nodes 100000
"$build/bench/event_queue_bench" --benchmark_min_time=0.3 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true 2>/dev/null | grep -E "median"
