#!/usr/bin/env bash
# Event mode where it matters (issue 10), in one run: nmsim event (simulation.engine auto) against
# nmsim clock mode and Brian2 (C++ standalone, clock-driven) on
#   (a) configs/sparse_1m.yaml  1 M lif_delta neurons, 1e8 synapses, sparse Poisson input, ~0.9 Hz
#   (b) configs/synfire.yaml    a synfire chain of 100 groups x 1000 neurons
#   (c) configs/brunel_delta.yaml, where auto must choose the clock and lose nothing
# then the scaling law: (a) at several sizes (both modes) and input rates (event mode), written as
# CSV for scripts/plot_scaling.py.
# Usage: scripts/bench/sparse.sh [scale=1] [duration_ms=1000] [threads=2] [OUT_DIR]
#        BRIAN2=0 skips the Brian2 runs (they take minutes at full scale).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCALE=${1:-1}
DURATION=${2:-1000}
THREADS=${3:-2}
OUT=${4:-$(mktemp -d)}
mkdir -p "$OUT"
NMSIM="$ROOT/build/nmsim"

run_nmsim() { # name config engine [--set ...]
  local name=$1 config=$2 engine=$3
  shift 3
  /usr/bin/time -f "%M" -o "$OUT/$name.rss" "$NMSIM" run "$config" --threads "$THREADS" \
    --set simulation.duration="$DURATION" --set simulation.engine="$engine" "$@" \
    -o "$OUT/$name.h5" --json >"$OUT/$name.json"
}

run_nmsim a_event "$ROOT/configs/sparse_1m.yaml" auto --set vars.scale="$SCALE"
run_nmsim a_clock "$ROOT/configs/sparse_1m.yaml" clock --set vars.scale="$SCALE"
run_nmsim b_event "$ROOT/configs/synfire.yaml" auto
run_nmsim b_clock "$ROOT/configs/synfire.yaml" clock
run_nmsim c_auto "$ROOT/configs/brunel_delta.yaml" auto
run_nmsim c_clock "$ROOT/configs/brunel_delta.yaml" clock
if [ "${BRIAN2:-1}" != 0 ]; then
  /usr/bin/python3 "$ROOT/scripts/bench/sparse_brian2.py" sparse "$SCALE" "$DURATION" "$THREADS" >"$OUT/a_brian2.txt" 2>"$OUT/a_brian2.err"
  /usr/bin/python3 "$ROOT/scripts/bench/sparse_brian2.py" synfire 100 1000 "$DURATION" "$THREADS" >"$OUT/b_brian2.txt" 2>"$OUT/b_brian2.err"
fi

# Scaling: wall time against neurons (both modes) and against events (event mode, fixed size).
echo "mode,scale,rate_ext,neurons,synaptic_events,neuron_updates,sim_s" >"$OUT/scaling.csv"
for s in 0.125 0.25 0.5 1; do
  s_run=$(/usr/bin/python3 -c "print($s * $SCALE)")
  for mode in event clock; do
    run_nmsim scale_${mode}_$s "$ROOT/configs/sparse_1m.yaml" "$mode" --set vars.scale="$s_run"
    /usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print(f\"$mode,$s_run,20,{j['neurons']},{j['synaptic_events']},{j['neuron_updates']},{j['sim_s']}\")" \
      "$OUT/scale_${mode}_$s.json" >>"$OUT/scaling.csv"
  done
done
for r in 5 10 20 40 80; do
  run_nmsim rate_event_$r "$ROOT/configs/sparse_1m.yaml" event --set vars.scale="$(/usr/bin/python3 -c "print(0.25 * $SCALE)")" \
    --set vars.rate_ext="$r"
  /usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print(f\"event-rate,{0.25 * $SCALE},$r,{j['neurons']},{j['synaptic_events']},{j['neuron_updates']},{j['sim_s']}\")" \
    "$OUT/rate_event_$r.json" >>"$OUT/scaling.csv"
done

/usr/bin/python3 - "$OUT" "$SCALE" "$DURATION" "$THREADS" <<'PY'
import json, os, re, sys
out, scale, duration, threads = sys.argv[1:]
def nm(name):
    j = json.load(open(f"{out}/{name}.json"))
    j["rss_mb"] = int(open(f"{out}/{name}.rss").read().split()[-1]) / 1024
    return j
def b2(name):
    path = f"{out}/{name}_brian2.txt"
    return dict(re.findall(r"(\w+)=([-\d.e+naN]+)", open(path).read())) if os.path.exists(path) else None
print(f"{duration} ms simulated, {threads} threads, sparse scale {scale}")
print(f"{'':34}{'sim s':>9}{'rate Hz':>9}{'updates':>12}{'events':>12}{'RSS MB':>8}")
for case, title in (("a", "(a) sparse 1M"), ("b", "(b) synfire 100x1000")):
    e, c, b = nm(f"{case}_event"), nm(f"{case}_clock"), b2(case)
    modes = sorted({x["engine"] for x in e["engines"].values()})
    for label, j in ((f"{title} nmsim auto ({'/'.join(modes)})", e), (f"{title} nmsim clock", c)):
        print(f"{label:34}{j['sim_s']:9.2f}{j['mean_rate_hz']:9.3f}{j['neuron_updates']:12.3g}"
              f"{j['synaptic_events']:12.3g}{j['rss_mb']:8.0f}")
    if b:
        print(f"{title + ' brian2':34}{float(b['network_run_s']):9.2f}{float(b['mean_rate_hz']):9.3f}"
              f"   (compile {float(b['compile_s']):.1f} s)")
        print(f"   event vs clock {c['sim_s'] / e['sim_s']:.1f}x, event vs brian2 {float(b['network_run_s']) / e['sim_s']:.1f}x")
    else:
        print(f"   event vs clock {c['sim_s'] / e['sim_s']:.1f}x")
a, c = nm("c_auto"), nm("c_clock")
modes = sorted({x["engine"] for x in a["engines"].values()})
print(f"(c) Brunel 2500: auto chose {'/'.join(modes)}: {a['sim_s']:.2f} s vs clock {c['sim_s']:.2f} s, "
      f"rates {a['mean_rate_hz']:.2f} / {c['mean_rate_hz']:.2f} Hz")
print(f"scaling law: {out}/scaling.csv (scripts/plot_scaling.py)")
PY
