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
finish
