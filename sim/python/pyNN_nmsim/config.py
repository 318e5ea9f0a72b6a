"""Compiles the PyNN network held by simulator.State into one nmsim config (a dict written as JSON)."""
import os
import tempfile

import numpy as np

# PyNN state-variable names that nmsim spells differently
STATE_NAMES = {"isyn_exc": "i_syn_exc", "isyn_inh": "i_syn_inh"}


def _number_or_list(values):
    """One number when every neuron has the same value, else one per neuron."""
    a = np.asarray(values, dtype=float).reshape(-1)
    if a.size and np.all(a == a[0]):
        return float(a[0])
    return [float(x) for x in a]


def population_entry(pop):
    entry = {"size": int(pop.size), "model": pop.celltype.nmsim_model}
    params, spike_times = {}, None
    for name, value in pop._parameters.items():
        if name == "spike_times":
            seqs = [v.value if hasattr(v, "value") else np.asarray(v) for v in np.asarray(value, dtype=object).reshape(-1)]
            spike_times = [[float(t) for t in np.asarray(s, dtype=float).reshape(-1)] for s in seqs]
            continue
        params[name] = _number_or_list(value)
    if params:
        entry["params"] = params
    if spike_times is not None:
        entry["spike_times"] = spike_times
    if getattr(pop, "_needs_positions", False):  # a distance_dependent projection reads them
        entry["positions"] = np.asarray(pop.positions, dtype=float).T.tolist()
    initial = {}
    for var, values in pop._initial.items():
        var = STATE_NAMES.get(var, var)
        initial[var] = _number_or_list(values)
    if initial:
        entry["initial"] = initial
    return entry


def network_config(state, t_stop, build_only=False, record_edges=()):
    """(config dict, {internal key: PyNN name}) for a run to t_stop (plus one sample past it), or a build
    that only exports the edges of `record_edges` (projection objects)."""
    dt = state.dt
    names = {}
    pops = {}
    for pop in state.populations:
        pops[pop._nmsim_name] = population_entry(pop)
        names["populations." + pop._nmsim_name] = "Population '%s'" % pop.label
    projections = {}
    for prj in state.projections:
        for key, entry in prj._nmsim_entries():
            projections[key] = entry
            names["projections." + key] = "Projection '%s'" % prj.label
    stimuli = {}
    for k, source in enumerate(state.current_sources):
        for j, entry in enumerate(source.stimulus_entries(dt)):
            key = "s%d_%d" % (k, j)
            stimuli[key] = entry
            names["stimuli." + key] = type(source).__name__
    recorders = {}
    longest = dt
    if not build_only:
        spiking = [r.population._nmsim_name for r in state.recorders if r.recorded.get("spikes")]
        if spiking:
            recorders["spikes"] = {"type": "spikes", "populations": sorted(set(spiking))}
        for r in state.recorders:
            pop = r.population
            for var, ids in r.recorded.items():
                if var == "spikes" or not ids:
                    continue
                key = "%s_%s" % (pop._nmsim_name, var)
                recorders[key] = {"type": "state", "population": pop._nmsim_name,
                                  "variable": STATE_NAMES.get(var, var),
                                  "ids": sorted(int(i) - pop.first_id for i in ids),
                                  "interval": float(r.sampling_interval)}
                longest = max(longest, float(r.sampling_interval))
    learned = [] if build_only else [p for p in state.projections if p._plastic() and p not in record_edges]
    for prj in list(record_edges) + learned:
        for key, _ in prj._nmsim_entries():
            recorders["w_" + key] = {"type": "weights", "projection": key}
    # State signals include the sample at t_stop, so the run goes one interval past it.
    duration = dt if build_only else t_stop + longest
    config = {
        "nmsim": 1,
        "simulation": {"duration": round(duration / dt) * dt, "dt": dt, "seed": int(state.seed),
                       "threads": int(state.threads), "engine": state.engine},
        "populations": pops,
    }
    if projections:
        config["projections"] = projections
    if stimuli:
        config["stimuli"] = stimuli
    if recorders:
        config["recorders"] = recorders
    return config, names
