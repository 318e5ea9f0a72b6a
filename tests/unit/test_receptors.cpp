// Named receptor ports: a projection or stimulus names the receptor, each target model maps it to its
// own input channel; without a name the weight's sign decides, as before.
#include <gtest/gtest.h>

#include "sim/build/network_builder.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/engine/simulator.hpp"
#include "sim/spec/errors.hpp"

using namespace nmsim;

namespace {

// One source neuron firing at 1 ms (a spike_array drives it over threshold) into lif_exp neurons.
std::string net(const std::string& synapse, const std::string& stimulus = "") {
    return "nmsim: 1\nsimulation: {duration: 10.0, dt: 0.1}\n"
           "populations:\n  S: {size: 1, model: lif_delta, params: {v_thresh: -64.0}}\n"
           "  T: {size: 2, model: lif_exp}\n  D: {size: 1, model: lif_delta}\n"
           "projections:\n  P: {source: S, target: T, connector: {rule: all_to_all}, synapse: " +
           synapse +
           "}\n"
           "stimuli:\n  kick: {type: spike_array, target: S, times: [1.0], weight: 5.0}\n" +
           stimulus + "recorders:\n  ie: {type: state, population: T, variable: i_syn_exc, ids: [0]}\n";
}

// Peak of a recorded trace.
double peak(const StateReport& r) {
    double m = 0;
    for (float x : r.data) m = std::max(m, static_cast<double>(std::abs(x)));
    return m;
}

std::pair<double, double> exc_inh_peaks(const std::string& cfg) {
    // Record both currents of T[0]: one state recorder per population, so run twice.
    auto run_var = [&](const std::string& var) {
        std::string c = cfg;
        c.replace(c.find("variable: i_syn_exc"), 19, "variable: " + var);
        const NetworkSpec spec = load_config_text(c, "c");
        BuiltNetwork n = build_network(spec, 1);
        return peak(simulate(n).reports.at(0));
    };
    return {run_var("i_syn_exc"), run_var("i_syn_inh")};
}

} // namespace

TEST(Receptors, NamedReceptorPicksTheChannelWhateverTheSign) {
    // A positive weight onto the inhibitory port (conductance-style): only the inhibitory current moves.
    const auto [exc, inh] = exc_inh_peaks(net("{weight: 0.3, delay: 1.0, receptor: inhibitory}"));
    EXPECT_EQ(exc, 0.0);
    EXPECT_NEAR(inh, 0.3, 1e-6);
    const auto [exc2, inh2] = exc_inh_peaks(net("{weight: 0.3, delay: 1.0, receptor: excitatory}"));
    EXPECT_NEAR(exc2, 0.3, 1e-6);
    EXPECT_EQ(inh2, 0.0);
}

TEST(Receptors, WithoutAReceptorTheSignDecides) {
    const auto [exc, inh] = exc_inh_peaks(net("{weight: -0.3, delay: 1.0}"));
    EXPECT_EQ(exc, 0.0);
    EXPECT_NEAR(inh, 0.3, 1e-6);
    const auto [exc2, inh2] = exc_inh_peaks(net("{weight: 0.3, delay: 1.0}"));
    EXPECT_NEAR(exc2, 0.3, 1e-6);
    EXPECT_EQ(inh2, 0.0);
}

TEST(Receptors, AFixedChannelOnlyWhereTargetsAndSignAgree) {
    // Two target populations: ids [0, 10) with channels exc 0 / inh 1, [10, 20) with 2 / 3.
    ReceptorRoute by_sign{{{0, 10, 0, 1}, {10, 20, 2, 3}}, true};
    EXPECT_EQ(by_sign.fixed_channel(0, 10, 1), 0);
    EXPECT_EQ(by_sign.fixed_channel(0, 10, -1), 1);
    EXPECT_EQ(by_sign.fixed_channel(0, 10, 0), -1); // mixed signs: per synapse
    EXPECT_EQ(by_sign.fixed_channel(12, 20, -1), 3);
    EXPECT_EQ(by_sign.fixed_channel(5, 15, 1), -1); // two populations, two channels
    ReceptorRoute named{{{0, 10, 1, 1}, {10, 20, 1, 1}}, false};
    EXPECT_EQ(named.fixed_channel(5, 15, 0), 1);   // a named receptor ignores the sign
    EXPECT_EQ(named.fixed_channel(30, 40, 1), -1); // no target here
}

TEST(Receptors, StimuliNameTheirReceptorToo) {
    const std::string cfg =
        net("{weight: 0.0, delay: 1.0}",
            "  drive: {type: spike_array, target: T, times: [2.0], weight: 0.2, receptor: inhibitory}\n");
    const auto [exc, inh] = exc_inh_peaks(cfg);
    EXPECT_EQ(exc, 0.0);
    EXPECT_NEAR(inh, 0.2, 1e-6);
}

TEST(Receptors, OneReceptorMapsPerTargetModel) {
    // lif_delta sums every port into v (one channel), lif_exp keeps two: one projection into both.
    const NetworkSpec spec = load_config_text(
        "nmsim: 1\npopulations: {S: {size: 1, model: lif_delta}, A: {size: 2, model: lif_delta}, "
        "B: {size: 2, model: lif_exp}}\n"
        "projections: {P: {source: S, target: [A, B], connector: {rule: all_to_all}, "
        "synapse: {weight: 0.1, delay: 1.0, receptor: inhibitory}}}\n",
        "c");
    BuiltNetwork n = build_network(spec, 1);
    ASSERT_EQ(n.routes[0].segments.size(), 2u);
    EXPECT_FALSE(n.routes[0].by_sign);
    EXPECT_EQ(n.routes[0].segments[0].channel, 0); // lif_delta
    EXPECT_EQ(n.routes[0].segments[1].channel, 1); // lif_exp
}

TEST(Receptors, UnknownReceptorNamesModelAndPorts) {
    try {
        load_config_text(net("{weight: 0.3, delay: 1.0, receptor: NMDA}"), "r.yaml");
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.key_path, "projections.P.synapse.receptor");
        EXPECT_NE(
            e.detail.find("population 'T' (lif_exp) has no receptor 'NMDA' (has: excitatory, inhibitory)"),
            std::string::npos)
            << e.detail;
    }
    EXPECT_THROW(load_config_text(net("{weight: 0.3, delay: 1.0}",
                                      "  d2: {type: dc, target: T, amplitude: 0.1, receptor: excitatory}\n"),
                                  "c"),
                 ConfigError); // a current has no receptor
}
