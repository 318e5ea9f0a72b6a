# CLI behaviour: exit codes, error messages naming file:line:col, nothing written on failure,
# --set/--seed/-o/--json, validate, and the memory guard.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
cp "$SRC/configs/brunel_delta.yaml" brunel.yaml
small=(--set vars.order=200 --set simulation.duration=200)

expect_exit 0 "run --json" "$NMSIM" run brunel.yaml "${small[@]}" -o out/a.h5 --json
$PY - "$WORK/stdout" <<'PY' && pass "--json summary has the documented fields" || fail "--json summary"
import json, sys
s = json.load(open(sys.argv[1]))
for k in ["rates_hz", "spikes", "build_s", "sim_s", "table_bytes", "bytes_per_synapse", "peak_rss", "synapses", "events_per_s_per_core"]:
    assert k in s, k
assert set(s["rates_hz"]) == {"E", "I"}
assert 20 < s["mean_rate_hz"] < 120, s["mean_rate_hz"]
assert s["synapses"] == 1000 * (80 + 20), s["synapses"]  # 1000 neurons, CE = 80, CI = 20
PY
[ -f out/a.h5 ] && pass "output written" || fail "no output file"
ls out | grep -q tmp && fail "temp file left behind" || pass "no temp file left"

# Same seed -> identical spikes; another seed -> different spikes.
"$NMSIM" run brunel.yaml "${small[@]}" -o out/b.h5 -q
"$NMSIM" run brunel.yaml "${small[@]}" -o out/c.h5 -q --seed 77 --threads 1
$PY - <<'PY' && pass "same seed reproduces, --seed changes" || fail "seed behaviour"
import h5py, numpy as np
a, b, c = (h5py.File(f"out/{x}.h5") for x in "abc")
assert np.array_equal(a["spikes/E/node_ids"][:], b["spikes/E/node_ids"][:])
assert not np.array_equal(a["spikes/E/node_ids"][:], c["spikes/E/node_ids"][:])
assert c["nmsim"].attrs["seed"][0] == 77 and c["nmsim"].attrs["threads"][0] == 1
PY

# Progress bar with ETA on stderr only when it is a terminal (script(1) provides one).
script -qec "$NMSIM run brunel.yaml ${small[*]} -o out/tty.h5" /dev/null >tty.txt 2>&1
grep -q "ETA" tty.txt && grep -q "100%" tty.txt && pass "progress bar on a terminal" || fail "no progress bar: $(cat tty.txt)"
"$NMSIM" run brunel.yaml "${small[@]}" -o out/notty.h5 2>notty.txt
! grep -q "ETA" notty.txt && grep -q "spikes, rates" notty.txt && pass "one summary line, no bar, when not a terminal" || fail "$(cat notty.txt)"

# Config errors: exit 2, file:line:col and key in the message, no output file.
sed 's/tau_refrac: 2.0/tau_refrac: -2.0/' brunel.yaml >bad.yaml
expect_exit 2 "bad value" "$NMSIM" run bad.yaml -o out/bad.h5
grep -q "bad.yaml:22:.*populations.E.params.tau_refrac: must be >= 0" "$WORK/stderr" && pass "message names file:line and key" || fail "message: $(cat "$WORK/stderr")"
[ ! -e out/bad.h5 ] && pass "no output on config error" || fail "output written despite config error"
printf 'nmsim: 1\npopulations: {E: {size: 3\n' >broken.yaml
expect_exit 2 "malformed YAML" "$NMSIM" run broken.yaml
grep -q "broken.yaml:3:.*malformed YAML" "$WORK/stderr" && pass "malformed YAML position" || fail "$(cat "$WORK/stderr")"
expect_exit 2 "bad --set" "$NMSIM" run brunel.yaml --set simulation.dt=-1
grep -q "\-\-set simulation.dt" "$WORK/stderr" && pass "--set named in message" || fail "$(cat "$WORK/stderr")"
expect_exit 2 "missing config file" "$NMSIM" run nowhere.yaml
expect_exit 2 "unknown flag" "$NMSIM" run brunel.yaml --frobnicate
expect_exit 2 "no subcommand" "$NMSIM"

