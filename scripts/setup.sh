#!/usr/bin/env bash
# Installs every Debian package nmsim needs and builds it (Release) into build/.
# Usage: scripts/setup.sh            (as root or with sudo available)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config git
  libboost-dev          # Boost.Math: Poisson CDF for the input generator
  libhdf5-dev           # SONATA HDF5 output (C API)
  libyaml-cpp-dev       # configs; yaml-cpp keeps line:column marks for error messages
  libgtest-dev libgmock-dev
  libcli11-dev          # command line (header-only, subcommands, validators)
  librandom123-dev      # Philox counter-based RNG: draws keyed by ids, not threads
  libmuparser-dev       # arithmetic expressions over `vars` in configs
  libfmt-dev            # formatting (g++ 12 has no std::format)
  nlohmann-json3-dev    # --json summaries and provenance
  libbenchmark-dev      # Google Benchmark micro-benchmarks
  python3-h5py python3-numpy python3-matplotlib  # tests reading HDF5 with h5py; plots
  python3-brian         # the Brian2 peer in scripts/bench/brunel.sh
  python3-pynn python3-neo  # PyNN API (pyNN.nmsim backend, pyNN.brian2 peer) and its neo data model
  python3-yaml              # pyNN.nmsim export_yaml
  libopenmpi-dev openmpi-bin   # `mpirun nmsim sweep` and its test
  slurm-wlm munge              # a real single-node Slurm for the sweep test (started by the test)
)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Warnings are errors in CI (CI=true), plain warnings elsewhere.
WERROR=OFF
if [ "${CI:-}" = "true" ]; then WERROR=ON; fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DNMSIM_WERROR="$WERROR"
cmake --build build -j"$(nproc)"
echo "setup: built build/nmsim"

# pyNN.nmsim: the backend package lives in sim/python; Debian's pyNN finds it through a symlink.
PYNN_DIR="$(/usr/bin/python3 -c 'import os, pyNN; print(os.path.dirname(pyNN.__file__))')"
if [ "$(readlink -f "$PYNN_DIR/nmsim" 2>/dev/null)" != "$(pwd)/sim/python/pyNN_nmsim" ]; then
  $SUDO ln -sfn "$(pwd)/sim/python/pyNN_nmsim" "$PYNN_DIR/nmsim"
fi
/usr/bin/python3 -c "import pyNN.nmsim" && echo "setup: pyNN.nmsim importable ($PYNN_DIR/nmsim)"
