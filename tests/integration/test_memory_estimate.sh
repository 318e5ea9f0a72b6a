# The memory estimate made before building is within 20% of the measured peak RSS.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
for cfg in brunel_delta brunel_exp; do
    "$NMSIM" run "$SRC/configs/$cfg.yaml" -o "$cfg.h5" --json >"$cfg.json" || fail "$cfg run"
    $PY - "$cfg.json" <<'PY' && pass "$cfg estimate within 20% of peak" || fail "$cfg estimate"
import json, sys
s = json.load(open(sys.argv[1]))
est, peak = s["estimated_bytes"], s["peak_rss"]
print(f"estimated {est/2**20:.1f} MB, peak {peak/2**20:.1f} MB, ratio {est/peak:.3f}")
assert 0.8 <= est / peak <= 1.2
PY
done
# Every storage rung, on the microcircuit at 30% (90 M synapses): tables from 6 B down to ~0 per synapse.
for rung in packed procedural_weights procedural; do
    "$NMSIM" run "$SRC/configs/microcircuit.yaml" --set vars.scale=0.3 --set simulation.duration=50 \
        --set "recorders={}" --set simulation.storage=$rung -o "pd_$rung.h5" --json >"pd_$rung.json" || fail "$rung run"
    $PY - "pd_$rung.json" <<'PY' && pass "microcircuit $rung estimate within 20% of peak" || fail "microcircuit $rung estimate"
import json, sys
s = json.load(open(sys.argv[1]))
est, peak = s["estimated_bytes"], s["peak_rss"]
print(f"estimated {est/2**20:.1f} MB, peak {peak/2**20:.1f} MB, ratio {est/peak:.3f}")
assert 0.8 <= est / peak <= 1.2
PY
done
# fixed_indegree regenerated as slot rows (Brunel): the same spikes as from the tables, its estimate
# within 20% of peak, and a tight --max-memory steps the larger table down to it, same spikes again.
"$NMSIM" run "$SRC/configs/brunel_delta.yaml" -o brunel_packed.h5 --json >brunel_packed.json || fail "brunel packed run"
"$NMSIM" run "$SRC/configs/brunel_delta.yaml" --set simulation.storage=procedural -o brunel_proc.h5 --json \
    >brunel_proc.json || fail "brunel procedural run"
"$NMSIM" run "$SRC/configs/brunel_delta.yaml" --max-memory 35M -o brunel_tight.h5 --json >brunel_tight.json ||
    fail "brunel --max-memory 35M run"
$PY - <<'PY' && pass "brunel slot rows: same spikes, estimate, step-down" || fail "brunel slot rows"
import json, h5py, numpy as np
runs = {k: json.load(open(f"brunel_{k}.json")) for k in ("packed", "proc", "tight")}
kinds = {k: sorted(t["storage"] for t in r["tables"].values()) for k, r in runs.items()}
print(kinds, {k: round(r["bytes_per_synapse"], 4) for k, r in runs.items()})
assert kinds == {"packed": ["packed", "packed"], "proc": ["procedural", "procedural"],
                 "tight": ["packed", "procedural"]}
# procedural keeps per source only its row starts and guide, in each of the 4 target groups of both
# projections (8 B + <= 0.5 B): 0.027 B per synapse, against 0.78 packed.
assert runs["proc"]["bytes_per_synapse"] < 0.03 < 0.7 < runs["packed"]["bytes_per_synapse"]
est, peak = runs["proc"]["estimated_bytes"], runs["proc"]["peak_rss"]
print(f"procedural: estimated {est/2**20:.1f} MB, peak {peak/2**20:.1f} MB, ratio {est/peak:.3f}")
assert 0.8 <= est / peak <= 1.2
def spikes(path):
    with h5py.File(path, "r") as f:
        return {p: (f[f"spikes/{p}/timestamps"][:], f[f"spikes/{p}/node_ids"][:]) for p in f["spikes"]}
ref = spikes("brunel_packed.h5")
assert sum(len(t) for t, _ in ref.values()) > 100000
for k in ("proc", "tight"):
    other = spikes(f"brunel_{k}.h5")
    assert ref.keys() == other.keys()
    for p in ref:
        assert np.array_equal(ref[p][0], other[p][0]) and np.array_equal(ref[p][1], other[p][1]), (k, p)
PY
finish
