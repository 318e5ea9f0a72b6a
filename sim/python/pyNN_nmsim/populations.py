"""Populations hold their parameters and initial values as per-neuron arrays (PyNN units); the
config compiler turns equal arrays into one value and unequal ones into nmsim's per-neuron lists."""
import numpy as np
from pyNN import common, errors
from pyNN.parameters import ParameterSpace, simplify
from pyNN.standardmodels import StandardCellType
from . import simulator
from .recording import Recorder


def _validate_or_restore(what, population, before):
    """A rejected set() leaves the parameters as they were."""
    simulator.state.changed()
    try:
        simulator.state.validate(what)
    except Exception:
        population._parameters.update(before)
        simulator.state.changed()
        raise


class Assembly(common.Assembly):
    _simulator = simulator


class PopulationView(common.PopulationView):
    _assembly_class = Assembly
    _simulator = simulator

    def _get_parameters(self, *names):
        return ParameterSpace({n: simplify(self.grandparent._parameters[n][self.grandparent_mask()])
                               for n in names}, shape=(self.size,))

    def grandparent_mask(self):
        # plain ints: numpy arithmetic on arrays of ID objects probes their attributes, which PyNN's
        # IDMixin answers with a parameter lookup
        return np.asarray(self.all_cells, dtype=np.int64) - int(self.grandparent.first_id)

    def _set_parameters(self, parameter_space):
        simulator.state.check_unfrozen("setting parameters")
        parameter_space.evaluate(simplify=False)
        index = self.grandparent_mask()
        parent = self.grandparent
        before = {name: np.array(parent._parameters[name], copy=True) for name in parameter_space.keys()}
        for name, value in parameter_space.items():
            parent._parameters[name][index] = value
        _validate_or_restore(self, parent, before)

    def _set_initial_value_array(self, variable, initial_values):
        simulator.state.check_unfrozen("setting initial values")
        values = initial_values.evaluate(simplify=False)
        self.grandparent._initial[variable][self.grandparent_mask()] = values
        simulator.state.changed()

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    @property
    def initial_values(self):
        # common.PopulationView leaves this open; the values are the grandparent's, at this view's cells
        index = self.grandparent_mask()
        from lazyarray import larray
        return {v: larray(a[index]) for v, a in self.grandparent._initial.items()}


class Population(common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def __init__(self, *args, **kwargs):
        common.Population.__init__(self, *args, **kwargs)
        simulator.state.validate(self)  # bad values fail here, as other backends fail at creation
        self._fresh = False  # from now on a failed check does not remove it
        self._warn_grid_poisson()

    def _warn_grid_poisson(self):
        """A Poisson source on the dt grid fires at most once per step: say so when that bends the rate."""
        rate = self._parameters.get("rate")
        if rate is None or getattr(self.celltype, "nmsim_model", "") != "spike_source_poisson":
            return
        p = float(np.max(rate)) * simulator.state.dt * 1e-3
        if p > 0.1:
            import warnings
            warnings.warn("pyNN.nmsim: SpikeSourcePoisson '%s' at %g Hz fires at most once per %g ms step, "
                          "%.0f%% below its rate (%.0f Hz); split it into several sources"
                          % (self.label, float(np.max(rate)), simulator.state.dt, 100 * (1 - (1 - np.exp(-p)) / p),
                             (1 - np.exp(-p)) / (simulator.state.dt * 1e-3)))

    def _create_cells(self):
        simulator.state.check_unfrozen("creating a population")
        if not hasattr(self.celltype, "nmsim_model"):
            raise errors.InvalidModelError("pyNN.nmsim has no model for %s" % type(self.celltype).__name__)
        first = simulator.state.id_counter
        self.all_cells = np.array([simulator.ID(i) for i in range(first, first + self.size)], dtype=simulator.ID)
        self._mask_local = np.ones((self.size,), bool)
        for cell in self.all_cells:
            cell.parent = self
        simulator.state.id_counter += self.size
        if isinstance(self.celltype, StandardCellType):
            space = self.celltype.native_parameters
        else:
            space = self.celltype.parameter_space
        space.shape = (self.size,)
        space.evaluate(simplify=False)
        self._parameters = space.as_dict()
        self._initial = {}
        self._nmsim_name = "p%d" % len(simulator.state.populations)
        self._fresh = True
        simulator.state.populations.append(self)
        simulator.state.changed()

    def _set_initial_value_array(self, variable, initial_values):
        simulator.state.check_unfrozen("setting initial values")
        self._initial[variable] = np.array(initial_values.evaluate(simplify=False), dtype=float).reshape(self.size)
        simulator.state.changed()

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    def _get_parameters(self, *names):
        return ParameterSpace({n: simplify(self._parameters[n]) for n in names}, shape=(self.size,))

    def _set_parameters(self, parameter_space):
        simulator.state.check_unfrozen("setting parameters")
        parameter_space.evaluate(simplify=False)
        before = {name: self._parameters[name] for name in parameter_space.keys()}
        for name, value in parameter_space.items():
            self._parameters[name] = value
        _validate_or_restore(self, self, before)
