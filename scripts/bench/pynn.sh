#!/usr/bin/env bash
# PyNN side by side: the same PyNN scripts (Vogels-Abbott COBA; Brunel model A) on pyNN.nmsim and
# pyNN.brian2 in one run, end to end (Python side included), with rates and peak RSS.
# Usage: scripts/bench/pynn.sh [repeats] [brunel_order]   (JSON lines, then the best-of table)
set -euo pipefail
cd "$(dirname "$0")/../.."
REP=${1:-2}
ORDER=${2:-500}
PY=/usr/bin/python3
export NMSIM_BINARY=${NMSIM_BINARY:-$PWD/build/nmsim}
out=$(mktemp)
for i in $(seq "$REP"); do  # interleaved: both backends see the same machine load
  for t in 1 2; do
    $PY scripts/bench/pynn_va_coba.py nmsim 1000 "$t" | tee -a "$out"
    $PY scripts/bench/pynn_brunel.py nmsim "$ORDER" 1000 "$t" | tee -a "$out"
  done
  $PY scripts/bench/pynn_va_coba.py brian2 1000 2>/dev/null | grep '^{' | tee -a "$out"
  $PY scripts/bench/pynn_brunel.py brian2 "$ORDER" 1000 2>/dev/null | grep '^{' | tee -a "$out"
done
$PY - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
best = {}
for r in rows:
    k = (r["model"], r["backend"], r["threads"])
    if k not in best or r["total_s"] < best[k]["total_s"]:
        best[k] = r
print("| model | backend | threads | total s | script s | run+read s | rates E/I Hz | peak RSS MB | vs brian2 |")
print("|---|---|---|---|---|---|---|---|---|")
for k, r in sorted(best.items()):
    b = best[(k[0], "brian2", 1)]
    print("| %s | %s | %d | %.2f | %.2f | %.2f | %.1f / %.1f | %.0f | %.1fx |"
          % (k[0], k[1], k[2], r["total_s"], r["script_build_s"], r["run_and_read_s"], r["rate_exc_hz"],
             r["rate_inh_hz"], r["peak_rss_mb"], b["total_s"] / r["total_s"]))
PY
