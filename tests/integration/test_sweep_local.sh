# Local sweeps: run, collect, resume (skips finished, re-runs corrupt), refusals, failed points, and
# a sweep killed with SIGKILL that resumes to every point present exactly once.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
cp "$SRC/configs/brunel_delta.yaml" base.yaml
cat >s.yaml <<'YAML'
sweep: 1
base: base.yaml
grid: {vars.g: [3.0, 6.0], vars.eta: [1.0, 2.0]}
set: {vars.order: 50, simulation.duration: 100}
output: out/s
YAML
expect_exit 0 "local sweep" "$NMSIM" sweep s.yaml --jobs 2
[ "$(ls out/s/points/*.h5 | wc -l)" -eq 4 ] && pass "4 point files" || fail "point files: $(ls out/s/points)"
expect_exit 0 "status" "$NMSIM" sweep s.yaml --status
grep -q "4 points: 4 done, 0 running, 0 failed, 0 missing" "$WORK/stdout" && pass "status counts" || fail "$(cat "$WORK/stdout")"
expect_exit 0 "collect" "$NMSIM" sweep s.yaml --collect
$PY - <<'PY' && pass "summary.h5, summary.csv and manifest" || fail "collect outputs"
import csv, h5py, json, numpy as np
rows = list(csv.DictReader(open("out/s/summary.csv")))
assert [r["status"] for r in rows] == ["done"] * 4 and rows[1]["vars.eta"] == "2.0"
f = h5py.File("out/s/summary.h5")
rate = f["grid/mean_rate"][:]
assert rate.shape == (2, 2, 1), rate.shape
assert list(f["axes/vars.g"][:]) == [3.0, 6.0]
assert rate[0, 1, 0] > rate[1, 1, 0], rate  # lower g, higher rate
for m in ["cv_isi", "fano", "table_bytes", "wall_s", "mean_rate_E"]:
    assert f"grid/{m}" in f, m
assert abs(rate[0, 0, 0] - float(rows[0]["mean_rate"])) < 1e-6
m = json.load(open("out/s/manifest.json"))
assert m["done"] == 4 and len(m["points"]) == 4 and m["keys"] == ["vars.g", "vars.eta"]
pt = json.loads(h5py.File("out/s/points/000003.h5")["nmsim/sweep_point"][()])
assert pt["values"] == {"vars.g": "6.0", "vars.eta": "2.0"} and pt["metrics"]["mean_rate"] > 0
PY

$PY "$SRC/scripts/plot_sweep.py" out/s/summary.h5 --metric mean_rate -o heat.png >/dev/null && [ "$(stat -c %s heat.png)" -gt 10000 ] \
    && pass "plot_sweep draws the heat map" || fail "plot_sweep"
$PY "$SRC/scripts/plot_sweep.py" out/s/summary.h5 --metric nonsense -o x.png >/dev/null 2>&1 && fail "unknown metric accepted" || pass "plot_sweep rejects an unknown metric"
expect_exit 2 "refuses to overwrite without --resume" "$NMSIM" sweep s.yaml
grep -q "use --resume" "$WORK/stderr" && pass "says to use --resume" || fail "$(cat "$WORK/stderr")"
before=$(stat -c %Y out/s/points/000000.h5)
sleep 1
expect_exit 0 "resume with nothing to do" "$NMSIM" sweep s.yaml --resume
[ "$(stat -c %Y out/s/points/000000.h5)" = "$before" ] && pass "finished points are skipped" || fail "point re-run"
head -c 100 out/s/points/000002.h5 >x && mv x out/s/points/000002.h5 # corrupt one point
expect_exit 0 "resume re-runs a corrupt point" "$NMSIM" sweep s.yaml --resume
[ "$(stat -c %Y out/s/points/000000.h5)" = "$before" ] && [ "$(stat -c %s out/s/points/000002.h5)" -gt 1000 ] \
    && pass "only the corrupt point ran again" || fail "resume after corruption"
sed -i 's/eta: \[1.0, 2.0\]/eta: [1.0, 2.5]/' s.yaml
expect_exit 2 "changed sweep refused" "$NMSIM" sweep s.yaml --resume
grep -q "changed since" "$WORK/stderr" && pass "says the sweep changed" || fail "$(cat "$WORK/stderr")"

# Every point is validated before any runs.
cat >bad.yaml <<'YAML'
sweep: 1
base: base.yaml
grid: {vars.order: [50, 60], simulation.dt: [0.1, -1.0]}
output: out/bad
YAML
expect_exit 2 "invalid point rejected up front" "$NMSIM" sweep bad.yaml
grep -q "simulation.dt: must be > 0.*sweep point 000001" "$WORK/stderr" && pass "names the point and key" || fail "$(cat "$WORK/stderr")"
[ ! -e out/bad ] && pass "nothing written for an invalid sweep" || fail "out/bad exists"

# A point that fails at run time (memory guard) is recorded; the others run; exit code 1.
cat >fail.yaml <<'YAML'
sweep: 1
base: base.yaml
grid: {vars.order: [50, 100000000]}
set: {simulation.duration: 50}
output: out/fail
YAML
expect_exit 1 "failed point gives exit 1" "$NMSIM" sweep fail.yaml --jobs 2
$PY - <<'PY' && pass "failure recorded in the manifest" || fail "manifest of failed sweep"
import json
m = json.load(open("out/fail/manifest.json"))
st = {p["id"]: p for p in m["points"]}
assert st["000000"]["status"] == "done" and st["000001"]["status"] == "failed", st
assert "needs about" in st["000001"]["error"], st["000001"]["error"]
PY

# SIGKILL in the middle, then resume: every point present exactly once and valid.
cat >k.yaml <<'YAML'
sweep: 1
base: base.yaml
grid: {vars.g: [4.0, 5.0, 6.0, 7.0, 8.0, 9.0]}
set: {vars.order: 400, simulation.duration: 300}
output: out/k
YAML
setsid "$NMSIM" sweep k.yaml --jobs 2 >k.log 2>&1 &
pid=$!
for _ in $(seq 1 300); do
    [ "$(ls out/k/points/*.h5 2>/dev/null | wc -l)" -ge 1 ] && break
    sleep 0.1
done
kill -9 -- -"$pid" 2>/dev/null # the whole process group: runner and workers
wait "$pid" 2>/dev/null
n_before=$(ls out/k/points/*.h5 2>/dev/null | wc -l)
[ "$n_before" -ge 1 ] && [ "$n_before" -lt 6 ] && pass "killed mid-sweep with $n_before of 6 points" || fail "kill timing: $n_before points"
expect_exit 0 "resume after SIGKILL" "$NMSIM" sweep k.yaml --resume --jobs 2
$PY - <<'PY' && pass "every point exactly once and valid after resume" || fail "points after resume"
import glob, h5py, json, os
files = sorted(glob.glob("out/k/points/*"))
h5 = [f for f in files if f.endswith(".h5")]
assert len(h5) == 6, files
assert not [f for f in files if ".tmp-" in f or f.endswith(".error")], files
for i, f in enumerate(h5):
    pt = json.loads(h5py.File(f)["nmsim/sweep_point"][()])
    assert pt["index"] == i and pt["metrics"]["mean_rate"] > 0
assert json.load(open("out/k/manifest.json"))["done"] == 6
PY
finish
