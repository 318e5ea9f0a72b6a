"""
Projections. Where PyNN's connector and synapse values have an nmsim rule, the connectivity is drawn
by nmsim (C++, counter-based): as the projection's own rule between Populations, or for views and
assemblies between stand-in populations of their sizes, the drawn edges then mapped onto the cells.
The user's own lists (FromList, FromFile, Array) go to nmsim as edge files. Other connectors, values
nmsim cannot draw, and self-connection exclusion between overlapping views use PyNN's own connector
code, whose connections reach nmsim as an edge file.
Weights and delays are read back from nmsim's SONATA edges (the `weights` recorder).
"""
import os

import numpy as np
from pyNN import common, errors
import re

from pyNN.connectors import (AllToAllConnector, OneToOneConnector, FixedProbabilityConnector,
                             FixedNumberPreConnector, FixedNumberPostConnector, FixedTotalNumberConnector,
                             DistanceDependentProbabilityConnector)
from pyNN.random import RandomDistribution
from pyNN.space import Space
from . import simulator

NMSIM_RECEPTORS = ("excitatory", "inhibitory")
_FUNCTIONS = {"exp", "sqrt", "abs", "sin", "cos", "tan", "log", "log10", "min", "max", "d"}


def muparser_expression(python_expression):
    """PyNN's d_expression (Python) as muparser text, or None when it uses more than arithmetic,
    comparisons and the common functions of d."""
    e = re.sub(r"\b(?:np|numpy|math)\.", "", python_expression)
    e = e.replace("**", "^")
    e = re.sub(r"\band\b", "&&", e)
    e = re.sub(r"\bor\b", "||", e)
    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", re.sub(r"\d+\.?\d*[eE][-+]?\d+", "", e)))
    if not names <= _FUNCTIONS or "lambda" in e:
        return None
    e = re.sub(r"\blog\(", "ln(", e)  # muparser's natural logarithm
    return e


def value_spec(lazy):
    """An nmsim value for a LazyArray of synapse values, or None when nmsim cannot draw it."""
    if lazy.operations:
        return None
    base = lazy.base_value
    if isinstance(base, (int, float, np.integer, np.floating)):
        return float(base)
    if isinstance(base, RandomDistribution):
        p = base.parameters
        if base.name == "uniform":
            return {"uniform": [float(p["low"]), float(p["high"])]}
        if base.name == "normal":
            return {"normal": {"mean": float(p["mu"]), "std": float(p["sigma"])}}
        if base.name == "normal_clipped":  # values outside (low, high) are redrawn: a truncated normal
            return {"normal": {"mean": float(p["mu"]), "std": float(p["sigma"]),
                               "min": float(p["low"]), "max": float(p["high"])}}
        if base.name == "lognormal":
            return {"lognormal": {"mu": float(p["mu"]), "sigma": float(p["sigma"])}}
    return None


