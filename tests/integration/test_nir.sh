# NIR graphs exported by Norse, snnTorch and Sinabs (tests/data/nir): validate, run, convert,
# footprint from the CLI; spikes compared with an independent NumPy/SciPy simulation of the same
# graph (nir_reference.py); the NIR paper's LIF neuron against its exact solution; bad graphs and
# bad input files exit 2 naming the node or file:line.
source "$(dirname "$0")/lib.sh"
DATA=$SRC/tests/data/nir
cd "$WORK"

for f in lif_norse two_lif_neurons braille_noDelay_bias_zero cnn_sinabs; do
    expect_exit 0 "validate $f" "$NMSIM" validate "$DATA/$f.nir"
done

# --- the NIR paper's LIF neuron (Norse export) under its step input, against the exact solution
PYTHONPATH=$SRC/tests/integration $PY -c "from nir_reference import write_paper_lif_csv; write_paper_lif_csv('lif_in.csv')"
expect_exit 0 "run lif_norse.nir with the paper's input" \
    "$NMSIM" run "$DATA/lif_norse.nir" --input lif_in.csv --record-state --set simulation.duration=100.1 -o lif.h5
PYTHONPATH=$SRC/tests/integration $PY - <<'EOF' && pass "LIF trace equals the exact solution (to the report's float32) and spikes match" || fail "LIF against the exact solution"
import math, h5py, numpy as np
from nir_reference import paper_lif_steps
u = paper_lif_steps()
tau, dt = float(np.float32(0.0025)), 1e-4  # lif_norse.nir (float32): tau 2.5 ms, r 1, v_leak 0
thr = float(np.float32(0.1))
# Exact solution of tau dv/dt = -v + u(t), u held over each step, sampled at the step ends; the
# input of step k reaches the neuron in step k + 1 (one step per edge, docs/nir.md).
v, ref_v, ref_spikes = 0.0, [], []
for k in range(len(u) + 1):
    inp = u[k - 1] if k > 0 else 0
    v = inp + (v - inp) * math.exp(-dt / tau)
    if v > thr:
        ref_spikes.append(k)
        v = 0.0
    ref_v.append(v)
f = h5py.File("lif.h5", "r")
got_v = f["/report/n1/v/data"][1:, 0]  # row r: the state at time r dt, after step r - 1
stamps = f["/spikes/n1/timestamps"][:]
got_spikes = [round(t / 0.1) - 1 for t in stamps]
n = min(len(got_v), len(ref_v))
# Reports hold float32 (SONATA): the model's double state is checked to 1e-12 in the unit tests.
err = max(abs(a - b) / max(abs(b), 1e-6) for a, b in zip(got_v[:n], ref_v[:n]))
print("steps", n, "max relative |v - exact| (float32 report)", err, "spikes", got_spikes, ref_spikes)
assert n >= 1000 and err < 1.2e-7 and got_spikes == ref_spikes and len(ref_spikes) == 4
EOF

# --- Braille RNN (snnTorch, CubaLIF, recurrent) and the Sinabs CNN against the NumPy reference
$PY - <<'EOF'
import numpy as np
rng = np.random.default_rng(7)
with open("braille_in.csv", "w") as f:
    f.write("time,node,index,value\n")
    for s in range(300):
        for i in range(12):
            if rng.random() < 0.08:
                f.write(f"{s * 1e-4!r},input,{i},1\n")
with open("cnn_in.csv", "w") as f:  # a bar sweeping over both polarities of a 34 x 34 sensor
    f.write("time,node,index,value\n")
    for s in range(40):
        for c in range(2):
            for y in range(34):
                for x in range(34):
                    near = abs(x - (6 + 0.6 * s)) < 2 + c
                    if rng.random() < (0.5 if near else 0.01):
                        f.write(f"{s},input,{c * 34 * 34 + y * 34 + x},1\n")
EOF
expect_exit 0 "run braille_noDelay_bias_zero.nir" \
    "$NMSIM" run "$DATA/braille_noDelay_bias_zero.nir" --input braille_in.csv --record-state \
    --set simulation.duration=30 -o braille.h5
expect_exit 0 "run cnn_sinabs.nir (dt = 1: Sinabs' IF integrates per step)" \
    "$NMSIM" run "$DATA/cnn_sinabs.nir" --dt 1 --input cnn_in.csv --set simulation.duration=45000 \
    --threads 2 -o cnn.h5
