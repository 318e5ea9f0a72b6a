// Per-neuron parameter arrays: each neuron of a heterogeneous population behaves exactly as a
// homogeneous population with its values, for any partition; bad arrays are config errors.
#include <gtest/gtest.h>

#include "sim/build/network_builder.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/engine/simulator.hpp"
#include "sim/spec/errors.hpp"

using namespace nmsim;

namespace {
RunResult run_text(const std::string& text, int partitions) {
    const NetworkSpec spec = load_config_text(text, "c");
    BuiltNetwork net = build_network(spec, partitions);
    return simulate(net);
}
} // namespace

TEST(HeterogeneousParams, EachNeuronMatchesAHomogeneousPopulationWithItsValues) {
    // Four lif_exp neurons: i_offset and v_rest per neuron (two equal neighbours share a run), driven
    // by a shared Poisson input, traced; then each alone as a homogeneous population.
    const double i_offset[4] = {0.0, 0.5, 0.5, 2.0}, v_rest[4] = {-65.0, -60.0, -60.0, -70.0};
    const std::string common =
        "nmsim: 1\nsimulation: {duration: 200.0, dt: 0.1, seed: 3}\n"
        "populations:\n  S: {size: 20, model: spike_source_poisson, params: {rate: 50.0}}\n";
    const std::string het = common + "  N: {size: 4, model: lif_exp, params: {i_offset: [0.0, 0.5, 0.5, "
                                     "2.0], v_rest: [-65, -60, -60, -70]}}\n"
                                     "projections: {P: {source: S, target: N, connector: {rule: all_to_all}, "
                                     "synapse: {weight: 0.3, delay: 1.0}}}\n"
                                     "recorders: {vm: {type: state, population: N, variable: v, ids: all}, "
                                     "spk: {type: spikes, populations: [N]}}\n";
    const RunResult one = run_text(het, 1), three = run_text(het, 3);
    EXPECT_EQ(one.reports[0].data, three.reports[0].data);
    EXPECT_EQ(one.spikes.at("N").times_ms, three.spikes.at("N").times_ms);
    ASSERT_GT(one.spikes.at("N").times_ms.size(), 0u);
    for (int k = 0; k < 4; ++k) {
        const std::string homo =
            common + "  N: {size: 1, model: lif_exp, params: {i_offset: " + std::to_string(i_offset[k]) +
            ", v_rest: " + std::to_string(v_rest[k]) +
            "}}\nprojections: {P: {source: S, target: N, connector: {rule: all_to_all}, synapse: {weight: "
            "0.3, "
            "delay: 1.0}}}\nrecorders: {vm: {type: state, population: N, variable: v, ids: all}}\n";
        const RunResult alone = run_text(homo, 1);
        const auto& h = one.reports[0];
        ASSERT_EQ(alone.reports[0].n_times, h.n_times);
        for (std::uint64_t t = 0; t < h.n_times; ++t)
            ASSERT_EQ(h.data[t * 4 + k], alone.reports[0].data[t]) << "neuron " << k << " sample " << t;
    }
}

TEST(HeterogeneousParams, PoissonRatesPerNeuronDrawAsTheWholePopulationWould) {
    // Neuron i of a source with rates [r0, r1, ...] fires exactly as neuron i of a homogeneous source
    // at r_i: draws are keyed by global id, not by the run the neuron falls in.
    const std::string head = "nmsim: 1\nsimulation: {duration: 1000.0, dt: 0.1, seed: 5}\npopulations:\n";
    const RunResult het =
        run_text(head + "  P: {size: 3, model: spike_source_poisson, params: {rate: [10.0, 40.0, 40.0]}}\n"
                        "recorders: {spk: {type: spikes}}\n",
                 2);
    const RunResult hom = run_text(head + "  P: {size: 3, model: spike_source_poisson, params: {rate: "
                                          "40.0}}\nrecorders: {spk: {type: spikes}}\n",
                                   1);
    std::vector<double> het12, hom12;
    for (std::size_t s = 0; s < het.spikes.at("P").node_ids.size(); ++s)
        if (het.spikes.at("P").node_ids[s] > 0) het12.push_back(het.spikes.at("P").times_ms[s]);
    for (std::size_t s = 0; s < hom.spikes.at("P").node_ids.size(); ++s)
        if (hom.spikes.at("P").node_ids[s] > 0) hom12.push_back(hom.spikes.at("P").times_ms[s]);
    EXPECT_EQ(het12, hom12);
    EXPECT_NEAR(het.spike_counts[0], 10.0, 4 * std::sqrt(10.0));
}

TEST(HeterogeneousParams, WrongLengthOrOutOfRangeIsAConfigError) {
    const std::string head = "nmsim: 1\npopulations:\n  N: {size: 3, model: lif_delta, params: {";
    try {
        load_config_text(head + "tau_m: [10, 20]}}\n", "c.yaml");
        FAIL() << "two values for three neurons";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("populations.N.params.tau_m"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("2 values for 3 neurons"), std::string::npos) << e.what();
    }
    try {
        load_config_text(head + "tau_m: [10, -1, 20]}}\n", "c.yaml");
        FAIL() << "negative time constant";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("tau_m[1]"), std::string::npos) << e.what();
    }
}

TEST(HeterogeneousParams, InitialValuesPerNeuronAndStimuliOnChosenIds) {
    // initial: {v: [..]} sets each neuron; a DC source with ids reaches only those neurons (indices
    // over the listed targets in order: 1 is A's second neuron, 3 is B's first).
    const std::string text =
        "nmsim: 1\nsimulation: {duration: 5.0, dt: 0.1}\npopulations:\n"
        "  A: {size: 3, model: lif_delta, params: {v_thresh: 100.0}, initial: {v: [-70.0, -60.0, -50.0]}}\n"
        "  B: {size: 2, model: lif_delta, params: {v_thresh: 100.0}}\n"
        "stimuli: {dc: {type: dc, target: [A, B], amplitude: 1.0, ids: [3, 1]}}\n"
        "recorders: {va: {type: state, population: A, variable: v, ids: all}, vb: {type: state, population: "
        "B, variable: v, ids: all}}\n";
    for (int parts : {1, 2, 4}) {
        const RunResult r = run_text(text, parts);
        const auto& a = r.reports[0].data;
        const auto& b = r.reports[1].data;
        EXPECT_FLOAT_EQ(a[0], -70.0f);
        EXPECT_FLOAT_EQ(a[1], -60.0f);
        EXPECT_FLOAT_EQ(a[2], -50.0f);
        const std::uint64_t last = r.reports[0].n_times - 1;
        EXPECT_LT(a[last * 3 + 0], -68.5f) << "no current: relaxes from -70 towards -65 slowly";
        EXPECT_GT(a[last * 3 + 1], -60.0f + 1.0f) << "driven";
        EXPECT_LT(a[last * 3 + 2], -50.0f) << "no current: relaxes towards -65";
        EXPECT_GT(b[last * 2 + 0], -65.0f + 1.0f) << "driven";
        EXPECT_FLOAT_EQ(b[last * 2 + 1], -65.0f) << "at rest, no current";
    }
    EXPECT_THROW(load_config_text("nmsim: 1\npopulations: {A: {size: 2, model: lif_delta}}\n"
                                  "stimuli: {dc: {type: dc, target: A, amplitude: 1.0, ids: [2]}}\n",
                                  "c"),
                 ConfigError);
}
