#!/usr/bin/env bash
# The NIR graphs of tests/data/nir (exported by Norse, snnTorch and Sinabs for the NIR paper): for each,
# nodes, neurons, synapses as stored, bytes, run time and the footprint on every chip; the LIF neuron's
# trace against the exact solution. Prints the markdown tables of docs/nir.md.
# Usage: scripts/bench/nir.sh [OUT_DIR]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$(mktemp -d)}
mkdir -p "$OUT"
NMSIM="$ROOT/build/nmsim"
DATA="$ROOT/tests/data/nir"
PY=/usr/bin/python3
cd "$OUT"

# Inputs: the NIR paper's LIF step input; random spikes on the Braille RNN's 12 channels; a bar sweeping
# over the CNN's 2 x 34 x 34 sensor (no datasets here: the shapes and rates of the real inputs).
PYTHONPATH=$ROOT/tests/integration $PY - <<'EOF'
import numpy as np
from nir_reference import write_paper_lif_csv
write_paper_lif_csv("lif_in.csv")
rng = np.random.default_rng(7)
with open("braille_in.csv", "w") as f:
    f.write("time,node,index,value\n")
    for s in range(1000):
        for i in range(12):
            if rng.random() < 0.08:
                f.write(f"{s * 1e-4!r},input,{i},1\n")
with open("cnn_in.csv", "w") as f:
    f.write("time,node,index,value\n")
    for s in range(100):
        for c in range(2):
            for y in range(34):
                for x in range(34):
                    near = abs(x - (4 + 0.27 * s)) < 2 + c
                    if rng.random() < (0.5 if near else 0.01):
                        f.write(f"{s},input,{c * 34 * 34 + y * 34 + x},1\n")
EOF

run() { # name file duration_ms [options]
  local name=$1 file=$2 duration=$3
  shift 3
  "$NMSIM" run "$DATA/$file.nir" --set simulation.duration="$duration" "$@" -o "$name.h5" --json >"$name.json"
  "$NMSIM" footprint "$DATA/$file.nir" --chips all --format json "$@" >"$name.fp.json" 2>/dev/null
}
run lif lif_norse 100.1 --input lif_in.csv --record-state
run lif_sub lif_norse 100.1 --input lif_in.csv --record-state --reset subtract
run two two_lif_neurons 100
run braille braille_noDelay_bias_zero 100 --input braille_in.csv
run cnn cnn_sinabs 100000 --dt 1 --input cnn_in.csv

PYTHONPATH=$ROOT/tests/integration $PY - "$DATA" <<'EOF'
import json, math, sys, h5py, numpy as np
from nir_reference import paper_lif_steps
data = sys.argv[1]
files = [("lif", "lif_norse", "1,000 steps of 0.1 ms"), ("two", "two_lif_neurons", "1,000 steps of 0.1 ms"),
         ("braille", "braille_noDelay_bias_zero", "1,000 steps of 0.1 ms"),
         ("cnn", "cnn_sinabs", "100 steps, --dt 1")]
print("| graph | nodes | neurons | synapses | stored as | bytes (B/synapse) | run | build + sim |")
print("|---|---|---|---|---|---|---|---|")
for name, f, run in files:
    g = h5py.File(f"{data}/{f}.nir", "r")
    nodes = len(g["node/nodes"])
    r = json.load(open(f"{name}.json"))
    kinds = {}
    for p in r["tables"].values():
        k = "kernel" if p["rule"] == "conv" else p["rule"]
        kinds[k] = kinds.get(k, 0) + 1
    stored = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    print(f"| {f} | {nodes} | {r['neurons']:,} | {r['synapses']:,} | {stored} | {r['table_bytes']:,} "
          f"({r['table_bytes'] / max(1, r['synapses']):.2f}) | {run}, {r['spikes']:,} spikes | "
          f"{r['build_s'] * 1e3:.1f} + {r['sim_s'] * 1e3:.1f} ms |")
print()
chips = [c["chip"] for c in json.load(open("cnn.fp.json"))["chips"]]
print("| graph | " + " | ".join(chips) + " |")
print("|---|" + "---|" * len(chips))
for name, f, _ in files:
    fp = {c["chip"]: c for c in json.load(open(f"{name}.fp.json"))["chips"]}
    cells = []
    for c in chips:
        x = fp[c]
        v = len(x["violations"])
        cells.append(f"{x['cores']} cores" + (f", **{v} violation{'s' if v > 1 else ''}**" if v else ", fits"))
    print(f"| {f} | " + " | ".join(cells) + " |")
print()
# The LIF neuron against the exact solution, sampled at step ends (input of step k reaches it in k + 1).
lif = h5py.File(f"{data}/lif_norse.nir", "r")["node/nodes/1"]
tau, thr = float(lif["tau"][0]), float(lif["v_threshold"][0])
u = paper_lif_steps()
dt = 1e-4
for mode, name in [("v_reset (NIR)", "lif"), ("subtract (the paper's exact solution)", "lif_sub")]:
    v, ref, spk = 0.0, [], []
    for k in range(len(u) + 1):
        i = u[k - 1] if k > 0 else 0
        v = i + (v - i) * math.exp(-dt / tau)
        if v > thr:
            spk.append(k)
            v = v - thr if name == "lif_sub" else 0.0
        ref.append(v)
    f = h5py.File(f"{name}.h5", "r")
    got = f["/report/n1/v/data"][1:, 0]
    n = min(len(got), len(ref))
    err = max(abs(a - b) / max(abs(b), 1e-6) for a, b in zip(got[:n], ref[:n]))
    steps = [round(t / 0.1) - 1 for t in f["/spikes/n1/timestamps"][:]]
    print(f"LIF, reset {mode}: {n} steps, max relative error of v (float32 report) {err:.1e}; spikes at steps "
          f"{steps}, exact {spk}")
EOF
echo "results in $OUT"