def _index_map(cells):
    """A function from global ids to positions in `cells` (a Population, view or assembly's cells)."""
    ids = np.asarray(cells, dtype=np.int64)
    order = np.argsort(ids)
    return lambda g: order[np.searchsorted(ids[order], np.asarray(g, dtype=np.int64))]


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator

    def __init__(self, presynaptic_population, postsynaptic_population, connector, synapse_type=None,
                 source=None, receptor_type=None, space=Space(), label=None):
        simulator.state.check_unfrozen("creating a projection")
        common.Projection.__init__(self, presynaptic_population, postsynaptic_population, connector,
                                   synapse_type, source, receptor_type, space, label)
        if self.receptor_type not in NMSIM_RECEPTORS:
            raise errors.ConnectionError("pyNN.nmsim: receptor_type '%s' is not one of %s"
                                         % (self.receptor_type, ", ".join(NMSIM_RECEPTORS)))
        self._index = len(simulator.state.projections)
        self._rule = None   # an nmsim connector (dict) with nmsim values
        self._edges = None  # or explicit (pre index, post index, weight, delay) arrays
        self._files = None  # the edge files written for nmsim
        self.label = self.label or "projection%d" % self._index
        params = self.synapse_type.native_parameters
        if params["delay"].base_value is None:
            params["delay"] = self.synapse_type._get_minimum_delay()
        self._weight = value_spec(params["weight"])
        self._delay = value_spec(params["delay"])
        rule = self._nmsim_rule(connector)
        drawable = rule is not None and self._weight is not None and self._delay is not None
        if drawable and self._plain():
            self._rule = rule
        elif drawable and self._rule_applies_to_subsets(rule):
            # views or assemblies: nmsim draws the rule over their index spaces; the edges come back
            self._set_edges(*simulator.state.draw_edges(self, rule))
        else:  # the user's lists, and what nmsim has no rule for: PyNN's connector code
            self._connect_in_python(connector)
        simulator.state.projections.append(self)
        simulator.state.changed()
        simulator.state.validate(self)

    # --- how the connections are made ------------------------------------------------------------
    def _plain(self):
        """Both ends are whole Populations (an nmsim projection's source and target)."""
        from .populations import Population
        return isinstance(self.pre, Population) and isinstance(self.post, Population)

    def _rule_applies_to_subsets(self, rule):
        """Drawn between stand-in populations of the ends' sizes, a rule means the same unless it must
        exclude self-connections between ends that share cells (the stand-ins share none)."""
        if rule.get("allow_autapses", True):
            return True
        shared = np.intersect1d(np.asarray(self.pre.all_cells, np.int64), np.asarray(self.post.all_cells, np.int64))
        return shared.size == 0

    def _nmsim_rule(self, c):
        autapses = bool(c.allow_self_connections) if hasattr(c, "allow_self_connections") else True
        if hasattr(c, "allow_self_connections") and c.allow_self_connections == "NoMutual":
            return None
        if type(c) is AllToAllConnector:
            return {"rule": "all_to_all", "allow_autapses": autapses}
        if type(c) is OneToOneConnector:
            return {"rule": "one_to_one"}
        if type(c) is FixedProbabilityConnector:
            return {"rule": "pairwise_bernoulli", "p": float(c.p_connect), "allow_autapses": autapses}
        if type(c) is DistanceDependentProbabilityConnector:
            expression = muparser_expression(c.d_expression)
            if expression is None:
                return None
            space = self.space
            rule = {"rule": "distance_dependent", "p": expression, "allow_autapses": autapses,
                    "axes": "".join("xyz"[int(a)] for a in np.asarray(space.axes).ravel()),
                    "scale_factor": float(space.scale_factor), "offset": float(space.offset)}
            if space.periodic_boundaries is not None:
                rule["periodic_boundaries"] = [0.0 if b is None else float(b[1] - b[0])
                                               for b in space.periodic_boundaries]
            self.pre._needs_positions = self.post._needs_positions = True
            return rule
        if type(c) in (FixedNumberPreConnector, FixedNumberPostConnector, FixedTotalNumberConnector):
            if not isinstance(c.n, (int, np.integer)):
                return None  # a RandomDistribution of degrees: PyNN draws them
            key = {FixedNumberPreConnector: ("fixed_indegree", "indegree"),
                   FixedNumberPostConnector: ("fixed_outdegree", "outdegree"),
                   FixedTotalNumberConnector: ("fixed_total_number", "n")}[type(c)]
            return {"rule": key[0], key[1]: int(c.n), "allow_autapses": autapses,
                    "allow_multapses": bool(c.with_replacement)}
        return None

    def _connect_in_python(self, connector):
        self._collected = ([], [], [], [])
        connector.connect(self)  # calls _convergent_connect per target
        src, tgt, w, d = self._collected
        del self._collected
        self._set_edges(np.concatenate(src).astype(np.int64) if src else np.zeros(0, np.int64),
                        np.concatenate(tgt).astype(np.int64) if tgt else np.zeros(0, np.int64),
                        np.concatenate(w) if w else np.zeros(0), np.concatenate(d) if d else np.zeros(0))

    def _convergent_connect(self, presynaptic_indices, postsynaptic_index, **parameters):
        n = len(presynaptic_indices)
        if n == 0:
            return
        src, tgt, w, d = self._collected
        src.append(np.asarray(presynaptic_indices, dtype=np.int64))
        tgt.append(np.full(n, int(postsynaptic_index), dtype=np.int64))
        w.append(np.broadcast_to(np.asarray(parameters["weight"], dtype=float), (n,)).copy())
        d.append(np.broadcast_to(np.asarray(parameters["delay"], dtype=float), (n,)).copy())

    def _set_edges(self, pre_index, post_index, weight, delay):
        """Explicit connections, as indices into self.pre / self.post."""
        order = np.lexsort((post_index, pre_index))
        self._edges = (pre_index[order], post_index[order], np.asarray(weight, float)[order],
                       np.asarray(delay, float)[order])
        self._rule = None
        self._files = None

    # --- what nmsim gets ---------------------------------------------------------------------------
    def _nmsim_entries(self):
        """(key, projection entry) pairs: one for a rule, one per source population for edge lists."""
        key = "j%d" % self._index
        synapse = {"receptor": self.receptor_type}
        if self._plastic():
            synapse["plasticity"] = self.synapse_type.nmsim_plasticity()
        if self._rule is not None:
            synapse.update(weight=self._weight, delay=self._delay)
            return [(key, {"source": self.pre._nmsim_name, "target": self.post._nmsim_name,
                           "connector": self._rule, "synapse": synapse})]
        if self._files is None:
            self._files = self._write_edge_files()
        return [("%s_%d" % (key, k), {"source": src, "target": targets,
                                       "connector": {"rule": "from_file", "file": path},
                                       "synapse": dict(synapse, storage="packed")})
                for k, (src, targets, path) in enumerate(self._files)]

    def _write_edge_files(self):
        """Edge files grouped by source population (an nmsim projection has one source); target ids
        index the target populations, in id order, as nmsim's from_file reads them."""
        state = simulator.state
        pre_ids = np.asarray(self.pre.all_cells, dtype=np.int64)[self._edges[0]]
        post_ids = np.asarray(self.post.all_cells, dtype=np.int64)[self._edges[1]]
        spop, slocal = state.locate(pre_ids)
        tpop, tlocal = state.locate(post_ids)
        targets = sorted(set(tpop.tolist()) | {state.locate(np.asarray(self.post.all_cells[:1], np.int64))[0][0]})
        offsets = np.zeros(len(state.populations), dtype=np.int64)
        off = 0
        for k in targets:
            offsets[k] = off
            off += state.populations[k].size
        sources = sorted(set(spop.tolist())) or [int(state.locate(np.asarray(self.pre.all_cells[:1], np.int64))[0][0])]
        files = []
        for k, p in enumerate(sources):
            mask = spop == p
            rows = np.column_stack([slocal[mask], tlocal[mask] + offsets[tpop[mask]]])
            path = os.path.join(state.workdir(), "edges_%d_%d.csv" % (self._index, k))
            with open(path, "w") as f:
                for (i, j), w, d in zip(rows.tolist(), self._edges[2][mask].tolist(), self._edges[3][mask].tolist()):
                    f.write("%d,%d,%r,%r\n" % (i, j, w, d))
            files.append((state.populations[p]._nmsim_name, [state.populations[t]._nmsim_name for t in targets], path))
        return files

    def _plastic(self):
        return hasattr(self.synapse_type, "nmsim_plasticity")

    # --- reading connections back -------------------------------------------------------------------
    def _connections(self):
        """(pre index, post index, weight, delay) of every connection, as nmsim holds them (rounded
        delays, float32-exact weights; plastic projections after a run: the learned weights)."""
        state = simulator.state
        edges = state.results.edges if self._plastic() and state.t > 0 else state.edges()
        entries = self._nmsim_entries()
        if self._rule is not None:
            return edges[entries[0][0]]
        pre_of = _index_map(self.pre.all_cells)
        post_of = _index_map(self.post.all_cells)
        out = [[], [], [], []]
        for (key, _), (source, targets, _) in zip(entries, self._files):
            s, t, w, d = edges[key]
            tpops = [state.population_by_name(n) for n in targets]
            bounds = np.cumsum([0] + [p.size for p in tpops])
            which = np.searchsorted(bounds, t, side="right") - 1
            first = np.array([p.first_id for p in tpops], dtype=np.int64)
            out[0].append(pre_of(s + state.population_by_name(source).first_id))
            out[1].append(post_of(t - bounds[which] + first[which]))
            out[2].append(w)
            out[3].append(d)
        return tuple(np.concatenate(a) if a else np.zeros(0) for a in out)

    def _no_such_attribute(self, name):
        raise errors.NonExistentParameterError(name, type(self.synapse_type).__name__, ["weight", "delay"])

    def __len__(self):
        return int(len(self._connections()[0]))

    def __getitem__(self, i):
        raise NotImplementedError("pyNN.nmsim: use get(..., format='list') to read connections")

    def _get_attributes_as_list(self, names):
        s, t, w, d = self._connections()
        columns = {"presynaptic_index": s, "postsynaptic_index": t, "weight": w, "delay": d}
        for n in names:
            if n not in columns:
                self._no_such_attribute(n)
        return list(zip(*[columns[n].tolist() for n in names]))

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        s, t, w, d = self._connections()
        out = []
        for n in names:
            n = n[:-1] if n.endswith("s") else n
            if n not in ("weight", "delay"):
                self._no_such_attribute(n)
            v = w if n == "weight" else d
            a = np.full((self.pre.size, self.post.size), np.nan)
            if multiple_synapses == "sum":
                a[s, t] = 0.0
                np.add.at(a, (s, t), v)
            elif multiple_synapses == "last":
                a[s, t] = v
            elif multiple_synapses == "first":
                a[s[::-1], t[::-1]] = v[::-1]
            elif multiple_synapses == "min":
                np.fmin.at(a, (s, t), v)
            elif multiple_synapses == "max":
                np.fmax.at(a, (s, t), v)
            out.append(a)
        return out

    def _set_attributes(self, parameter_space):
        """Projection.set: the connections become an explicit list with the new values."""
        simulator.state.check_unfrozen("setting synapse values")
        s, t, w, d = self._connections()
        values = {"weight": w.copy(), "delay": d.copy()}
        for name, lazy in parameter_space.items():
            if name not in values:
                self._no_such_attribute(name)
            base = lazy.base_value
            if lazy.is_homogeneous:
                values[name][:] = lazy.evaluate(simplify=True)
            elif isinstance(base, RandomDistribution) and not lazy.operations:
                values[name] = np.asarray(base.next(len(s)), dtype=float)
            else:
                values[name] = np.asarray(lazy.evaluate(simplify=False), dtype=float)[s, t]
        self._set_edges(s, t, values["weight"], values["delay"])
        simulator.state.changed()
