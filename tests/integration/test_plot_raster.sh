# scripts/plot_raster.py draws a PNG raster and rate histogram from an output file.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
"$NMSIM" run "$SRC/configs/brunel_delta.yaml" --set vars.order=100 --set simulation.duration=200 -o run.h5 -q || fail "run"
$PY "$SRC/scripts/plot_raster.py" run.h5 -o raster.png >/dev/null && pass "plot_raster ran" || fail "plot_raster failed"
$PY - <<'PY' && pass "PNG written with content" || fail "PNG"
import struct
data = open("raster.png", "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
w, h = struct.unpack(">II", data[16:24])
assert w > 500 and h > 400 and len(data) > 20000, (w, h, len(data))
PY
"$NMSIM" run "$SRC/configs/izhikevich_pulse.yaml" -o izh.h5 -q
$PY "$SRC/scripts/plot_raster.py" izh.h5 -o izh.png >/dev/null && [ -s izh.png ] && pass "plot of a small network" || fail "izhikevich plot"
finish
