#!/usr/bin/env bash
# PyNN side by side: the same PyNN script (Vogels-Abbott COBA) on pyNN.nmsim and pyNN.brian2, in one run.
# Usage: scripts/bench/pynn.sh [duration_ms] [repeats]   (prints one JSON line per run and the ratios)
set -euo pipefail
cd "$(dirname "$0")/../.."
DUR=${1:-1000}
REP=${2:-3}
PY=/usr/bin/python3
export NMSIM_BINARY=${NMSIM_BINARY:-$PWD/build/nmsim}
out=$(mktemp)
for i in $(seq "$REP"); do  # interleaved: both backends see the same machine load
  $PY scripts/bench/pynn_va_coba.py nmsim "$DUR" 1 | tee -a "$out"
  $PY scripts/bench/pynn_va_coba.py nmsim "$DUR" 2 | tee -a "$out"
  $PY scripts/bench/pynn_va_coba.py brian2 "$DUR" 2>/dev/null | grep '^{' | tee -a "$out"
done
$PY - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
best = {}
for r in rows:
    k = (r["backend"], r["threads"])
    if k not in best or r["total_s"] < best[k]["total_s"]:
        best[k] = r
b = best[("brian2", 1)]
for k, r in sorted(best.items()):
    print("%-7s threads %d: total %.2f s (script %.2f, run+read %.2f), rates E %.1f I %.1f Hz, %.1fx brian2"
          % (k[0], k[1], r["total_s"], r["script_build_s"], r["run_and_read_s"], r["rate_exc_hz"], r["rate_inh_hz"],
             b["total_s"] / r["total_s"]))
PY
