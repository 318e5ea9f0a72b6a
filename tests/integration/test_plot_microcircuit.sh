# scripts/plot_microcircuit.py: the PD14 figure and statistics from runs of configs/microcircuit.yaml.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
for seed in 1 2; do
  "$NMSIM" run "$SRC/configs/microcircuit.yaml" --set vars.scale=0.05 --set simulation.duration=700 --seed $seed \
    -o "run$seed.h5" -q || fail "run seed $seed"
done
$PY "$SRC/scripts/plot_microcircuit.py" run1.h5 run2.h5 --window 200 700 -o pd14.png --json stats.json >table.txt \
  && pass "plot_microcircuit ran" || fail "plot_microcircuit failed: $(cat table.txt)"
$PY - <<'PY' && pass "figure and statistics written" || fail "figure or statistics"
import json, struct
data = open("pd14.png", "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20000
w, h = struct.unpack(">II", data[16:24])
assert w > 1000 and h > 500, (w, h)
s = json.load(open("stats.json"))
assert len(s["runs"]) == 2 and s["window_ms"] == [200.0, 700.0]
for pop in ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]:
    p = s["populations"][pop]
    assert 0.0 < p["mean_rate_hz"] < 100.0, (pop, p)
    assert p["nest_min_hz"] <= p["nest_max_hz"]
PY
grep -q "L5E" table.txt && pass "table printed" || fail "no table"
finish
