"""pyNN.nmsim through PyNN's API: cell types against closed forms, sources, connectors (statistics and
exact counts), Projection get/set/save, neo output, incremental runs, errors, thread invariance."""
import os
import tempfile
import unittest

import numpy as np
import pyNN.nmsim as sim
from pyNN import errors
from pyNN.random import RandomDistribution, NumpyRNG


def signal(pop, name):
    seg = pop.get_data().segments[-1]
    return next(s for s in seg.analogsignals if s.name == name)


class Backend(unittest.TestCase):
    def setUp(self):
        sim.setup(timestep=0.1, min_delay=0.1)

    def tearDown(self):
        sim.end()

    def test_import_resolves_to_this_checkout(self):
        here = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
        self.assertTrue(os.path.realpath(sim.__file__).startswith(here), sim.__file__)
        self.assertIn("IF_cond_exp", sim.list_standard_models())

    # --- cell types against closed forms -----------------------------------------------------------
    def test_if_curr_exp_charges_to_the_dc_steady_state(self):
        p = sim.Population(2, sim.IF_curr_exp(tau_m=10.0, cm=0.5, v_thresh=0.0, i_offset=[0.0, 0.5]))
        dc = sim.DCSource(amplitude=0.2, start=0.0, stop=1e9)
        dc.inject_into(p[0:1])
        p.record("v")
        sim.run(50.0)
        v = signal(p, "v")
        self.assertEqual(v.shape, (501, 2))
        self.assertEqual(str(v.units.dimensionality), "mV")
        t = np.arange(501) * 0.1
        # R = tau_m / cm = 20 MOhm: 0.2 nA -> 4 mV, 0.5 nA -> 10 mV
        np.testing.assert_allclose(np.asarray(v[:, 0]).ravel(), -65 + 4 * (1 - np.exp(-t / 10)), atol=1e-4)
        np.testing.assert_allclose(np.asarray(v[:, 1]).ravel(), -65 + 10 * (1 - np.exp(-t / 10)), atol=1e-4)

    def test_if_curr_delta_jumps_by_the_weight_at_arrival(self):
        s = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0]))
        p = sim.Population(1, sim.IF_curr_delta(tau_m=20.0, v_rest=-70.0), initial_values={"v": -70.0})
        sim.Projection(s, p, sim.OneToOneConnector(), sim.StaticSynapse(weight=2.0, delay=1.5))
        p.record("v")
        sim.run(30.0)
        v = np.asarray(signal(p, "v")).ravel()
        # emitted at 10.0 ms, arrives at 11.5 ms: the sample at 11.4 ms is before it, 11.5 ms after (NEST)
        self.assertAlmostEqual(v[114], -70.0, places=5)
        self.assertAlmostEqual(v[115], -68.0, places=5)
        t = np.arange(len(v)) * 0.1
        after = t >= 11.45
        np.testing.assert_allclose(v[after], -70 + 2.0 * np.exp(-(t[after] - 11.5) / 20), atol=1e-4)

    def test_if_cond_exp_and_alpha_conductance_kernels(self):
        s = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]))
        e = sim.Population(1, sim.IF_cond_exp(tau_syn_E=3.0))
        a = sim.Population(1, sim.IF_cond_alpha(tau_syn_E=2.0))
        for p in (e, a):
            sim.Projection(s, p, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.004, delay=1.0),
                           receptor_type="excitatory")
            p.record("gsyn_exc")
        sim.run(30.0)
        t = np.arange(301) * 0.1
        ge, ga = np.asarray(signal(e, "gsyn_exc")).ravel(), np.asarray(signal(a, "gsyn_exc")).ravel()
        self.assertEqual(str(signal(e, "gsyn_exc").units.dimensionality), "uS")
        after = t >= 6.05
        np.testing.assert_allclose(ge[after], 0.004 * np.exp(-(t[after] - 6.0) / 3.0), rtol=1e-5)
        x = (t[after] - 6.0) / 2.0
        np.testing.assert_allclose(ga[after], 0.004 * x * np.exp(1 - x), rtol=1e-5, atol=1e-12)

    def test_izhikevich_current_units_and_adex_adaptation(self):
        offset = sim.Population(1, sim.Izhikevich(i_offset=0.01))  # nA: Izhikevich's I = 10
        driven = sim.Population(1, sim.Izhikevich())
        sim.DCSource(amplitude=0.01).inject_into(driven)
        adex = sim.Population(1, sim.EIF_cond_exp_isfa_ista(i_offset=1.0))
        for p in (offset, driven, adex):
            p.record("spikes")
        adex.record("w")
        sim.run(300.0)
        t_off = offset.get_data().segments[0].spiketrains[0].magnitude
        t_dc = driven.get_data().segments[0].spiketrains[0].magnitude
        self.assertGreater(len(t_off), 3)
        np.testing.assert_array_equal(t_off, t_dc)
        isi = np.diff(adex.get_data().segments[0].spiketrains[0].magnitude)
        self.assertGreater(len(isi), 3)
        self.assertGreater(isi[-1], isi[0], "spike-frequency adaptation")
        self.assertEqual(str(signal(adex, "w").units.dimensionality), "nA")

    def test_spike_sources(self):
        arr = sim.Population(2, sim.SpikeSourceArray(spike_times=[[1.0, 2.5], [4.0]]))
        poi = sim.Population(200, sim.SpikeSourcePoisson(rate=20.0, start=100.0, duration=500.0))
        arr.record("spikes")
        poi.record("spikes")
        sim.run(1000.0)
        trains = arr.get_data().segments[0].spiketrains
        np.testing.assert_allclose(trains[0].magnitude, [1.0, 2.5])
        np.testing.assert_allclose(trains[1].magnitude, [4.0])
        times = np.concatenate([st.magnitude for st in poi.get_data().segments[0].spiketrains])
        self.assertTrue(np.all((times > 100.0) & (times <= 600.0 + 1e-9)))
        self.assertAlmostEqual(len(times) / 200 / 0.5, 20.0, delta=4 * np.sqrt(20.0 * 0.5 * 200) / 100)
        self.assertAlmostEqual(poi.mean_spike_count(), len(times) / 200)

    def test_grid_poisson_warns_above_one_spike_per_step(self):
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fast = sim.Population(50, sim.SpikeSourcePoisson(rate=20000.0), label="fast")
            sim.Population(5, sim.SpikeSourcePoisson(rate=50.0))
        self.assertEqual(len(caught), 1)
        self.assertIn("8647 Hz", str(caught[0].message))
        fast.record("spikes")
        sim.run(100.0)
        self.assertAlmostEqual(fast.mean_spike_count() / 0.1, 8647, delta=150)

    def test_step_ac_and_noisy_currents(self):
        # a perfect integrator (tau_m huge, cm 1 nF): dv/dt = I / cm, v in mV for I in nA and t in ms
        cells = sim.Population(3, sim.IF_curr_exp(tau_m=1e6, cm=1.0, v_thresh=1e3, v_rest=0.0, v_reset=0.0),
                               initial_values={"v": 0.0})
        sim.StepCurrentSource(times=[10.0, 20.0], amplitudes=[0.5, -0.25]).inject_into(cells[0:1])
        sim.ACSource(amplitude=1.0, frequency=50.0, offset=0.0, phase=0.0, start=0.0, stop=1e9).inject_into(cells[1:2])
        sim.NoisyCurrentSource(mean=0.3, stdev=0.2, start=0.0, stop=1e9, dt=1.0).inject_into(cells[2:3])
        cells.record("v")
        sim.run(40.0)
        v = np.asarray(signal(cells, "v"))
        self.assertAlmostEqual(v[200, 0], 0.5 * 10.0, delta=0.01)           # 0.5 nA for 10 ms
        self.assertAlmostEqual(v[400, 0], 5.0 - 0.25 * 20.0, delta=0.01)    # then -0.25 nA for 20 ms
        self.assertAlmostEqual(v[200, 1], 0.0, delta=0.01)                  # one full period of 20 ms
        self.assertAlmostEqual(v[400, 2] / 40.0, 0.3, delta=4 * 0.2 / np.sqrt(40))

    # --- connectors -----------------------------------------------------------------------------
    def test_connectors_make_the_counts_pynn_defines(self):
        a = sim.Population(40, sim.IF_curr_exp())
        b = sim.Population(60, sim.IF_curr_exp())
        syn = sim.StaticSynapse(weight=0.1, delay=1.0)
        self.assertEqual(sim.Projection(a, b, sim.AllToAllConnector(), syn).size(), 2400)
        self.assertEqual(sim.Projection(a, a, sim.AllToAllConnector(allow_self_connections=False), syn).size(),
                         40 * 39)
        self.assertEqual(sim.Projection(b, b, sim.OneToOneConnector(), syn).size(), 60)
        pre = sim.Projection(a, b, sim.FixedNumberPreConnector(7), syn)
        per_target = np.bincount(np.array(pre.get("weight", "list"))[:, 1].astype(int), minlength=60)
        self.assertTrue(np.all(per_target == 7))
        pairs = {(int(i), int(j)) for i, j, _ in pre.get("weight", "list")}
        self.assertEqual(len(pairs), 420, "with_replacement=False (PyNN's default): no multapses")
        post = sim.Projection(a, b, sim.FixedNumberPostConnector(5), syn)
        per_source = np.bincount(np.array(post.get("weight", "list"))[:, 0].astype(int), minlength=40)
        self.assertTrue(np.all(per_source == 5))
        self.assertEqual(sim.Projection(a, b, sim.FixedTotalNumberConnector(333), syn).size(), 333)
        p = sim.Projection(a, b, sim.FixedProbabilityConnector(0.25), syn).size()
        self.assertAlmostEqual(p, 600, delta=4 * np.sqrt(2400 * 0.25 * 0.75))

    def test_lists_files_arrays_views_and_distance(self):
        a = sim.Population(4, sim.IF_curr_exp())
        b = sim.Population(3, sim.IF_curr_exp())
        conns = [(0, 2, 0.5, 1.0), (3, 0, 0.25, 2.0), (1, 1, 0.75, 0.3)]
        fl = sim.Projection(a, b, sim.FromListConnector(conns), sim.StaticSynapse())
        got = sorted(fl.get(["weight", "delay"], format="list"))
        self.assertEqual([(int(i), int(j)) for i, j, _, _ in got], [(0, 2), (1, 1), (3, 0)])
        np.testing.assert_allclose([w for _, _, w, _ in got], [0.5, 0.75, 0.25])
        np.testing.assert_allclose([d for _, _, _, d in got], [1.0, 0.3, 2.0])
        path = os.path.join(tempfile.mkdtemp(), "conns.txt")
        fl.save("all", path, format="list")
        ff = sim.Projection(a, b, sim.FromFileConnector(path), sim.StaticSynapse())
        self.assertEqual(sorted(ff.get(["weight", "delay"], "list")), got)
        mask = np.zeros((4, 3), bool)
        mask[2, 0] = mask[2, 2] = True
        arr = sim.Projection(a, b, sim.ArrayConnector(mask), sim.StaticSynapse(weight=0.1))
        self.assertEqual(sorted((int(i), int(j)) for i, j, _ in arr.get("weight", "list")), [(2, 0), (2, 2)])
        # views on both ends: indices are the views', connections drawn by nmsim over the views
        view = sim.Projection(a[1:3], b[[2]], sim.AllToAllConnector(), sim.StaticSynapse(weight=0.2))
        self.assertEqual(sorted((int(i), int(j)) for i, j, _ in view.get("weight", "list")), [(0, 0), (1, 0)])
        big = sim.Population(200, sim.IF_curr_exp())
        fixed = sim.Projection(big[0:100], big[100:200] + b, sim.FixedNumberPreConnector(9),
                               sim.StaticSynapse(weight=0.1))
        per_target = np.bincount(np.array(fixed.get("weight", "list"))[:, 1].astype(int), minlength=103)
        self.assertTrue(np.all(per_target == 9))
        self.assertEqual(len({(int(i), int(j)) for i, j, _ in fixed.get("weight", "list")}), 103 * 9)
        # a view onto itself without self-connections: PyNN's own code keeps the cells apart
        own = sim.Projection(big[0:50], big[0:50], sim.AllToAllConnector(allow_self_connections=False),
                             sim.StaticSynapse(weight=0.1))
        self.assertEqual(own.size(), 50 * 49)
        grid = sim.Population(100, sim.IF_curr_exp(), structure=sim.Grid2D(aspect_ratio=1.0, dx=1.0, dy=1.0))
        dd = sim.Projection(grid, grid, sim.DistanceDependentProbabilityConnector("d < 1.5"),
                            sim.StaticSynapse(weight=0.1))
        self.assertEqual(dd.size(), 100 + 2 * (2 * 9 * 10) + 4 * 81)  # self, 4 edge and 4 corner neighbours
        self.assertIsNotNone(dd._rule, "drawn by nmsim, not as a Python edge list")
        # a smooth probability on a periodic space against PyNN's own distances
        space = sim.Space(periodic_boundaries=((0, 10), (0, 10), None))
        smooth = sim.Projection(grid, grid, sim.DistanceDependentProbabilityConnector("0.5*exp(-d**2/4.0)"),
                                sim.StaticSynapse(weight=0.1), space=space)
        self.assertIsNotNone(smooth._rule)
        pos = grid.positions.T
        d = space.distances(pos, pos).reshape(100, 100)
        expected = (0.5 * np.exp(-d ** 2 / 4.0)).sum()
        self.assertAlmostEqual(smooth.size(), expected, delta=4 * np.sqrt(expected))

    def test_assembly_and_inhibitory_receptor(self):
        a = sim.Population(3, sim.SpikeSourceArray(spike_times=[2.0]))
        b = sim.Population(2, sim.SpikeSourceArray(spike_times=[4.0]))
        t = sim.Population(1, sim.IF_curr_exp(tau_syn_I=2.0))
        prj = sim.Projection(a + b, t, sim.AllToAllConnector(), sim.StaticSynapse(weight=-0.1, delay=1.0),
                             receptor_type="inhibitory")
        self.assertEqual(prj.size(), 5)
        t.record("v")
        sim.run(20.0)
        v = np.asarray(signal(t, "v")).ravel()
        self.assertLess(v.min(), -65.0 - 0.05)

    def test_weights_and_delays_get_set_save(self):
        a = sim.Population(10, sim.IF_curr_exp())
        b = sim.Population(8, sim.IF_curr_exp())
        w = RandomDistribution("normal_clipped", mu=0.5, sigma=0.1, low=0.2, high=0.8)
        d = RandomDistribution("uniform", low=0.5, high=3.0)
        prj = sim.Projection(a, b, sim.FixedProbabilityConnector(0.5), sim.StaticSynapse(weight=w, delay=d))
        weights, delays = prj.get(["weight", "delay"], format="array")
        self.assertEqual(weights.shape, (10, 8))
        present = ~np.isnan(weights)
        self.assertEqual(present.sum(), prj.size())
        self.assertTrue(np.all((weights[present] >= 0.2) & (weights[present] <= 0.8)))
        on_grid = np.round(delays[present] / 0.1) * 0.1
        np.testing.assert_allclose(delays[present], on_grid, atol=1e-12)
        prj.set(weight=0.3)
        self.assertTrue(np.allclose(prj.get("weight", "array")[present], 0.3))
        new = np.arange(80, dtype=float).reshape(10, 8) / 100
        prj.set(weight=new)
        np.testing.assert_allclose(prj.get("weight", "array")[present], new[present], rtol=1e-6)
        np.testing.assert_allclose(prj.get("delay", "array")[present], delays[present])
        path = os.path.join(tempfile.mkdtemp(), "w.txt")
        prj.save("weight", path, format="array")
        np.testing.assert_allclose(np.loadtxt(path), np.where(present, new, 0.0), rtol=1e-6)

    def test_array_weights_view_set_and_initialize(self):
        a = sim.Population(3, sim.IF_curr_exp())
        b = sim.Population(2, sim.IF_curr_exp(), initial_values={"v": -60.0})
        w = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
        prj = sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=w, delay=1.0))
        np.testing.assert_allclose(prj.get("weight", "array"), w, rtol=1e-6)
        b[1:2].set(tau_m=5.0)
        b[0:1].initialize(v=-70.0)
        np.testing.assert_allclose(b.get("tau_m"), [20.0, 5.0])
        b.record("v")
        sim.run(1.0)
        v0 = np.asarray(signal(b, "v"))[0]
        np.testing.assert_allclose(v0, [-70.0, -60.0])

    # --- runs, data, errors ---------------------------------------------------------------------------
    def _brunel_like(self, threads, engine="auto"):
        sim.setup(timestep=0.1, threads=threads, rng_seed=11, engine=engine)
        drive = sim.Population(100, sim.SpikeSourcePoisson(rate=20.0))
        cells = sim.Population(50, sim.IF_curr_exp(tau_syn_E=2.0))
        sim.Projection(drive, cells, sim.FixedNumberPreConnector(20), sim.StaticSynapse(weight=1.2, delay=1.0))
        sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.1),
                       sim.StaticSynapse(weight=-0.3, delay=RandomDistribution("uniform", (1.0, 2.0))),
                       receptor_type="inhibitory")
        cells.record(["spikes", "v"])
        return cells

    def test_incremental_runs_threads_and_reset(self):
        cells = self._brunel_like(1)
        sim.run(100.0)
        sim.run(100.0)
        two = cells.get_data().segments[0]
        cells = self._brunel_like(3)
        sim.run(200.0)
        one = cells.get_data().segments[0]
        self.assertGreater(sum(len(s) for s in one.spiketrains), 10)
        for x, y in zip(one.spiketrains, two.spiketrains):
            np.testing.assert_array_equal(x.magnitude, y.magnitude)
        np.testing.assert_array_equal(np.asarray(one.analogsignals[0]), np.asarray(two.analogsignals[0]))
        sim.reset()
        sim.run(200.0)
        block = cells.get_data()
        self.assertEqual(len(block.segments), 2)
        for x, y in zip(block.segments[0].spiketrains, block.segments[1].spiketrains):
            np.testing.assert_array_equal(x.magnitude, y.magnitude)

    def test_event_engine_gives_the_clock_spikes(self):
        runs = {}
        for engine in ("clock", "event"):
            cells = self._brunel_like(2, engine)
            sim.run(200.0)
            runs[engine] = cells.get_data().segments[0]
            sim.end()
        self.assertGreater(sum(len(s) for s in runs["clock"].spiketrains), 10)
        for x, y in zip(runs["clock"].spiketrains, runs["event"].spiketrains):
            np.testing.assert_array_equal(x.magnitude, y.magnitude)
        np.testing.assert_allclose(np.asarray(runs["event"].analogsignals[0]),
                                   np.asarray(runs["clock"].analogsignals[0]), rtol=1e-6)
        with self.assertRaises(errors.InvalidParameterValueError):
            sim.setup(timestep=0.1, engine="lazy")

    def test_clear_and_write_data(self):
        cells = self._brunel_like(2)
        sim.run(100.0)
        cells.get_data(clear=True)
        sim.run(50.0)
        seg = cells.get_data().segments[0]
        self.assertAlmostEqual(float(seg.analogsignals[0].t_start), 100.0)
        self.assertEqual(seg.analogsignals[0].shape[0], 501)
        self.assertTrue(all(np.all(st.magnitude > 100.0) for st in seg.spiketrains))
        path = os.path.join(tempfile.mkdtemp(), "cells.pkl")
        cells.write_data(path)
        from neo.io import PickleIO
        back = PickleIO(path).read_block()
        self.assertEqual(len(back.segments[0].spiketrains), 50)

    def test_errors_are_pynn_errors(self):
        with self.assertRaises(errors.NonExistentParameterError):
            sim.IF_curr_exp(tau_mem=10.0)
        with self.assertRaises(errors.InvalidParameterValueError) as bad:
            sim.Population(3, sim.IF_curr_exp(tau_m=-1.0), label="bad")
        self.assertIn("tau_m", str(bad.exception))
        self.assertIn("'bad'", str(bad.exception))
        self.assertNotIn("network.json", str(bad.exception))
        a = sim.Population(3, sim.IF_curr_exp())
        with self.assertRaises(errors.InvalidParameterValueError):
            a[1:2].set(tau_refrac=-2.0)
        self.assertEqual(a.get("tau_refrac"), 0.1, "a rejected set() changes nothing")
        with self.assertRaises(errors.ConnectionError):
            sim.Projection(a, a, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1), receptor_type="gaba_b")
        with self.assertRaises(errors.ConnectionError):
            sim.Projection(a, a, sim.FixedNumberPreConnector(5), sim.StaticSynapse(weight=0.1))
        sim.run(10.0)
        with self.assertRaises(errors.InvalidParameterValueError):
            a.set(tau_m=15.0)

    def test_footprint_chip_run_and_export_reproduce(self):
        import subprocess
        import h5py
        cells = self._brunel_like(2)
        view = sim.Projection(cells[0:10], cells[10:20], sim.AllToAllConnector(), sim.StaticSynapse(weight=0.05))
        chips = sim.footprint("loihi2,spinnaker2")
        self.assertEqual(sorted(c["chip"] for c in chips["chips"]), ["loihi2", "spinnaker2"])
        self.assertIn("loihi2", chips["table"])
        sim.run(100.0)
        trains = cells.get_data().segments[0].spiketrains
        folder = tempfile.mkdtemp()
        path = sim.export_yaml(os.path.join(folder, "net.yaml"))
        binary = os.environ.get("NMSIM_BINARY") or os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                                                "build", "nmsim")
        out = os.path.join(folder, "cli.h5")
        self.assertEqual(subprocess.run([binary, "run", path, "-o", out, "-q"]).returncode, 0)
        with h5py.File(out, "r") as f:
            ids, times = f["spikes/p1/node_ids"][:], f["spikes/p1/timestamps"][:]
        for k, st in enumerate(trains):
            np.testing.assert_array_equal(np.sort(times[ids == k]), st.magnitude)
        self.assertGreater(view.size(), 0)
        # a chip run: quantised, with nmsim's fidelity against the float run in the block's annotations
        cells = self._brunel_like(2)
        sim.setup(timestep=0.1, chip="loihi1")
        a = sim.Population(100, sim.SpikeSourcePoisson(rate=50.0))
        b = sim.Population(50, sim.IF_curr_exp())
        sim.Projection(a, b, sim.FixedProbabilityConnector(0.2), sim.StaticSynapse(weight=0.5, delay=1.0))
        b.record("spikes")
        sim.run(200.0)
        block = b.get_data()
        self.assertEqual(block.annotations["nmsim_chip"], "loihi1")
        self.assertIn("rate_rel_error", block.annotations["nmsim_fidelity"])


if __name__ == "__main__":
    unittest.main()
