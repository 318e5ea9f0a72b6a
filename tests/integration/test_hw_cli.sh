# The hardware layer from the command line: chips, footprint in all formats, --strict, --chip-file,
# quantised runs with a fidelity report read by h5py, and the footprint plot.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
small=(--set vars.order=100 --set simulation.duration=100)

expect_exit 0 "chips" "$NMSIM" chips
for c in akida brainscales2 dynapse loihi1 loihi2 speck spinnaker1 spinnaker2 truenorth xylo; do
    grep -q "^$c " "$WORK/stdout" || fail "chips lists $c"
done
pass "chips lists all ten profiles"
expect_exit 0 "chips show" "$NMSIM" chips show loihi1
grep -q "nengo_loihi/block.py MAX_COMPARTMENTS" "$WORK/stdout" && grep -q "\[uncertain\]" "$WORK/stdout" \
    && pass "chips show prints sources and uncertainty" || fail "chips show: $(cat "$WORK/stdout")"
expect_exit 2 "chips show unknown" "$NMSIM" chips show loihi9

expect_exit 0 "footprint json" "$NMSIM" footprint "$SRC/configs/brunel_delta.yaml" "${small[@]}" --format json
cp "$WORK/stdout" fp.json
$PY - <<'PY' && pass "footprint JSON parses with every chip and field" || fail "footprint JSON"
import json
r = json.load(open("fp.json"))
assert r["synapses"] == 500 * (40 + 10), r["synapses"]
assert len(r["chips"]) == 10
for c in r["chips"]:
    for k in ["cores", "chips", "neuron_utilisation", "memory_utilisation", "synaptic_bytes", "nmsim_table_bytes",
              "binding_constraint", "violations", "weight_rms_rel_error", "delay_max_rel_error", "populations"]:
        assert k in c, (c["chip"], k)
tn = next(c for c in r["chips"] if c["chip"] == "truenorth")
# fan-in here is 50 (< 256 axons), but every neuron reaches several cores: splitters are needed
assert any("project to more than 1 core" in v for v in tn["violations"]), tn["violations"]
assert not any("receive more than" in v for v in tn["violations"]), tn["violations"]
sp = next(c for c in r["chips"] if c["chip"] == "spinnaker1")
assert sp["violations"] == [] and sp["cores"] == 3, sp  # 400 E -> 2 cores, 100 I -> 1 core
PY
expect_exit 0 "footprint csv" "$NMSIM" footprint "$SRC/configs/brunel_delta.yaml" "${small[@]}" --format csv --chips loihi1,spinnaker1
$PY - "$WORK/stdout" <<'PY' && pass "footprint CSV parses" || fail "footprint CSV"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert [r["chip"] for r in rows] == ["loihi1", "spinnaker1"], rows
assert int(rows[1]["synaptic_bytes"]) > 0 and float(rows[0]["delay_max_rel_error"]) > 0.3
PY
expect_exit 0 "footprint table" "$NMSIM" footprint "$SRC/configs/brunel_delta.yaml" "${small[@]}"
grep -q "binding constraint" "$WORK/stdout" && pass "table names binding constraints" || fail "table"
grep -q "population E: 400 neurons need 2 cores on spinnaker1 (bound by neurons per core)" "$WORK/stdout" \
    && pass "table says per population how many cores and what binds them" || fail "table: $(cat "$WORK/stdout")"
expect_exit 3 "--strict with violations" "$NMSIM" footprint "$SRC/configs/brunel_delta.yaml" "${small[@]}" --strict
expect_exit 0 "--strict without violations" "$NMSIM" footprint "$SRC/configs/brunel_delta.yaml" "${small[@]}" --strict --chips spinnaker1
expect_exit 2 "footprint unknown chip" "$NMSIM" footprint "$SRC/configs/brunel_delta.yaml" --chips loihi9
expect_exit 2 "footprint bad config" "$NMSIM" footprint "$SRC/configs/brunel_delta.yaml" --set simulation.dt=-1

# A user's own profile.
sed 's/^name: loihi1/name: mychip/; s/value: 1024,/value: 64,/' "$SRC/hw/chips/loihi1.yaml" >mychip.yaml
expect_exit 0 "--chip-file" "$NMSIM" footprint "$SRC/configs/brunel_delta.yaml" "${small[@]}" --chip-file mychip.yaml --chips mychip --format csv
grep -q "^mychip," "$WORK/stdout" && pass "custom profile mapped" || fail "custom profile: $(cat "$WORK/stdout")"
sed 's/^name: loihi1/name: broken/; s/value: 1024,/value: lots,/' "$SRC/hw/chips/loihi1.yaml" >broken.yaml
expect_exit 2 "invalid --chip-file" "$NMSIM" chips --chip-file broken.yaml
grep -q "broken.yaml:[0-9]*:[0-9]*: neurons_per_core.value" "$WORK/stderr" && pass "profile error names file:line and key" || fail "$(cat "$WORK/stderr")"

# Quantised run: fidelity in the JSON summary and the HDF5 file.
expect_exit 0 "run --chip" "$NMSIM" run "$SRC/configs/brunel_exp.yaml" "${small[@]}" --chip spinnaker2 -o q.h5 --json
cp "$WORK/stdout" q.json
$PY - <<'PY' && pass "fidelity report in summary and HDF5" || fail "fidelity"
import json, h5py
s = json.load(open("q.json"))
f = s["fidelity"]
assert f["chip"] == "spinnaker2" and set(f["populations"]) == {"E", "I"}
for p in f["populations"].values():
    assert -1 <= p["rate_correlation"] <= 1 and p["count_distance"] >= 0 and p["rate_float_hz"] > 0
h = json.loads(h5py.File("q.h5")["nmsim/fidelity"][()])
assert h == f
PY
expect_exit 2 "run --chip unknown" "$NMSIM" run "$SRC/configs/brunel_exp.yaml" --chip loihi9 -o x.h5
[ ! -e x.h5 ] && pass "nothing written for an unknown chip" || fail "x.h5 written"

$PY "$SRC/scripts/plot_footprint.py" fp.json -o fp.png >/dev/null && [ -s fp.png ] && pass "plot_footprint draws a PNG" || fail "plot_footprint"
finish
