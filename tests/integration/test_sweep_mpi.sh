# `mpirun -n K nmsim sweep`: real OpenMPI, K = 2 and 3; every point equals the local run's spikes.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
cp "$SRC/configs/brunel_delta.yaml" base.yaml
for where in local mpi2 mpi3; do small_sweep "$where"; done
expect_exit 0 "local reference" "$NMSIM" sweep local.yaml --jobs 2
expect_exit 0 "mpirun -n 2" mpirun -n 2 --oversubscribe "$NMSIM" sweep mpi2.yaml
grep -q "6 done, 0 failed of 6 points on 2 ranks" "$WORK/stderr" && pass "2 ranks shared the points" || fail "$(cat "$WORK/stderr")"
expect_exit 0 "mpirun -n 3" mpirun -n 3 --oversubscribe "$NMSIM" sweep mpi3.yaml
grep -q "on 3 ranks" "$WORK/stderr" && pass "3 ranks" || fail "$(cat "$WORK/stderr")"
grep -q "rank 2 finished point" "$WORK/stderr" && grep -q "rank 1 finished point" "$WORK/stderr" \
    && pass "both workers got points (dynamic hand-out)" || fail "hand-out: $(cat "$WORK/stderr")"
$PY - <<'PY' && pass "MPI results equal the local run, point for point" || fail "MPI vs local"
import glob, h5py, json, numpy as np
for k in ["mpi2", "mpi3"]:
    for ref in sorted(glob.glob("out/local/points/*.h5")):
        a, b = h5py.File(ref), h5py.File(ref.replace("local", k))
        for pop in ["E", "I"]:
            for d in ["timestamps", "node_ids"]:
                assert np.array_equal(a[f"spikes/{pop}/{d}"][:], b[f"spikes/{pop}/{d}"][:]), (k, ref, pop, d)
        ma = json.loads(a["nmsim/sweep_point"][()])["metrics"]
        mb = json.loads(b["nmsim/sweep_point"][()])["metrics"]
        for m in ma:
            if m != "wall_s":
                assert ma[m] == mb[m] or (ma[m] is None and mb[m] is None), (k, ref, m, ma[m], mb[m])
PY
expect_exit 2 "mpirun with an invalid sweep" mpirun -n 2 --oversubscribe "$NMSIM" sweep nowhere.yaml
finish
