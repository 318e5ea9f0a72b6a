"""
PyNN's standard cell types, synapse and current sources as nmsim models. Parameter names are PyNN's
throughout (nmsim's models were named after them); the translations only rescale where units differ.
"""
import numpy as np
from pyNN.standardmodels import cells, synapses, electrodes, build_translations, StandardCurrentSource
from pyNN import errors
from pyNN.parameters import Sequence
from . import simulator


def _identity(*names):
    return build_translations(*[(n, n) for n in names])


class IF_curr_delta(cells.IF_curr_delta):
    __doc__ = cells.IF_curr_delta.__doc__
    nmsim_model = "lif_delta"
    translations = _identity("v_rest", "cm", "tau_m", "tau_refrac", "i_offset", "v_reset", "v_thresh")


class IF_curr_exp(cells.IF_curr_exp):
    __doc__ = cells.IF_curr_exp.__doc__
    nmsim_model = "lif_exp"
    translations = _identity("tau_m", "cm", "v_rest", "v_thresh", "v_reset", "tau_refrac", "i_offset",
                             "tau_syn_E", "tau_syn_I")


class IF_curr_alpha(cells.IF_curr_alpha):
    __doc__ = cells.IF_curr_alpha.__doc__
    nmsim_model = "lif_alpha"
    translations = IF_curr_exp.translations


class IF_cond_exp(cells.IF_cond_exp):
    __doc__ = cells.IF_cond_exp.__doc__
    nmsim_model = "lif_cond_exp"
    translations = _identity("tau_m", "cm", "v_rest", "v_thresh", "v_reset", "tau_refrac", "i_offset",
                             "tau_syn_E", "tau_syn_I", "e_rev_E", "e_rev_I")


class IF_cond_alpha(cells.IF_cond_alpha):
    __doc__ = cells.IF_cond_alpha.__doc__
    nmsim_model = "lif_cond_alpha"
    translations = IF_cond_exp.translations


class EIF_cond_exp_isfa_ista(cells.EIF_cond_exp_isfa_ista):
    __doc__ = cells.EIF_cond_exp_isfa_ista.__doc__
    nmsim_model = "adex"
    translations = _identity("cm", "tau_refrac", "v_spike", "v_reset", "v_rest", "tau_m", "i_offset", "a",
                             "b", "delta_T", "tau_w", "v_thresh", "e_rev_E", "tau_syn_E", "e_rev_I",
                             "tau_syn_I")


class Izhikevich(cells.Izhikevich):
    __doc__ = cells.Izhikevich.__doc__
    nmsim_model = "izhikevich"
    # nmsim's i_offset is NEST's I_e (pA); PyNN's is nA.
    translations = build_translations(
        ("a", "a"), ("b", "b"), ("c", "c"), ("d", "d"),
        ("i_offset", "i_offset", 1000.0))


class SpikeSourcePoisson(cells.SpikeSourcePoisson):
    __doc__ = cells.SpikeSourcePoisson.__doc__
    nmsim_model = "spike_source_poisson"
    translations = _identity("rate", "start", "duration")


class SpikeSourceArray(cells.SpikeSourceArray):
    __doc__ = cells.SpikeSourceArray.__doc__
    nmsim_model = "spike_source_array"
    translations = _identity("spike_times")


