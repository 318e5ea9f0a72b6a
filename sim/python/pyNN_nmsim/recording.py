"""Recorded data comes from the SONATA file of the run (simulator.Results), filtered to the cells and
the time window PyNN asked for."""
import numpy as np
from pyNN import recording
from . import simulator


class Recorder(recording.Recorder):
    _simulator = simulator

    def _record(self, variable, new_ids, sampling_interval=None):
        simulator.state.check_unfrozen("adding a recording")
        if sampling_interval is not None:
            self.sampling_interval = sampling_interval
        simulator.state.changed()

    def _reset(self):
        simulator.state.changed()

    def _clear_simulator(self):
        # the recording window now starts at the current time (PyNN moves _recording_start_time)
        pass

    def _start_ms(self):
        return float(self._recording_start_time.rescale("ms").magnitude) if hasattr(
            self._recording_start_time, "rescale") else float(self._recording_start_time)

    def _spikes(self, requested_ids):
        pop = self.population
        local, times = simulator.state.results.spikes.get(pop._nmsim_name, (np.zeros(0, int), np.zeros(0)))
        ids = local + pop.first_id
        t = simulator.state.t
        mask = (times <= t + 1e-9) & (times > self._start_ms() + 1e-9) & np.isin(ids, np.asarray(requested_ids, int))
        return ids[mask], times[mask]

    def _get_spiketimes(self, requested_ids, clear=False):
        ids, times = self._spikes(requested_ids)
        return ids, times.copy()

    def _get_all_signals(self, variable, ids, clear=False):
        pop = self.population
        recorded, data = simulator.state.results.signals[(pop._nmsim_name, variable)]
        columns = np.searchsorted(recorded, np.asarray(ids, int) - pop.first_id)
        # samples at start, start + interval, ..., t (both ends included, as pyNN.brian2 returns)
        interval = self.sampling_interval
        first = int(round(self._start_ms() / interval))
        last = int(round(simulator.state.t / interval))
        values = data[first:last + 1, columns].astype(float)
        return values, None

    def _local_count(self, variable, filter_ids=None):
        chosen = sorted(self.filter_recorded(variable, filter_ids))
        ids, _ = self._spikes(chosen)
        counts = dict((int(i), 0) for i in chosen)
        for i, n in zip(*np.unique(ids, return_counts=True)):
            counts[int(i)] = int(n)
        return counts

    @property
    def metadata(self):
        # PyNN's block annotations; a chip run (setup(chip=...)) adds nmsim's fidelity report
        meta = recording.Recorder.metadata.fget(self)
        if simulator.state.chip:
            meta["nmsim_chip"] = simulator.state.chip
            fidelity = simulator.state.results.summary.get("fidelity")
            if fidelity is not None:
                import json
                meta["nmsim_fidelity"] = json.dumps(fidelity)
        return meta
