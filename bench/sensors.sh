#!/usr/bin/env bash
# The sensor benchmark of docs/performance.md (issue 6): scenarios/bench/sensors-1000.yaml, 1,000
# containers x 4 sensors for 30 days through 100 gateways on 16 Raft validators, with real
# Ed25519 and with consortium.crypto.mode=modelled. Prints, per mode, the median over RUNS of the
# wall time of the whole run (start-up and HDF5 output included), the event loop's events per
# second, the peak RSS, and the readings and uploads of the last run.
# Usage: bench/sensors.sh [BUILD_DIR] [RUNS] [DURATION]   (DURATION: 30d unless given, e.g. 2d)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}; runs=${2:-1}; duration=${3:-30d}
median() { sort -g | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for mode in real modelled; do
  walls=(); rates=(); rss=()
  for i in $(seq "$runs"); do
    log=$( { /usr/bin/time -f "wall_s %e peak_rss_kb %M" "$build/app/tradesim" run \
      scenarios/bench/sensors-1000.yaml -o "$out/run-$mode-$i.h5" \
      --set "scenario.duration=$duration" --set "consortium.crypto.mode=$mode"; } 2>&1 )
    walls+=("$(awk '/wall_s/{print $2}' <<<"$log")")
    rss+=("$(awk '/peak_rss_kb/{print $4/1024}' <<<"$log")")
    rates+=("$(awk '/events in/{for(i=1;i<=NF;i++) if($i=="events" && $(i+1)=="in") {e=$(i-1); w=$(i+2)}} END{print e/w}' <<<"$log")")
    readings=$(awk '/sensors.readings_produced/{print $2}' <<<"$log")
    anchored=$(awk '/sensors.readings_anchored/{print $2}' <<<"$log")
  done
  printf 'sensors-1000 %s, crypto %s: median wall %.1f s, %.2f M events/s, peak RSS %.0f MB, readings %s (anchored %s) (%s runs)\n' \
    "$duration" "$mode" "$(printf '%s\n' "${walls[@]}" | median)" \
    "$(printf '%s\n' "${rates[@]}" | median | awk '{print $1/1e6}')" \
    "$(printf '%s\n' "${rss[@]}" | median)" "$readings" "$anchored" "$runs"
done
