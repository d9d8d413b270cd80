#!/usr/bin/env bash
# The trade-world benchmark of docs/performance.md: 52 ports, 100 vessels, 200 exporters, 500
# importers, 2,000 consumers, 90 simulated days (scenarios/bench/trade-world.yaml). Prints the
# median over RUNS of the wall time of the whole run (start-up and HDF5 output included), the
# event loop's events per second, and the peak RSS. Usage: bench/trade.sh [BUILD_DIR] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}; runs=${2:-5}
median() { sort -g | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
walls=(); rates=(); rss=()
for i in $(seq "$runs"); do
  log=$( { /usr/bin/time -f "wall_s %e peak_rss_kb %M" "$build/app/tradesim" run \
    scenarios/bench/trade-world.yaml -o "$out/run-$i.h5"; } 2>&1 )
  walls+=("$(awk '/wall_s/{print $2}' <<<"$log")")
  rss+=("$(awk '/peak_rss_kb/{print $4/1024}' <<<"$log")")
  rates+=("$(awk '/events in/{for(i=1;i<=NF;i++) if($i=="events" && $(i+1)=="in") {e=$(i-1); w=$(i+2)}} END{print e/w}' <<<"$log")")
done
printf 'trade-world 90 d: median wall %.2f s, %.2f M events/s (event loop), peak RSS %.0f MB (%s runs)\n' \
  "$(printf '%s\n' "${walls[@]}" | median)" "$(printf '%s\n' "${rates[@]}" | median | awk '{print $1/1e6}')" \
  "$(printf '%s\n' "${rss[@]}" | median)" "$runs"
