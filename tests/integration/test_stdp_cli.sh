# STDP from the CLI: learned weights sampled during the run into the SONATA file (read with h5py), the
# final weights seeding a later run (from_file on the output's /edges), config errors with exit 2.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
cat >net.yaml <<'EOF'
nmsim: 1
simulation: {duration: 200, dt: 0.1, seed: 3, threads: 2}
populations:
  E: {size: 200, model: lif_delta, params: {v_rest: 0, v_reset: 10, v_thresh: 20, tau_refrac: 2}}
projections:
  ee:
    source: E
    target: E
    connector: {rule: fixed_outdegree, outdegree: 20}
    synapse: {weight: 0.4, delay: 1.5, plasticity: {rule: stdp, A_plus: 0.05, A_minus: 0.06, w_max: 1.0}}
stimuli:
  bg: {type: poisson, target: [E], rate: 15000, weight: 0.2}
recorders:
  w: {type: weights, projection: ee, interval: 50}
output: {path: learned.h5}
EOF
expect_exit 0 "run a plastic network, weights every 50 ms" "$NMSIM" run net.yaml
$PY - <<'EOF' && pass "h5py reads the learned weights and their samples" || fail "weights output"
import h5py, numpy as np
f = h5py.File("learned.h5", "r")
w = f["/edges/ee/0/syn_weight"][:]
series = f["/report/ee/syn_weight/data"][:]
t = f["/report/ee/syn_weight/mapping/time"][:]
assert len(w) == 200 * 20, len(w)
assert series.shape == (4, len(w)), series.shape
assert list(t) == [0.0, 200.0, 50.0], t
grid = round(0.4 * 65535) / 65535
assert np.all(series[0] == grid)                 # at t = 0: the initial weight on the 16-bit grid
assert np.mean(series[-1] != grid) > 0.3         # later: learned
assert np.all((w >= 0) & (w <= 1))
print("moved:", np.mean(w != grid), "mean", w.mean())
EOF
# The learned weights seed a later run: its weights at t = 0 are the first run's final ones.
sed -e 's|connector: {rule: fixed_outdegree, outdegree: 20}|connector: {rule: from_file, file: learned.h5, edges: ee}|' \
    -e 's|weight: 0.4, delay: 1.5, plasticity|delay: 1.5, plasticity|' -e 's|learned.h5}|again.h5}|' net.yaml >again.yaml
expect_exit 0 "a run seeded with the learned weights" "$NMSIM" run again.yaml
$PY - <<'EOF' && pass "the seeded run starts from the learned weights" || fail "seeding"
import h5py, numpy as np
a, b = h5py.File("learned.h5", "r"), h5py.File("again.h5", "r")
assert np.array_equal(a["/edges/ee/source_node_id"][:], b["/edges/ee/source_node_id"][:])
assert np.array_equal(a["/edges/ee/target_node_id"][:], b["/edges/ee/target_node_id"][:])
assert np.array_equal(a["/edges/ee/0/syn_weight"][:], b["/report/ee/syn_weight/data"][0])
EOF
# On chips: the plastic network is a violation on TrueNorth (no on-chip learning) and counts its plastic
# synapses; the learned weights, loaded as a static projection, map without it.
expect_exit 0 "footprint of the plastic network" "$NMSIM" footprint net.yaml --chips truenorth,loihi1 --format json
cp "$WORK/stdout" plastic_fp.json
sed -e 's|, plasticity: {rule: stdp, A_plus: 0.05, A_minus: 0.06, w_max: 1.0}||' -e 's|, interval: 50||' again.yaml >learned_static.yaml
expect_exit 0 "footprint of the learned weights" "$NMSIM" footprint learned_static.yaml --chips truenorth,loihi1 --format json
cp "$WORK/stdout" learned_fp.json
$PY - <<'EOF' && pass "plastic synapses counted; no on-chip learning is a violation; learned weights map" || fail "footprint"
import json
p = {c["chip"]: c for c in json.load(open("plastic_fp.json"))["chips"]}
learned = json.load(open("learned_fp.json"))
assert learned["synapses"] == 4000, learned["synapses"]
s = {c["chip"]: c for c in learned["chips"]}
assert p["truenorth"]["plastic_synapses"] == 4000 and p["loihi1"]["plastic_synapses"] == 4000, p
assert any("no on-chip learning" in v for v in p["truenorth"]["violations"]), p["truenorth"]["violations"]
assert not any("learning" in v for v in p["loihi1"]["violations"]), p["loihi1"]["violations"]
assert p["loihi1"]["plastic_state_bytes"] > 0
for c in s.values():
    assert c["plastic_synapses"] == 0, c
    assert not any("learning" in v for v in c["violations"]), c["violations"]
EOF
sed 's|interval: 50|interval: 0.05|' net.yaml >bad.yaml
expect_exit 2 "an interval that is not a multiple of dt" "$NMSIM" run bad.yaml
grep -q "recorders.w.interval" "$WORK/stderr" && pass "the error names the key" || fail "message: $(cat "$WORK/stderr")"
finish
