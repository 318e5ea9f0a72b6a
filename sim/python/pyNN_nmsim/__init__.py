"""
nmsim as a PyNN backend: `import pyNN.nmsim as sim`.

Beyond PyNN: setup(threads=, rng_seed=, chip=) runs on nmsim's threads, seeds its counter-based
streams and (chip=) quantises to a chip profile; footprint() maps the network onto chip profiles;
export_config() writes the nmsim config the script builds. See docs/pynn.md.
"""
import json
import logging
import os
import shutil

from pyNN import common, errors
from pyNN.common.control import DEFAULT_MAX_DELAY, DEFAULT_TIMESTEP, DEFAULT_MIN_DELAY
from pyNN.connectors import *  # noqa: F401,F403
from pyNN.recording import *  # noqa: F401,F403
from pyNN.random import NumpyRNG, RandomDistribution  # noqa: F401
from pyNN.space import *  # noqa: F401,F403
from . import simulator
from .standardmodels import *  # noqa: F401,F403
from pyNN.standardmodels import StandardCellType
from .populations import Population, PopulationView, Assembly
from .projections import Projection
from neo.io import get_io

logger = logging.getLogger("PyNN")


def list_standard_models():
    """The StandardCellType classes nmsim provides."""
    return [obj.__name__ for obj in globals().values()
            if isinstance(obj, type) and issubclass(obj, StandardCellType) and hasattr(obj, "nmsim_model")]


def setup(timestep=DEFAULT_TIMESTEP, min_delay=DEFAULT_MIN_DELAY, **extra_params):
    """PyNN's setup, plus `threads` (nmsim threads; results do not depend on it), `rng_seed` (the seed of
    nmsim's streams), `chip` (quantise weights and delays to a chip profile), `engine` ("auto", "clock"
    or "event": nmsim's simulation.engine, docs/engine.md), `max_memory`, `keep_files`."""
    max_delay = extra_params.get("max_delay", DEFAULT_MAX_DELAY)
    common.setup(timestep, min_delay, **extra_params)
    state = simulator.state
    state.clear()
    state.dt = timestep
    state.min_delay = timestep if min_delay == "auto" else min_delay
    state.max_delay = max_delay
    state.threads = int(extra_params.get("threads", 1))
    state.seed = int(extra_params.get("rng_seed", extra_params.get("seed", 1)))
    state.chip = extra_params.get("chip")
    state.engine = extra_params.get("engine", "auto")
    if state.engine not in ("auto", "clock", "event"):
        raise errors.InvalidParameterValueError(
            "setup: engine must be 'auto', 'clock' or 'event', not %r" % (state.engine,))
    state.max_memory = extra_params.get("max_memory")
    state.keep_files = bool(extra_params.get("keep_files", False))
    return 0


def end(compatible_output=True):
    """Writes the data requested with write_on_end and removes nmsim's temporary files."""
    for (population, variables, filename) in simulator.state.write_on_end:
        io = get_io(filename)
        population.write_data(io, variables)
    simulator.state.write_on_end = []
    if simulator.state._workdir:
        shutil.rmtree(simulator.state._workdir, ignore_errors=True)
        simulator.state._workdir = None


run, run_until = common.build_run(simulator)
run_for = run
reset = common.build_reset(simulator)
initialize = common.initialize
get_current_time, get_time_step, get_min_delay, get_max_delay, num_processes, rank = \
    common.build_state_queries(simulator)
create = common.build_create(Population)
connect = common.build_connect(Projection, FixedProbabilityConnector, StaticSynapse)  # noqa: F405
record = common.build_record(simulator)


def record_v(source, filename):
    return record(["v"], source, filename)


def record_gsyn(source, filename):
    return record(["gsyn_exc", "gsyn_inh"], source, filename)


def export_yaml(path, duration=None):
    """Writes the nmsim config of the network built so far (YAML; edge lists as CSV files beside it),
    which `nmsim run PATH` reproduces spike for spike. `duration` defaults to the current time."""
    import yaml
    from .config import network_config
    t = duration if duration is not None else simulator.state.t
    config, _ = network_config(simulator.state, t)
    config["simulation"]["duration"] = round(t / simulator.state.dt) * simulator.state.dt
    folder = os.path.dirname(os.path.abspath(path))
    stem = os.path.splitext(os.path.basename(path))[0]
    for key, entry in config.get("projections", {}).items():
        if entry["connector"]["rule"] == "from_file":
            name = "%s_%s.csv" % (stem, key)
            shutil.copyfile(entry["connector"]["file"], os.path.join(folder, name))
            entry["connector"]["file"] = name  # relative to the config
    config["output"] = {"path": stem + ".h5"}
    with open(path, "w") as f:
        f.write("# written by pyNN.nmsim export_yaml; run with: nmsim run %s\n" % os.path.basename(path))
        yaml.safe_dump(config, f, sort_keys=False, default_flow_style=None, width=120)
    return path


export_config = export_yaml


def footprint(chips="all"):
    """Maps the network built so far onto chip profiles (`nmsim footprint`): a dict with the JSON
    result, and its printable table under "table"."""
    from .config import network_config
    config, names = network_config(simulator.state, 0.0, build_only=True)
    result = json.loads(simulator.run_nmsim("footprint", config, names, ["--chips", chips, "--format", "json"]))
    if not isinstance(result, dict):
        result = {"chips": result}
    result["table"] = simulator.run_nmsim("footprint", config, names, ["--chips", chips, "--format", "table"])
    return result


def last_run_summary():
    """nmsim's summary of the run behind the current results (rates, synapses, bytes, timings)."""
    return simulator.state.results.summary
