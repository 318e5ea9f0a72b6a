# Event mode from the CLI: simulation.engine auto/clock/event, the choice printed and in provenance,
# event and clock runs writing the same spikes, bad values exiting 2 with the key.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
sparse=(--set vars.scale=0.01 --set simulation.duration=300)

expect_exit 0 "sparse network, auto" "$NMSIM" run "$SRC/configs/sparse_1m.yaml" "${sparse[@]}" -o out/auto.h5
grep -q "engine event for E, I (auto: a neuron was reached in fewer than 0.05 of the first 300 steps; measured 0.0" "$WORK/stderr" &&
    pass "auto measured, kept event mode and says why" ||
    fail "engine line: $(cat "$WORK/stderr")"
expect_exit 0 "sparse network, clock" "$NMSIM" run "$SRC/configs/sparse_1m.yaml" "${sparse[@]}" \
    --set simulation.engine=clock -o out/clock.h5
grep -q "engine clock for E, I (simulation.engine: clock)" "$WORK/stderr" && pass "clock as asked" ||
    fail "engine line: $(cat "$WORK/stderr")"
$PY - <<'PY' && pass "event and clock runs write the same spikes; provenance has the engines" || fail "event vs clock files"
import h5py, json, numpy as np
a, c = h5py.File("out/auto.h5"), h5py.File("out/clock.h5")
for pop in ("E", "I"):
    for k in ("timestamps", "node_ids"):
        assert np.array_equal(a[f"spikes/{pop}/{k}"][:], c[f"spikes/{pop}/{k}"][:]), (pop, k)
assert a["spikes/E/timestamps"].size > 100
summary = json.loads(a["nmsim/summary"][()])
assert summary["engines"]["E"]["engine"] == "event", summary["engines"]
assert summary["neuron_updates"] * 10 < json.loads(c["nmsim/summary"][()])["neuron_updates"]
PY

cp "$SRC/configs/brunel_delta.yaml" brunel.yaml
small=(--set vars.order=200 --set simulation.duration=200)
"$NMSIM" run brunel.yaml "${small[@]}" -o out/b_clock.h5 -q
expect_exit 0 "Brunel forced to event mode" "$NMSIM" run brunel.yaml "${small[@]}" --set simulation.engine=event -o out/b_event.h5
$PY - <<'PY' && pass "Brunel: auto on the clock, event mode the same spikes" || fail "Brunel event vs clock"
import h5py, json, numpy as np
a, e = h5py.File("out/b_clock.h5"), h5py.File("out/b_event.h5")
assert json.loads(a["nmsim/summary"][()])["engines"]["E"]["engine"] == "clock"
for k in ("timestamps", "node_ids"):
    assert np.array_equal(a[f"spikes/E/{k}"][:], e[f"spikes/E/{k}"][:]), k
PY

sed 's/simulation: {/simulation: {engine: lazy, /' brunel.yaml >bad.yaml
expect_exit 2 "unknown engine" "$NMSIM" run bad.yaml -o out/bad.h5
grep -q "bad.yaml:[0-9]*:[0-9]*: simulation.engine: unknown engine 'lazy' (known: auto, clock, event)" "$WORK/stderr" &&
    pass "message names file:line:col and key" || fail "message: $(cat "$WORK/stderr")"
[ ! -e out/bad.h5 ] && pass "nothing written" || fail "output written on error"
expect_exit 2 "unknown engine via --set" "$NMSIM" run brunel.yaml --set simulation.engine=fast -o out/bad.h5
expect_exit 0 "synfire config validates" "$NMSIM" validate "$SRC/configs/synfire.yaml"
finish
