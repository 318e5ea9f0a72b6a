// Spike source populations: arrays fire at their times, Poisson sources at their rate inside
// [start, start + duration), the same for any thread count, and both project like neurons.
#include <gtest/gtest.h>

#include <cmath>

#include "sim/build/network_builder.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/engine/simulator.hpp"
#include "sim/spec/errors.hpp"

using namespace nmsim;

TEST(SpikeSources, ArrayFiresAtItsTimesPerNeuronOrShared) {
    const NetworkSpec spec = load_config_text(
        "nmsim: 1\nsimulation: {duration: 20.0, dt: 0.1}\n"
        "populations:\n  A: {size: 3, model: spike_source_array, spike_times: [[1.0, 5.5], [2.0], []]}\n"
        "  B: {size: 2, model: spike_source_array, spike_times: [3.0, 3.0, 7.2]}\n"
        "recorders: {spk: {type: spikes}}\n",
        "c");
    BuiltNetwork net = build_network(spec, 2);
    const RunResult r = simulate(net);
    const SpikeRecord& a = r.spikes.at("A");
    ASSERT_EQ(a.times_ms.size(), 3u);
    EXPECT_DOUBLE_EQ(a.times_ms[0], 1.0);
    EXPECT_EQ(a.node_ids[0], 0u);
    EXPECT_DOUBLE_EQ(a.times_ms[1], 2.0);
    EXPECT_EQ(a.node_ids[1], 1u);
    EXPECT_NEAR(a.times_ms[2], 5.5, 1e-9);
    const SpikeRecord& b = r.spikes.at("B");
    ASSERT_EQ(b.times_ms.size(), 4u) << "two neurons, times 3.0 (listed twice: once) and 7.2";
    EXPECT_NEAR(b.times_ms[3], 7.2, 1e-9);
}

TEST(SpikeSources, ArrayDrivesATargetThroughAProjection) {
    const NetworkSpec spec =
        load_config_text("nmsim: 1\nsimulation: {duration: 10.0, dt: 0.1}\n"
                         "populations:\n  S: {size: 1, model: spike_source_array, spike_times: [2.0]}\n"
                         "  T: {size: 1, model: lif_delta, params: {v_rest: 0.0, v_reset: 0.0, v_thresh: "
                         "100.0, tau_m: 10.0}}\n"
                         "projections: {P: {source: S, target: T, connector: {rule: all_to_all}, synapse: "
                         "{weight: 3.0, delay: 1.5}}}\n"
                         "recorders: {vm: {type: state, population: T, variable: v, ids: [0]}}\n",
                         "c");
    BuiltNetwork net = build_network(spec, 1);
    const RunResult r = simulate(net);
    const auto& v = r.reports.at(0).data;
    // Emitted at 2.0 ms, delay 1.5 ms: V jumps by 3 mV in the step ending at 3.5 ms (sample at 3.5).
    EXPECT_EQ(v[34], 0.0f);
    EXPECT_NEAR(v[35], 3.0, 1e-6);
}

TEST(SpikeSources, PoissonRateWindowAndThreadInvariance) {
    const std::string cfg = "nmsim: 1\nsimulation: {duration: 2000.0, dt: 0.1, seed: 8}\n"
                            "populations:\n  P: {size: 1000, model: spike_source_poisson, params: {rate: "
                            "20.0, start: 500.0, duration: 1000.0}}\n"
                            "recorders: {spk: {type: spikes}}\n";
    const NetworkSpec spec = load_config_text(cfg, "c");
    BuiltNetwork one = build_network(spec, 1), three = build_network(spec, 3);
    const RunResult a = simulate(one), b = simulate(three);
    const SpikeRecord& s = a.spikes.at("P");
    EXPECT_EQ(s.times_ms, b.spikes.at("P").times_ms);
    EXPECT_EQ(s.node_ids, b.spikes.at("P").node_ids);
    // 1000 neurons x 1 s x 20 Hz = 20,000 expected (p = 1 - exp(-0.002) per step).
    const double expected = 1000 * 10000 * -std::expm1(-20.0 * 0.1e-3);
    EXPECT_NEAR(static_cast<double>(s.times_ms.size()), expected, 4 * std::sqrt(expected));
    for (double t : s.times_ms) {
        ASSERT_GT(t, 500.0);
        ASSERT_LE(t, 1500.0 + 1e-9);
    }
}

TEST(SpikeSources, SpikeTimesAreCheckedAgainstTheModel) {
    EXPECT_THROW(
        load_config_text(
            "nmsim: 1\npopulations: {A: {size: 2, model: spike_source_array, spike_times: [[1.0]]}}\n", "c"),
        ConfigError); // two neurons, one list
    EXPECT_THROW(
        load_config_text("nmsim: 1\npopulations: {A: {size: 2, model: lif_exp, spike_times: [1.0]}}\n", "c"),
        ConfigError);
    EXPECT_THROW(load_config_text("nmsim: 1\npopulations: {A: {size: 2, model: spike_source_array}}\n", "c"),
                 ConfigError);
}
