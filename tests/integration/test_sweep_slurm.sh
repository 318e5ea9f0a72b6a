# `nmsim sweep --slurm --submit` on a real single-node Slurm started here: job.sbatch as an array over
# chunks, sbatch's job id, --status while and after it runs, --collect, and results equal to a local run.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/slurm_fixture.sh"
trap 'stop_slurm; rm -rf "$WORK"' EXIT
cd "$WORK"
start_slurm "$WORK/slurm" && pass "slurmctld + slurmd + munge running" || { fail "could not start Slurm"; finish; exit 1; }
cp "$SRC/configs/brunel_delta.yaml" base.yaml
for where in local slurm; do small_sweep "$where"; done
expect_exit 0 "--slurm writes job.sbatch" "$NMSIM" sweep slurm.yaml --slurm --chunk-size 2 --array-max-parallel 2 --mem 512M --time 00:05:00 --partition debug
grep -q "#SBATCH --array=0-2%2" out/slurm/job.sbatch && grep -q -- "--chunk \"\$SLURM_ARRAY_TASK_ID\" --chunk-size 2" out/slurm/job.sbatch \
    && pass "array over 3 chunks, throttled to 2" || fail "$(cat out/slurm/job.sbatch)"
expect_exit 0 "--submit" "$NMSIM" sweep slurm.yaml --slurm --submit --chunk-size 2 --array-max-parallel 2 --mem 512M --time 00:05:00
job=$(sed -n 's/^submitted job //p' "$WORK/stdout")
[ -n "$job" ] && [ "$(cat out/slurm/slurm_job_id)" = "$job" ] && pass "job id $job printed and recorded" || fail "job id: $(cat "$WORK/stdout")"
for _ in $(seq 1 240); do
    "$NMSIM" sweep slurm.yaml --status >status.txt 2>&1 && break
    sleep 0.5
done
grep -q "6 points: 6 done, 0 running, 0 failed, 0 missing" status.txt && pass "--status reports all done" || fail "status: $(cat status.txt); $(squeue)"
expect_exit 0 "collect" "$NMSIM" sweep slurm.yaml --collect
expect_exit 0 "local reference" "$NMSIM" sweep local.yaml --jobs 2
$PY - <<'PY' && pass "Slurm results equal the local run" || fail "Slurm vs local"
import glob, h5py, numpy as np
for ref in sorted(glob.glob("out/local/points/*.h5")):
    a, b = h5py.File(ref), h5py.File(ref.replace("local", "slurm"))
    for d in ["spikes/E/node_ids", "spikes/I/timestamps"]:
        assert np.array_equal(a[d][:], b[d][:]), (ref, d)
assert h5py.File("out/slurm/summary.h5")["grid/mean_rate"].shape == (3, 2, 1)
PY
ls out/slurm/slurm/*.out >/dev/null 2>&1 && pass "array task logs in out/slurm/slurm" || fail "no task logs"
finish
