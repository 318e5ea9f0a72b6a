# The output is read by h5py alone (no nmsim code): SONATA layout, attributes, provenance.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
"$NMSIM" run "$SRC/configs/brunel_exp.yaml" --set vars.order=200 --set simulation.duration=100 -o run.h5 -q \
  --set 'recorders.ie={type: state, population: E, variable: i_syn_exc, ids: [1, 3], interval: 1.0}' \
  --set 'recorders.w={type: weights, projection: inhibitory}' || fail "run"
$PY - <<'PY' && pass "h5py reads the SONATA file" || fail "h5py read"
import h5py, json, numpy as np
f = h5py.File("run.h5", "r")
assert f.attrs["magic"][0] == 0x0A7A and list(f.attrs["version"]) == [0, 1]
for pop, n in (("E", 800), ("I", 200)):
    g = f["spikes"][pop]
    t, ids = g["timestamps"][:], g["node_ids"][:]
    assert g["timestamps"].dtype == np.float64 and g["node_ids"].dtype == np.uint64
    assert g["timestamps"].attrs["units"] in (b"ms", "ms")
    assert h5py.check_enum_dtype(g.attrs.get_id("sorting").dtype) == {"none": 0, "by_id": 1, "by_time": 2}
    assert g.attrs["sorting"] == 2
    assert len(t) == len(ids) > 0 and np.all(np.diff(t) >= 0) and ids.max() < n
rep = f["report/E"]
data = rep["data"][:]
assert data.shape == (1000, 5) and data.dtype == np.float32
assert list(rep["mapping/node_ids"][:]) == [0, 1, 2, 3, 4]
assert list(rep["mapping/time"][:]) == [0.0, 100.0, 0.1]
# a second variable of E: its own report group; the first stays at report/E (a hard link)
assert np.array_equal(f["report/E/v/data"][:], data)
ie = f["report/E/i_syn_exc"]
assert ie["data"].shape == (100, 2) and ie["data"].attrs["units"] in (b"nA", "nA")
assert list(ie["mapping/node_ids"][:]) == [1, 3]
# the weights recorder: SONATA edges, 20 inhibitory inputs per neuron of E and I, weights <= 0
e = f["edges/inhibitory"]
src, tgt = e["source_node_id"][:], e["target_node_id"][:]
assert e["source_node_id"].attrs["node_population"] in (b"I", "I")
assert e["target_node_id"].attrs["node_population"] in (b"E,I", "E,I")
assert len(src) == len(tgt) == 1000 * 20 and src.max() < 200 and tgt.max() < 1000
assert np.all(np.bincount(tgt.astype(np.int64), minlength=1000) == 20)
w, d = e["0/syn_weight"][:], e["0/delay"][:]
assert np.all(w <= 0) and abs(w.mean() / (-5 * 0.1 * 0.25 / 0.5) - 1) < 0.02 and np.all(d == 1.5)
assert np.all(np.diff(src.astype(np.int64)) >= 0)
nm = f["nmsim"]
summary = json.loads(nm["summary"][()])
assert summary["bytes_per_synapse"] > 0 and set(summary["rates_hz"]) == {"E", "I"}
assert b"lif_exp" in nm["config"][()]
assert nm.attrs["seed"][0] == 4321
assert nm.attrs["synapses"][0] == summary["synapses"] and nm.attrs["table_bytes"][0] == summary["table_bytes"]
assert nm.attrs["sim_s"][0] > 0 and b"excitatory: target" in nm.attrs["field_widths"]
rates = nm["rates_hz"][:]
assert abs(rates[0] - len(f["spikes/E/timestamps"]) / 800 / 0.1) < 1e-9
PY
finish