# validate
expect_exit 0 "validate good" "$NMSIM" validate brunel.yaml
grep -q "valid (12500 neurons" "$WORK/stdout" && pass "validate summary" || fail "$(cat "$WORK/stdout")"
expect_exit 2 "validate bad" "$NMSIM" validate bad.yaml

# Memory guard: refuses before building, says how much it needs, writes nothing.
expect_exit 1 "memory guard" "$NMSIM" run brunel.yaml -o out/big.h5 --max-memory 20M
grep -q "needs about .* but the limit is 20.0 MB" "$WORK/stderr" && pass "guard message" || fail "$(cat "$WORK/stderr")"
[ ! -e out/big.h5 ] && pass "nothing written when refused" || fail "output written despite refusal"
expect_exit 2 "bad --max-memory" "$NMSIM" run brunel.yaml --max-memory lots
# distance_dependent over positions, and a run's recorded synapses (SONATA edges) seeding another run.
$PY - <<'PY'
rows = ", ".join("[%d, %d, 0]" % (i % 20, i // 20) for i in range(400))
open("grid.yaml", "w").write(f"""nmsim: 1
simulation: {{duration: 200.0, seed: 3}}
populations:
  S: {{size: 50, model: spike_source_poisson, params: {{rate: 30.0}}}}
  G: {{size: 400, model: lif_exp, positions: [{rows}]}}
projections:
  drive: {{source: S, target: G, connector: {{rule: fixed_indegree, indegree: 10}}, synapse: {{weight: 1.0, delay: 1.0}}}}
  lateral: {{source: G, target: G, connector: {{rule: distance_dependent, p: "0.5 * exp(-d / 2)", periodic_boundaries: [20, 20, 0], allow_autapses: false}},
            synapse: {{weight: {{normal: {{mean: 0.2, std: 0.05}}}}, delay: {{uniform: [0.5, 2.0]}}}}}}
recorders: {{w: {{type: weights, projection: lateral}}, s: {{type: spikes, populations: [G]}}}}
""")
PY
expect_exit 0 "distance_dependent run" "$NMSIM" run grid.yaml -o grid.h5 -q
sed -e 's|connector: {rule: distance_dependent, p: "0.5 \* exp(-d / 2)", periodic_boundaries: \[20, 20, 0\], allow_autapses: false}|connector: {rule: from_file, file: grid.h5, edges: lateral}|' \
    -e 's|synapse: {weight: {normal: {mean: 0.2, std: 0.05}}, delay: {uniform: \[0.5, 2.0\]}}||' \
    -e 's|w: {type: weights, projection: lateral}, ||' grid.yaml >seeded.yaml
expect_exit 0 "from_file reads the SONATA edges" "$NMSIM" run seeded.yaml -o seeded.h5 -q
$PY - <<'PY' && pass "distance rule: periodic neighbourhood; seeded run repeats the spikes" || fail "distance/seeded"
import h5py, numpy as np
a, b = h5py.File("grid.h5"), h5py.File("seeded.h5")
src, tgt = a["edges/lateral/source_node_id"][:], a["edges/lateral/target_node_id"][:]
assert not np.any(src == tgt)
d = np.hypot(*[np.minimum(np.abs(x), 20 - np.abs(x)) for x in ((src % 20).astype(float) - tgt % 20, (src // 20).astype(float) - tgt // 20)])
assert d.mean() < 4.0, d.mean()
expected = sum(0.5 * np.exp(-np.hypot(min(dx, 20 - dx), min(dy, 20 - dy)) / 2) for dx in range(20) for dy in range(20) if dx or dy) * 400
assert abs(len(src) - expected) < 4 * np.sqrt(expected), (len(src), expected)
assert len(a["spikes/G/timestamps"]) > 0
assert np.array_equal(a["spikes/G/timestamps"][:], b["spikes/G/timestamps"][:])
assert np.array_equal(a["spikes/G/node_ids"][:], b["spikes/G/node_ids"][:])
PY
sed 's|p: "0.5 \* exp(-d / 2)"|p: "0.5 * exp(-d /"|' grid.yaml >badgrid.yaml
expect_exit 2 "bad distance expression" "$NMSIM" validate badgrid.yaml
grep -q "projections.lateral.connector.p" "$WORK/stderr" && pass "the message names the key" || fail "$(cat "$WORK/stderr")"

finish
