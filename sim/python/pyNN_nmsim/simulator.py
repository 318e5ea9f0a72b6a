"""
The nmsim side of the PyNN backend: the network a script builds becomes one nmsim config (JSON, which
the YAML loader reads), run by the `nmsim` binary into a SONATA file read back with h5py.

Why the CLI and not an extension module: the same loader, validation, memory guard, storage ladder and
provenance serve PyNN users and config users, errors come back as nmsim's file:line:key messages, and
the output file of every PyNN run is a SONATA file other tools read. The cost is a process start and a
file (tens of ms, docs/pynn.md), against 10-50 s of C++ compilation for a pyNN.brian2 run.

nmsim runs are deterministic (counter-based streams keyed by ids), so run() can re-simulate from t = 0
to the new end time and get exactly the continuation. Simulation is deferred until results are needed
(get_data, spike counts, end), so `for _ in range(100): run(10)` costs one simulation.
"""
import json
import os
import shutil
import subprocess
import tempfile

import numpy as np
from pyNN import common, errors

name = "nmsim"


def _find_binary():
    env = os.environ.get("NMSIM_BINARY")
    if env:
        return env
    # sim/python/pyNN_nmsim -> the repository's build/nmsim (the package is a symlink into the checkout)
    here = os.path.dirname(os.path.realpath(__file__))
    candidate = os.path.normpath(os.path.join(here, "..", "..", "..", "build", "nmsim"))
    if os.path.exists(candidate):
        return candidate
    found = shutil.which("nmsim")
    if found:
        return found
    raise errors.InvalidModelError("pyNN.nmsim: the nmsim binary was not found (build it, or set NMSIM_BINARY)")


class NmsimError(Exception):
    """nmsim refused or failed a run for a reason that is not a bad parameter (memory, I/O)."""


class ID(int, common.IDMixin):
    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


class State(common.control.BaseState):
    def __init__(self):
        common.control.BaseState.__init__(self)
        self.mpi_rank = 0
        self.num_processes = 1
        self.dt = 0.1
        self.threads = 1
        self.seed = 1
        self.chip = None
        self.engine = "auto"
        self.max_memory = None
        self.keep_files = False
        self.clear()

    # --- PyNN's control interface ---------------------------------------------------------------
    def run(self, simtime):
        self.run_until(self.t + simtime)

    def run_until(self, tstop):
        self.t = tstop
        self.running = True
        self._results = None  # simulated lazily, from 0 to t

    def clear(self):
        if getattr(self, "_workdir", None):
            shutil.rmtree(self._workdir, ignore_errors=True)
        self._workdir = None
        self._edges = None
        self.recorders = set()
        self.populations = []
        self.projections = []
        self.current_sources = []
        self.id_counter = 0
        self.segment_counter = -1
        self.write_on_end = []
        self.reset()

    def reset(self):
        self.running = False
        self.t = 0.0
        self.t_start = 0.0
        self.segment_counter += 1
        self._results = None

    # --- changes after a run --------------------------------------------------------------------
    def check_unfrozen(self, what):
        """Changes after run() would be re-simulated from t = 0: refuse them until reset()."""
        if self.t > 0:
            raise errors.InvalidParameterValueError(
                "pyNN.nmsim: %s at t = %g ms would apply from t = 0 (nmsim re-simulates runs from the start); "
                "call reset() first, or express the change in time (e.g. a StepCurrentSource)" % (what, self.t))

    # --- the network changed: results and connections must be recomputed --------------------------
    def changed(self):
        self._results = None
        self._edges = None

    def workdir(self):
        """A folder for edge files, kept until end() or setup()."""
        if not self._workdir:
            self._workdir = tempfile.mkdtemp(prefix="pynn_nmsim_edges_")
        return self._workdir

    def population_by_name(self, name):
        return self.populations[int(name[1:])]

    def locate(self, ids):
        """(population index, local index) arrays for global ids."""
        firsts = np.array([p.first_id for p in self.populations], dtype=np.int64)
        which = np.searchsorted(firsts, ids, side="right") - 1
        return which, np.asarray(ids, dtype=np.int64) - firsts[which]

    def validate(self, what):
        """Checks the network so far with `nmsim validate`: bad values fail where they are given."""
        from .config import network_config
        try:
            config, names = network_config(self, 0.0, build_only=True)
            run_nmsim("validate", config, names)
        except Exception:
            # a rejected object is not part of the network
            if any(p is what for p in self.populations) and what is self.populations[-1] and what._fresh:
                self.populations.pop()
                self.id_counter -= what.size
            elif what in self.projections and what is self.projections[-1]:
                self.projections.pop()
            self.changed()
            raise

    def edges(self):
        """{nmsim projection key: (source, target, weight, delay)} from one build of the network."""
        if self._edges is None:
            from .config import network_config
            compiled = network_config(self, 0.0, build_only=True, record_edges=self.projections)
            self._edges = run_config(compiled, self).edges
        return self._edges

    def draw_edges(self, projection, rule):
        """nmsim draws `rule` between stand-in populations of the projection's end sizes (positions
        included for distance rules), with the projection's values; returns (pre index, post index,
        weight, delay). The seed is keyed by the projection's index, so two such projections differ."""
        n_pre, n_post = projection.pre.size, projection.post.size
        pops = {"a": {"size": int(n_pre), "model": "lif_delta"}, "b": {"size": int(n_post), "model": "lif_delta"}}
        if rule["rule"] == "distance_dependent":
            pops["a"]["positions"] = np.asarray(projection.pre.positions, dtype=float).T.tolist()
            pops["b"]["positions"] = np.asarray(projection.post.positions, dtype=float).T.tolist()
        config = {"nmsim": 1,
                  "simulation": {"duration": self.dt, "dt": self.dt, "seed": int(self.seed) * 1000003 + projection._index,
                                 "threads": int(self.threads)},
                  "populations": pops,
                  "projections": {"p": {"source": "a", "target": "b", "connector": rule,
                                        "synapse": {"weight": projection._weight, "delay": projection._delay}}},
                  "recorders": {"w": {"type": "weights", "projection": "p"}}}
        names = {"projections.p": "Projection '%s'" % projection.label}
        # float values: a chip run quantises the network these edges go into, once
        return run_config((config, names), self, chip_run=False).edges["p"]

    # --- results --------------------------------------------------------------------------------
    @property
    def results(self):
        """The SONATA results of a run from 0 to t (and one sample past it for state signals)."""
        if self._results is None:
            from .config import network_config
            # an empty network only advances time, as in other backends
            self._results = Results(None, {}) if not self.populations else run_config(network_config(self, self.t), self)
        return self._results


