#!/usr/bin/env bash
# The contract benchmark of docs/performance.md (issue 7): scenarios/bench/escrow-trades.yaml,
# 10,000 escrow trades a day for DURATION (30d) on 16 PBFT validators. Prints the median over
# RUNS of the wall time (start-up and HDF5 output included), the event loop's events per second
# and the peak RSS, and from the last run: trades settled, gas per trade, the contracts' CPU per
# validator against the run's simulated time, and the ledger transactions.
# Usage: bench/escrow.sh [BUILD_DIR] [RUNS] [DURATION] [CRYPTO]   (CRYPTO: real | modelled)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}; runs=${2:-1}; duration=${3:-30d}; crypto=${4:-real}
median() { sort -g | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
walls=(); rates=(); rss=()
for i in $(seq "$runs"); do
  log=$( { /usr/bin/time -f "wall_s %e peak_rss_kb %M" "$build/app/tradesim" run \
    scenarios/bench/escrow-trades.yaml -o "$out/run-$i.h5" \
    --set "scenario.duration=$duration" --set "consortium.crypto.mode=$crypto"; } 2>&1 )
  walls+=("$(awk '/wall_s/{print $2}' <<<"$log")")
  rss+=("$(awk '/peak_rss_kb/{print $4/1024}' <<<"$log")")
  rates+=("$(awk '/events in/{for(i=1;i<=NF;i++) if($i=="events" && $(i+1)=="in") {e=$(i-1); w=$(i+2)}} END{print e/w}' <<<"$log")")
done
printf 'escrow-trades %s, crypto %s: median wall %.1f s, %.2f M events/s, peak RSS %.0f MB (%s runs)\n' \
  "$duration" "$crypto" "$(printf '%s\n' "${walls[@]}" | median)" \
  "$(printf '%s\n' "${rates[@]}" | median | awk '{print $1/1e6}')" \
  "$(printf '%s\n' "${rss[@]}" | median)" "$runs"
/usr/bin/python3 - "$out/run-$runs.h5" <<'PY'
import sys
import h5py
import numpy as np
f = h5py.File(sys.argv[1], "r")
s = lambda k: float(f["summary"][k][()])
o = f["events"]["market_orders"]
outcome = np.array([x.decode() for x in o["outcome"][:]])
released = int((outcome == "released").sum())
gas = s("contracts.gas_used")
sim_s = f.attrs["sim_end_ns"] / 1e9
cpu = s("contracts.cpu_per_validator")
events = f.attrs["events"]
print(f"orders {int(s('market.orders'))}, released {released}, ledger transactions "
      f"{int(s('market.ledger_calls'))} (failed {int(s('market.ledger_calls_failed'))}), "
      f"contract calls executed {int(s('contracts.calls_executed'))}")
print(f"gas per completed trade (median) {s('market.gas_per_trade_median'):.0f}, all gas per order "
      f"placed {gas / max(1, int(s('market.orders'))):.0f}; contract CPU per validator "
      f"{cpu:.1f} s of {s('contracts.validator_cpu_mean'):.1f} s busy "
      f"(share {100 * s('contracts.cpu_share'):.1f}%), {100 * cpu / sim_s:.3f}% of simulated time; "
      f"events {events:,}")
PY