class StaticSynapse(synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = _identity("weight", "delay")

    def _get_minimum_delay(self):
        d = simulator.state.min_delay
        return simulator.state.dt if d == "auto" else d


# --- plasticity (docs/plasticity.md): NEST's stdp_synapse semantics, delays dendritic ---------------

class STDPMechanism(synapses.STDPMechanism):
    __doc__ = synapses.STDPMechanism.__doc__
    base_translations = _identity("weight", "delay", "dendritic_delay_fraction")

    def __init__(self, timing_dependence=None, weight_dependence=None, voltage_dependence=None,
                 dendritic_delay_fraction=1.0, weight=0.0, delay=None):
        if dendritic_delay_fraction != 1:
            raise ValueError("pyNN.nmsim treats delays as dendritic for STDP, as NEST does "
                             "(dendritic_delay_fraction = 1)")
        if voltage_dependence is not None:
            raise errors.NoModelAvailableError("pyNN.nmsim: no voltage-dependent plasticity")
        super().__init__(timing_dependence, weight_dependence, voltage_dependence, dendritic_delay_fraction,
                         weight, delay)

    def _get_minimum_delay(self):
        d = simulator.state.min_delay
        return simulator.state.dt if d == "auto" else d

    def nmsim_plasticity(self):
        """synapse.plasticity of the nmsim config."""
        params = self.native_parameters
        def value(name):
            v = params[name]
            if not v.is_homogeneous:
                raise errors.InvalidParameterValueError(
                    "pyNN.nmsim: STDP parameter %s must be one value per projection" % name)
            v.shape = (1,)
            return float(v.evaluate(simplify=True))
        out = {"rule": "stdp", "pairing": "all_to_all",
               "weight_dependence": self.weight_dependence.nmsim_dependence}
        for name in ("tau_plus", "tau_minus", "A_plus", "A_minus", "w_min", "w_max"):
            out[name] = value(name)
        return out

    @property
    def possible_models(self):
        return {"stdp"}


class SpikePairRule(synapses.SpikePairRule):
    __doc__ = synapses.SpikePairRule.__doc__
    translations = _identity("tau_plus", "tau_minus", "A_plus", "A_minus")
    possible_models = {"stdp"}


class AdditiveWeightDependence(synapses.AdditiveWeightDependence):
    __doc__ = synapses.AdditiveWeightDependence.__doc__
    translations = _identity("w_min", "w_max")
    possible_models = {"stdp"}
    nmsim_dependence = "additive"


class MultiplicativeWeightDependence(synapses.MultiplicativeWeightDependence):
    __doc__ = synapses.MultiplicativeWeightDependence.__doc__
    translations = _identity("w_min", "w_max")
    possible_models = {"stdp"}
    nmsim_dependence = "multiplicative"


# --- current sources ------------------------------------------------------------------------------

class _CurrentSource(StandardCurrentSource):
    """A PyNN current source: nmsim stimuli of its kind, one per population it is injected into."""
    nmsim_kind = None

    def __init__(self, **parameters):
        from pyNN.parameters import ParameterSpace
        object.__setattr__(self, "_params", {})
        object.__setattr__(self, "_targets", [])  # (population, local indices)
        super(StandardCurrentSource, self).__init__(**parameters)
        simulator.state.current_sources.append(self)
        space = ParameterSpace(self.default_parameters, self.get_schema(), shape=(1,))
        space.update(**parameters)
        self.set_native_parameters(self.translate(space))

    def set_native_parameters(self, parameters):
        if getattr(self, "_targets", None):
            simulator.state.check_unfrozen("changing a current source")
        parameters.evaluate(simplify=True)
        for name, value in parameters.items():
            if isinstance(value, Sequence):
                value = value.value
            elif isinstance(value, np.ndarray) and value.size == 1:
                value = value.item()
            self._params[name] = value
        simulator.state.changed()

    def get_native_parameters(self):
        from pyNN.parameters import ParameterSpace
        return ParameterSpace(dict(self._params), self.get_schema(), shape=None)

    def inject_into(self, cells):
        simulator.state.check_unfrozen("injecting a current")
        from pyNN.common import Population, PopulationView, Assembly
        by_population = {}
        if isinstance(cells, (Population, PopulationView, Assembly)):
            cells = cells.all_cells
        for cell in cells:
            if not cell.celltype.injectable:
                raise TypeError("Can't inject current into a spike source.")
            pop = cell.parent  # IDs belong to their Population, whatever view listed them
            by_population.setdefault(id(pop), (pop, []))[1].append(int(cell) - pop.first_id)
        for pop, indices in by_population.values():
            self._targets.append((pop, sorted(set(indices))))
        simulator.state.changed()

    def stimulus_entries(self, dt):
        """The nmsim stimulus entries (name suffix, dict) for each population injected into."""
        out = []
        for k, (pop, indices) in enumerate(self._targets):
            entry = {"type": self.nmsim_kind, "target": pop._nmsim_name}
            if len(indices) != pop.size:
                entry["ids"] = [int(i) for i in indices]
            entry.update(self._nmsim_params(dt))
            out.append(entry)
        return out

    def _get_data(self):
        raise NotImplementedError("pyNN.nmsim does not record the current of a current source; record "
                                  "the membrane potential of a target instead")


class DCSource(_CurrentSource, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    nmsim_kind = "dc"
    translations = _identity("amplitude", "start", "stop")

    def _nmsim_params(self, dt):
        p = self._params
        return {"amplitude": float(p["amplitude"]), "start": float(p["start"]), "stop": float(p["stop"])}


class ACSource(_CurrentSource, electrodes.ACSource):
    __doc__ = electrodes.ACSource.__doc__
    nmsim_kind = "ac"
    translations = _identity("amplitude", "start", "stop", "frequency", "offset", "phase")

    def _nmsim_params(self, dt):
        return {k: float(v) for k, v in self._params.items()}


class StepCurrentSource(_CurrentSource, electrodes.StepCurrentSource):
    __doc__ = electrodes.StepCurrentSource.__doc__
    nmsim_kind = "step"
    translations = _identity("amplitudes", "times")

    def _nmsim_params(self, dt):
        times = np.asarray(self._params["times"], dtype=float)
        amps = np.asarray(self._params["amplitudes"], dtype=float)
        if times.size != amps.size:
            raise errors.InvalidParameterValueError("StepCurrentSource: times and amplitudes differ in length")
        return {"times": times.tolist(), "amplitudes": amps.tolist()}


class NoisyCurrentSource(_CurrentSource, electrodes.NoisyCurrentSource):
    __doc__ = electrodes.NoisyCurrentSource.__doc__
    nmsim_kind = "noisy"
    translations = _identity("mean", "stdev", "start", "stop", "dt")

    def _nmsim_params(self, dt):
        p = self._params
        interval = float(p["dt"]) if p.get("dt") else dt
        return {"mean": float(p["mean"]), "stdev": float(p["stdev"]), "start": float(p["start"]),
                "stop": float(p["stop"]), "interval": interval}