state = State()


class Results:
    """What one nmsim run returned: spikes per population, state signals, edges, the summary."""

    def __init__(self, path, summary):
        import h5py
        self.summary = summary
        self.spikes = {}
        self.signals = {}
        self.edges = {}
        if path is None:
            return
        with h5py.File(path, "r") as f:
            for pop in f.get("spikes", {}):
                g = f["spikes"][pop]
                self.spikes[pop] = (g["node_ids"][:].astype(np.int64), g["timestamps"][:])
            for pop in f.get("report", {}):
                for var in f["report"][pop]:
                    g = f["report"][pop][var]
                    if isinstance(g, h5py.Group) and "data" in g:
                        self.signals[(pop, var)] = (g["mapping/node_ids"][:].astype(np.int64), g["data"][:])
            for proj in f.get("edges", {}):
                g = f["edges"][proj]
                self.edges[proj] = (g["source_node_id"][:].astype(np.int64), g["target_node_id"][:].astype(np.int64),
                                    g["0/syn_weight"][:], g["0/delay"][:])


def _translate_error(message, names):
    """nmsim's message names internal keys (populations.p0...) in a generated file: name the PyNN
    objects instead, and drop the file:line:column of the generated config."""
    import re
    message = re.sub(r"\S*network\.json:\d+:\d+: ", "", message)
    for internal in sorted(names, key=len, reverse=True):
        message = re.sub(re.escape(internal) + r"(?![0-9_])", names[internal], message)
    return "pyNN.nmsim: " + message


def run_nmsim(what, config, names, args=(), work=None):
    """Runs `nmsim <what> CONFIG args...` on `config` (a dict) in `work`; returns stdout. Config errors
    (exit 2) become PyNN's error types, with the PyNN objects' labels in the message."""
    own = work is None
    work = work or tempfile.mkdtemp(prefix="pynn_nmsim_")
    path = os.path.join(work, "network.json")
    with open(path, "w") as f:
        json.dump(config, f, indent=1)
    proc = subprocess.run([_find_binary(), what, path] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    if own:
        shutil.rmtree(work, ignore_errors=True)
    if proc.returncode != 0:
        message = _translate_error(proc.stderr.strip() or proc.stdout.strip(), names)
        if proc.returncode == 2:  # a config error: a bad parameter or connection
            if ".connector" in message or "projections." in message:
                raise errors.ConnectionError(message)
            raise errors.InvalidParameterValueError(message)
        raise NmsimError("nmsim %s failed (exit %d): %s" % (what, proc.returncode, message))
    return proc.stdout


def run_config(compiled, state, chip_run=True):
    """Runs a compiled config into a temporary SONATA file and reads it back; `chip_run`: quantise to
    setup(chip=...)'s profile."""
    config, names = compiled
    work = tempfile.mkdtemp(prefix="pynn_nmsim_")
    out = os.path.join(work, "out.h5")
    args = ["-o", out, "--json", "-q"]
    if state.chip and chip_run:
        args += ["--chip", state.chip]
    if state.max_memory:
        args += ["--max-memory", str(state.max_memory)]
    try:
        stdout = run_nmsim("run", config, names, args, work)
        results = Results(out, json.loads(stdout) if stdout.strip() else {})
        if state.keep_files:
            results.path = out
    finally:
        if not state.keep_files:
            shutil.rmtree(work, ignore_errors=True)
    return results
