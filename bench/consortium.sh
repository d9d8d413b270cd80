#!/usr/bin/env bash
# The consortium benchmark of docs/performance.md: 64 validators in five regions, 1,000 tx/s
# offered, one simulated hour (scenarios/bench/consortium-pbft-64.yaml), for each protocol.
# Prints, per protocol, the median over RUNS of simulated seconds per wall second and events per
# second, and the peak RSS. Usage: bench/consortium.sh [BUILD_DIR] [RUNS] [DURATION]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}; runs=${2:-3}; duration=${3:-1h}
median() { sort -g | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
protocols=${PROTOCOLS:-pbft hotstuff raft poa}
for protocol in $protocols; do
  speeds=(); rates=(); rss=()
  for i in $(seq "$runs"); do
    log=$( { /usr/bin/time -f "peak_rss_kb %M" "$build/app/tradesim" run \
      scenarios/bench/consortium-pbft-64.yaml --set consortium.protocol="$protocol" \
      --set scenario.duration="$duration" -o "$out/$protocol-$i.h5"; } 2>&1 )
    # "...: 1h of simulated time, N events in W s (R events/s)"
    wall=$(awk '/events in/{for(i=1;i<=NF;i++) if($i=="in") print $(i+1)}' <<<"$log")
    events=$(awk '/events in/{for(i=1;i<=NF;i++) if($i=="events" && $(i+1)=="in") print $(i-1)}' <<<"$log")
    secs=$(/usr/bin/python3 -c "import h5py,sys; print(h5py.File(sys.argv[1])['/'].attrs['sim_end_ns']/1e9)" "$out/$protocol-$i.h5")
    speeds+=("$(awk -v s="$secs" -v w="$wall" 'BEGIN{print s/w}')")
    rates+=("$(awk -v e="$events" -v w="$wall" 'BEGIN{print e/w}')")
    rss+=("$(awk '/peak_rss_kb/{print $2/1024}' <<<"$log")")
    tput=$(/usr/bin/python3 -c "import h5py,sys; f=h5py.File(sys.argv[1]); print('%.0f tx/s, latency median %.2f s, p99 %.2f s' % tuple(f['summary/consortium.'+k][()] for k in ('throughput','latency_median','latency_p99')))" "$out/$protocol-$i.h5")
  done
  printf '%-8s %s simulated: median %.1f sim-s/wall-s, %.2f M events/s, peak RSS %.0f MB (%s runs); %s\n' \
    "$protocol" "$duration" "$(printf '%s\n' "${speeds[@]}" | median)" \
    "$(printf '%s\n' "${rates[@]}" | median | awk '{print $1/1e6}')" \
    "$(printf '%s\n' "${rss[@]}" | median)" "$runs" "$tput"
done
