# Shared helpers for the integration tests: `check NAME COMMAND...` and `fail MESSAGE`.
set -u
NMSIM=$1
SRC=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PY=/usr/bin/python3 # Debian's python, where python3-h5py lives
failures=0
passes=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; passes=$((passes + 1)); }
finish() {
    echo "$passes passed, $failures failed"
    [ "$failures" -eq 0 ]
}
# expect_exit CODE DESCRIPTION COMMAND...: runs the command, checks its exit code.
expect_exit() {
    local want=$1 what=$2
    shift 2
    "$@" >"$WORK/stdout" 2>"$WORK/stderr"
    local got=$?
    if [ "$got" -eq "$want" ]; then pass "$what (exit $got)"; else fail "$what: exit $got, wanted $want; stderr: $(cat "$WORK/stderr")"; fi
}
# small_sweep NAME: a 6-point Brunel sweep (order 60, 150 ms) over base.yaml writing to out/NAME.
small_sweep() {
    cat >"$1.yaml" <<YAML
sweep: 1
base: base.yaml
grid: {vars.g: [3.0, 5.0, 7.0], vars.eta: [1.5, 2.5]}
set: {vars.order: 60, simulation.duration: 150}
output: out/$1
YAML
}
