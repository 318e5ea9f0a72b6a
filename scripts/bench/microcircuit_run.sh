#!/usr/bin/env bash
# Potjans-Diesmann microcircuit (configs/microcircuit.yaml):
# 1. full scale, three seeds: rates (500-1500 ms) and CV ISI per population against NEST's published
#    band, build and simulation time, peak RSS, bytes/synapse; the PD14 figure from the three runs;
# 2. nmsim and Brian2 (C++ standalone, scripts/bench/microcircuit_brian2.py) side by side on the same
#    model at BRIAN_SCALE (default 0.5: Brian2's per-synapse memory and array export limit it here).
# Usage: scripts/bench/microcircuit_run.sh [out_dir=out/microcircuit_run] [threads=2]
#        BRIAN_SCALE=0.5 SKIP_BRIAN=1 SEEDS="55 56 57"
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$ROOT/out/microcircuit_run}
THREADS=${2:-2}
BRIAN_SCALE=${BRIAN_SCALE:-0.5}
mkdir -p "$OUT"
runs=()
for seed in ${SEEDS:-55 56 57}; do
  "$ROOT/build/nmsim" run "$ROOT/configs/microcircuit.yaml" --seed "$seed" --threads "$THREADS" \
    -o "$OUT/seed$seed.h5" --json >"$OUT/seed$seed.json"
  runs+=("$OUT/seed$seed.h5")
done
/usr/bin/python3 - "$OUT"/seed*.json <<'PY'
import json, sys
print("nmsim, full scale (77,169 neurons, 298.9 M synapses), 1.5 s")
print(f"{'seed':>6}{'build s':>10}{'sim s':>9}{'sim s per bio s':>17}{'B/synapse':>11}{'peak RSS':>10}{'events/s/core':>15}")
for p in sys.argv[1:]:
    j = json.load(open(p))
    print(f"{j['seed']:>6}{j['build_s']:>10.2f}{j['sim_s']:>9.2f}{j['sim_s'] / (j['duration_ms'] / 1000):>17.2f}"
          f"{j['bytes_per_synapse']:>11.3f}{j['peak_rss'] / 2**30:>9.2f}G{j['events_per_s_per_core']:>15.3g}")
PY
/usr/bin/python3 "$ROOT/scripts/plot_microcircuit.py" "${runs[@]}" -o "$OUT/microcircuit.png" --json "$OUT/stats.json"

[ "${SKIP_BRIAN:-0}" = 1 ] && exit 0
# Side by side at one scale, same seed, same duration, same threads.
"$ROOT/build/nmsim" run "$ROOT/configs/microcircuit.yaml" --set vars.scale="$BRIAN_SCALE" --seed 55 \
  --threads "$THREADS" -o "$OUT/nmsim_scale.h5" --json >"$OUT/nmsim_scale.json"
/usr/bin/python3 "$ROOT/scripts/plot_microcircuit.py" "$OUT/nmsim_scale.h5" -o "$OUT/nmsim_scale.png" \
  --json "$OUT/nmsim_scale_stats.json" >/dev/null
/usr/bin/time -v /usr/bin/python3 "$ROOT/scripts/bench/microcircuit_brian2.py" "$BRIAN_SCALE" 1500 "$THREADS" 55 \
  >"$OUT/brian2.txt" 2>"$OUT/brian2.err"
/usr/bin/python3 - "$OUT/nmsim_scale.json" "$OUT/nmsim_scale_stats.json" "$OUT/brian2.txt" "$OUT/brian2.err" <<'PY'
import json, re, sys
n, ns = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
b = dict(re.findall(r"^(\w+)=([-\d.e+naninf]+)$", open(sys.argv[3]).read(), re.M))
rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(sys.argv[4]).read())
b_rss = int(rss.group(1)) * 1024 if rss else float("nan")
print(f"\nside by side at scale {b['scale'] if 'scale' in b else ''}: {n['neurons']} neurons, {n['synapses']} synapses, 1.5 s, "
      f"{n['threads']} threads, seed 55")
print(f"{'':26}{'nmsim':>10}{'brian2':>10}")
print(f"{'build / setup+compile (s)':26}{n['build_s']:>10.2f}{float(b['setup_s']) + float(b['compile_s']):>10.2f}")
print(f"{'simulate (s)':26}{n['sim_s']:>10.2f}{float(b['network_run_s']):>10.2f}")
print(f"{'peak RSS (GB)':26}{n['peak_rss'] / 2**30:>10.2f}{b_rss / 2**30:>10.2f}")
print(f"speed-up (brian2 network run / nmsim sim): {float(b['network_run_s']) / n['sim_s']:.1f}x")
print(f"{'pop':6}{'rate nmsim':>12}{'rate brian2':>12}{'CV nmsim':>10}{'CV brian2':>10}")
for p in ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]:
    r = ns["runs"][0]
    print(f"{p:6}{r['rates_hz'][p]:>12.3f}{float(b['rate_' + p]):>12.3f}{r['cv_isi'][p]:>10.3f}{float(b['cv_' + p]):>10.3f}")
PY
