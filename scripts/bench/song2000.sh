#!/usr/bin/env bash
# Song, Miller & Abbott (2000) in nmsim and Brian2 (issue 13): final weight histograms and output rate
# over time for several seeds, at dt 0.1 ms and at dt 0.025 ms (where the two simulators' one-step
# conventions matter four times less). Each run is tests/validation/song2000_vs_brian2.py.
# Usage: scripts/bench/song2000.sh [seeds="1 2 3"] [dts="0.1 0.025"]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SEEDS=${1:-"1 2 3"}
DTS=${2:-"0.1 0.025"}
for dt in $DTS; do
  for seed in $SEEDS; do
    /usr/bin/python3 "$ROOT/tests/validation/song2000_vs_brian2.py" --seed "$seed" --dt "$dt" --no-check 2>/dev/null
    echo
  done
done
