#!/usr/bin/env bash
# The largest Brunel- and PD14-like networks that fit in LIMIT (default 20G) per storage rung: the size
# is found from nmsim's own memory estimate (binary search with `nmsim validate --json`), then run for
# a few ms with the memory guard at LIMIT; reports synapses, bytes/synapse, build and simulation time,
# peak RSS and the estimate's error, and checks that the guard refuses 1.5x that size before allocating.
# Brunel-like: brunel_delta with in-degrees fixed at 1000/250 and the neurons scaled (its rate stays
# ~37 Hz); PD14-like: the microcircuit with vars.scale (in-degrees kept). Brunel's fixed_indegree
# cannot be procedural, so its procedural row uses fixed_total_number with the same totals.
# Usage: scripts/bench/scale.sh [out_dir=out/scale] [LIMIT=20G] [threads=2] [sim_ms=5]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$ROOT/out/scale}
LIMIT=${2:-20G}
THREADS=${3:-2}
SIM_MS=${4:-5}
NMSIM="$ROOT/build/nmsim"
mkdir -p "$OUT"
limit_bytes=$(/usr/bin/python3 -c "import sys; s=sys.argv[1]; print(int(float(s[:-1]) * {'K':2**10,'M':2**20,'G':2**30}[s[-1]]))" "$LIMIT")

brunel_sets() { # order rung
  local sets=(--set vars.order="$1" --set vars.CE=1000 --set vars.CI=250 --set "recorders={}"
              --set simulation.duration="$SIM_MS" --set simulation.storage="$2")
  if [ "$2" = procedural ]; then
    sets+=(--set "projections.excitatory.connector={rule: fixed_total_number, n: CE * 5 * order}"
           --set "projections.inhibitory.connector={rule: fixed_total_number, n: CI * 5 * order}")
  fi
  printf '%s\n' "${sets[@]}"
}
pd14_sets() { # scale rung
  printf '%s\n' --set vars.scale="$1" --set "recorders={}" --set simulation.duration="$SIM_MS" --set simulation.storage="$2"
}
estimate() { # family size rung -> estimated bytes (0 when the config is refused)
  local cfg=brunel_delta; [ "$1" = pd14 ] && cfg=microcircuit
  mapfile -t sets < <("${1}_sets" "$2" "$3")
  "$NMSIM" validate "$ROOT/configs/$cfg.yaml" --threads "$THREADS" "${sets[@]}" --json 2>/dev/null |
    /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['estimated_bytes'])" || echo 0
}
largest() { # family rung lo hi: the largest size (integer order or scale in 0.01 steps) under the limit
  local fam=$1 rung=$2 lo=$3 hi=$4 mid
  local budget=$((limit_bytes * 9 / 10)) # leave room for the process baseline
  while [ "$(/usr/bin/python3 -c "print(int($hi - $lo > (1 if '$fam' == 'brunel' else 0.01)))")" = 1 ]; do
    mid=$(/usr/bin/python3 -c "m=($lo + $hi) / 2; print(int(m) if '$fam' == 'brunel' else round(m, 2))")
    if [ "$(estimate "$fam" "$mid" "$rung")" -le "$budget" ]; then lo=$mid; else hi=$mid; fi
  done
  echo "$lo"
}
echo "| network | rung | size | synapses | B/synapse | build s | sim s ($SIM_MS ms) | peak RSS | estimate / peak | guard at 1.5x |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for fam in pd14 brunel; do
  for rung in packed procedural_weights procedural; do
    if [ "$fam" = pd14 ]; then size=$(largest pd14 "$rung" 1 400); cfg=microcircuit;
    else size=$(largest brunel "$rung" 2500 40000000); cfg=brunel_delta; fi
    mapfile -t sets < <("${fam}_sets" "$size" "$rung")
    "$NMSIM" run "$ROOT/configs/$cfg.yaml" --threads "$THREADS" "${sets[@]}" --max-memory "$LIMIT" \
      -o "$OUT/${fam}_$rung.h5" --json >"$OUT/${fam}_$rung.json"
    big=$(/usr/bin/python3 -c "print(int($size * 1.5) if '$fam' == 'brunel' else round($size * 1.5, 2))")
    mapfile -t bigsets < <("${fam}_sets" "$big" "$rung")
    set +e
    /usr/bin/time -f "%M" -o "$OUT/guard.rss" "$NMSIM" run "$ROOT/configs/$cfg.yaml" --threads "$THREADS" \
      "${bigsets[@]}" --max-memory "$LIMIT" -o "$OUT/guard.h5" -q 2>"$OUT/guard.err"
    code=$?
    set -e
    /usr/bin/python3 - "$OUT/${fam}_$rung.json" "$fam" "$rung" "$size" "$code" "$(cat "$OUT/guard.rss" | tail -1)" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
fam, rung, size, code, guard_kb = sys.argv[2:7]
guard = f"exit {code}, {int(guard_kb) / 1024:.0f} MB RSS" if code == "1" else f"NOT refused (exit {code})"
print(f"| {fam} | {rung} | {size} | {j['synapses']:.3g} | {j['bytes_per_synapse']:.3f} | {j['build_s']:.1f} | "
      f"{j['sim_s']:.1f} | {j['peak_rss'] / 2**30:.2f} GB | {j['estimated_bytes'] / j['peak_rss']:.2f} | {guard} |")
PY
  done
done
