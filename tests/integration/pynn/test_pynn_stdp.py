"""pyNN.nmsim's STDPMechanism (SpikePairRule with additive and multiplicative weight dependence): the
learned weights come back through Projection.get('weight') and equal NEST's stdp_synapse update by hand."""
import math
import unittest

import numpy as np
import pyNN.nmsim as sim


def nest_update(w, pre, post, d, tau_plus, tau_minus, a_plus, a_minus, w_min, w_max, multiplicative=False):
    """NEST's stdp_synapse at each pre spike (delays dendritic), on nmsim's 16-bit grid."""
    step = (w_max - w_min) / 65535.0
    level = lambda x: min(w_max, w_min + round((x - w_min) * (1.0 / step)) * step)
    w, k_plus, last = level(w), 0.0, None
    for t in pre:
        if last is not None:
            for p in post:
                if last < p + d <= t:
                    x = k_plus * math.exp(-(p + d - last) / tau_plus)
                    w = min(w_max, w + (a_plus * (w_max - w) if multiplicative else a_plus * w_max) * x)
        y = sum(math.exp(-(t - d - p) / tau_minus) for p in post if p < t - d)
        w = level(max(w_min, w - (a_minus * (w - w_min) if multiplicative else a_minus * w_max) * y))
        k_plus = (k_plus * math.exp(-(t - last) / tau_plus) if last is not None else 0.0) + 1.0
        last = t
    return w


class Stdp(unittest.TestCase):
    def tearDown(self):
        sim.end()

    def run_pair(self, weight_dependence, multiplicative):
        sim.setup(timestep=0.1, min_delay=0.1)
        pre = sim.Population(2, sim.SpikeSourceArray(spike_times=[[10.0, 40.0], [30.0, 60.0]]))
        drive = sim.Population(2, sim.SpikeSourceArray(spike_times=[[14.9], [19.9]]))
        post = sim.Population(2, sim.IF_curr_delta(v_thresh=-50.0, v_rest=-65.0, v_reset=-65.0, tau_refrac=0.1))
        sim.Projection(drive, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=100.0, delay=0.1))
        stdp = sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.1, A_minus=0.12),
            weight_dependence=weight_dependence, weight=0.5, delay=1.0)
        prj = sim.Projection(pre, post, sim.OneToOneConnector(), stdp)
        before = prj.get("weight", format="list")
        sim.run(70.0)
        after = prj.get("weight", format="array")
        # post spikes at 15.0 and 20.0 ms (the driver's spike arrives one step later)
        posts = [[15.0], [20.0]]
        pres = [[10.0, 40.0], [30.0, 60.0]]
        for i in range(2):
            expect = nest_update(0.5, pres[i], posts[i], 1.0, 20.0, 20.0, 0.1, 0.12, 0.0, 1.0, multiplicative)
            self.assertAlmostEqual(after[i, i], expect, places=12)
        grid = round(0.5 * 65535) / 65535  # weights are held as 16-bit levels over [w_min, w_max]
        self.assertEqual([w for _, _, w in before], [grid, grid])
        self.assertGreater(after[0, 0], 0.5)  # pre 10, post 15: potentiated
        self.assertLess(after[1, 1], 0.5)     # post 20, pre 30: depressed

    def test_additive(self):
        self.run_pair(sim.AdditiveWeightDependence(w_min=0.0, w_max=1.0), False)

    def test_multiplicative(self):
        self.run_pair(sim.MultiplicativeWeightDependence(w_min=0.0, w_max=1.0), True)

    def test_axonal_delays_are_refused(self):
        sim.setup(timestep=0.1)
        with self.assertRaises(ValueError):
            sim.STDPMechanism(timing_dependence=sim.SpikePairRule(), weight_dependence=sim.AdditiveWeightDependence(),
                              dendritic_delay_fraction=0.0)


if __name__ == "__main__":
    unittest.main()