PYTHONPATH=$SRC/tests/integration $PY - "$DATA" <<'EOF' && pass "Braille and CNN spikes equal the NumPy/SciPy reference" || fail "NIR graphs against the reference"
import sys, csv, h5py, numpy as np
from nir_reference import simulate, events_from_csv as events, nmsim_spikes
data = sys.argv[1]



ok = True
# Braille: 300 steps of 0.1 ms
ref, volts = simulate(f"{data}/braille_noDelay_bias_zero.nir", events("braille_in.csv", 1e-4), 1e-4, 300)
for node, pop in [("lif1.lif", "lif1_lif"), ("lif2", "lif2")]:
    got = nmsim_spikes("braille.h5", pop, ref[node].shape[1], 300, 0.1)
    v = h5py.File("braille.h5", "r")[f"/report/{pop}/v/data"][1:300]  # row r: after step r - 1
    dv = np.max(np.abs(v - volts[node][:299]) / np.maximum(1e-6, np.abs(volts[node][:299])))
    same = np.array_equal(got, ref[node])
    print(f"braille {node}: {ref[node].sum()} reference spikes, {got.sum()} nmsim, identical {same}, max v error {dv:.2e}")
    ok &= same and ref[node].sum() > 0 and dv < 1.2e-7  # reports hold float32
# CNN: 45 steps of 1 time unit
ref, _ = simulate(f"{data}/cnn_sinabs.nir", events("cnn_in.csv", 1.0), 1.0, 45)
for node in ["1", "3", "6", "10", "12"]:
    got = nmsim_spikes("cnn.h5", "n" + node, ref[node].shape[1], 45, 1000.0)
    same = np.array_equal(got, ref[node])
    print(f"cnn node {node}: {ref[node].sum()} reference spikes, {got.sum()} nmsim, identical {same}")
    ok &= same and ref[node].sum() > 0
sys.exit(0 if ok else 1)
EOF

# --- input from HDF5: a run's own SONATA spikes (/spikes/input) drive the graph to the same spikes
expect_exit 0 "run the Braille RNN from SONATA input spikes" "$NMSIM" run "$DATA/braille_noDelay_bias_zero.nir" \
    --input braille.h5 --set simulation.duration=30 -o braille_h5in.h5
$PY - <<'EOF' && pass "HDF5 input gives the CSV input's spikes" || fail "HDF5 input differs"
import h5py, numpy as np
a, b = h5py.File("braille.h5", "r"), h5py.File("braille_h5in.h5", "r")
for pop in ["input", "lif1_lif", "lif2"]:
    for d in ["timestamps", "node_ids"]:
        assert np.array_equal(a[f"/spikes/{pop}/{d}"][:], b[f"/spikes/{pop}/{d}"][:]), pop
EOF

# --- convert: the YAML (+ edges file) runs to the same spikes as the graph
expect_exit 0 "convert braille to YAML" "$NMSIM" convert "$DATA/braille_noDelay_bias_zero.nir" \
    --input braille_in.csv -o braille.yaml
expect_exit 0 "run the converted YAML" "$NMSIM" run braille.yaml --set simulation.duration=30 -o braille_yaml.h5
$PY - <<'EOF' && pass "converted config gives the graph's spikes" || fail "converted config differs"
import h5py, numpy as np
a, b = h5py.File("braille.h5", "r"), h5py.File("braille_yaml.h5", "r")
for pop in ["lif1_lif", "lif2"]:
    for d in ["timestamps", "node_ids"]:
        assert np.array_equal(a[f"/spikes/{pop}/{d}"][:], b[f"/spikes/{pop}/{d}"][:]), pop
EOF

# --- export: the graph written back (kernels as Conv2d and pooling nodes) simulates, in the
# independent reference, to the spikes nmsim computed from the original
expect_exit 0 "export the CNN to NIR" "$NMSIM" export "$DATA/cnn_sinabs.nir" -o cnn_rt.nir
expect_exit 0 "export the Braille RNN to NIR" "$NMSIM" export "$DATA/braille_noDelay_bias_zero.nir" -o braille_rt.nir
PYTHONPATH=$SRC/tests/integration $PY - <<'EOF' && pass "exported graphs give the original's spikes (NumPy reference)" || fail "exported graphs differ"
import csv, h5py, numpy as np
from nir_reference import simulate, read_graph, events_from_csv as events, nmsim_spikes



types = sorted(n["type"] for n in read_graph("cnn_rt.nir")["nodes"].values())
print("exported CNN nodes:", types)
assert types.count("Conv2d") == 3 and types.count("SumPool2d") == 2 and types.count("IF") == 5
ok = True
ref, _ = simulate("cnn_rt.nir", events("cnn_in.csv", 1.0), 1.0, 45)
for pop in ["n1", "n3", "n6", "n10", "n12"]:
    same = np.array_equal(ref[pop], nmsim_spikes("cnn.h5", pop, ref[pop].shape[1], 45, 1000.0))
    print("cnn", pop, ref[pop].sum(), "spikes, identical", same)
    ok &= same
ref, _ = simulate("braille_rt.nir", events("braille_in.csv", 1e-4), 1e-4, 300)
for pop in ["lif1_lif", "lif2"]:
    same = np.array_equal(ref[pop], nmsim_spikes("braille.h5", pop, ref[pop].shape[1], 300, 0.1))
    print("braille", pop, ref[pop].sum(), "spikes, identical", same)
    ok &= same
assert ok
EOF
expect_exit 2 "export refuses a model NIR has no node for" "$NMSIM" export "$SRC/configs/brunel_delta.yaml" -o no.nir
grep -q "populations.E" "$WORK/stderr" && grep -q "lif_delta" "$WORK/stderr" && [ ! -e no.nir ] &&
    pass "the refusal names the population and model, writes nothing" || fail "message: $(cat "$WORK/stderr")"

# --- footprint reads NIR graphs
expect_exit 0 "footprint of the CNN on every chip" "$NMSIM" footprint "$DATA/cnn_sinabs.nir" --chips all --format json
cp "$WORK/stdout" cnn_fp.json
$PY - <<'EOF' && pass "the CNN fits on Speck, layer by layer; every other chip says how or why not" || fail "CNN footprint"
import json
r = {c["chip"]: c for c in json.load(open("cnn_fp.json"))["chips"]}
assert len(r) == 10
speck = r["speck"]
assert speck["violations"] == [], speck["violations"]
layers = [p for p in speck["populations"] if "on core" in p.get("detail", "")]
assert len(layers) == 5, speck["populations"]
assert r["xylo"]["violations"], "xylo must refuse 8,960 hidden neurons"
for name, c in r.items():
    assert c["binding_constraint"], name
EOF

# --- errors: exit 2, naming the node or file:line
$PY - <<'EOF'
import h5py, numpy as np
with h5py.File("bad_node.nir", "w") as f:
    f["version"] = "0.2.0"
    g = f.create_group("node")
    g["type"] = "NIRGraph"
    n = g.create_group("nodes")
    for name, t in [("input", "Input"), ("conv3", "Conv3d"), ("output", "Output")]:
        n.create_group(name)["type"] = t
    n["input/shape"] = np.array([4])
    n["output/shape"] = np.array([4])
    g["edges"] = np.array([["input", "conv3"], ["conv3", "output"]], dtype=object).astype("S")
EOF
expect_exit 2 "an unsupported node type" "$NMSIM" run bad_node.nir
grep -q "conv3" "$WORK/stderr" && grep -q "Conv3d" "$WORK/stderr" && pass "the error names the node and its type" ||
    fail "message: $(cat "$WORK/stderr")"
printf 'time,node,index,value\n0.001,input,0,1\n0.002,input,99,1\n' >bad_in.csv
expect_exit 2 "an input index outside the Input node" "$NMSIM" run "$DATA/lif_norse.nir" --input bad_in.csv
grep -q "bad_in.csv:3:3" "$WORK/stderr" && pass "the error names file:line:column" || fail "message: $(cat "$WORK/stderr")"
printf 'time,node,index,value\n0.001,retina,0,1\n' >bad_node_in.csv
expect_exit 2 "an input for a node that is not an Input" "$NMSIM" run "$DATA/lif_norse.nir" --input bad_node_in.csv
expect_exit 2 "--set of an unknown key" "$NMSIM" run "$DATA/lif_norse.nir" --set simulation.durration=5
[ ! -e lif_norse.h5 ] && pass "nothing written on errors" || fail "an output file was left behind"

finish
