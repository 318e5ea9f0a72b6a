// PyNN's current sources (step, ac, noisy, with dc): the current each neuron receives per step,
// read back exactly from an integrating membrane: V_{k+1} = P22 V_k + P20 I_k.
#include <gtest/gtest.h>

#include <cmath>

#include "sim/build/network_builder.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/engine/simulator.hpp"
#include "sim/spec/errors.hpp"

using namespace nmsim;

namespace {

// The current (nA) injected in each step into the recorded neurons of population N (lif_delta,
// tau_m 1000 ms, cm 1 nF), recovered from the membrane trace.
std::vector<std::vector<double>> injected(const std::string& stimulus, int neurons = 1,
                                          double duration = 10.0) {
    const NetworkSpec spec = load_config_text(
        "nmsim: 1\nsimulation: {duration: " + std::to_string(duration) +
            ", dt: 0.1, seed: 5}\n"
            "populations:\n  N: {size: " +
            std::to_string(neurons) +
            ", model: lif_delta, params: {tau_m: 1000.0, cm: 1.0, v_rest: 0.0, v_reset: 0.0, v_thresh: "
            "1e3}}\n"
            "stimuli:\n" +
            stimulus + "recorders:\n  vm: {type: state, population: N, variable: v, ids: all}\n",
        "c");
    BuiltNetwork net = build_network(spec, 2);
    const StateReport rep = simulate(net).reports.at(0);
    const double p22 = std::exp(-0.1 / 1000.0), p20 = 1000.0 * (1 - p22);
    std::vector<std::vector<double>> out(neurons);
    for (std::uint64_t k = 0; k + 1 < rep.n_times; ++k)
        for (int i = 0; i < neurons; ++i) {
            const double v0 = rep.data[k * neurons + i], v1 = rep.data[(k + 1) * neurons + i];
            out[i].push_back((v1 - p22 * v0) / p20);
        }
    return out;
}

} // namespace

TEST(CurrentSources, StepHoldsEachAmplitudeFromItsTime) {
    const auto i = injected("  s: {type: step, target: N, times: [2.0, 5.0], amplitudes: [0.5, -0.2]}\n")[0];
    for (std::size_t k = 0; k < i.size(); ++k) {
        const double want = k < 20 ? 0.0 : k < 50 ? 0.5 : -0.2;
        ASSERT_NEAR(i[k], want, 2e-4) << "step " << k; // float32 report: V ~ 1 mV to ~1e-7
    }
}

TEST(CurrentSources, AcIsPyNNsSineFromItsStart) {
    const auto i = injected("  s: {type: ac, target: N, amplitude: 0.3, offset: 0.1, frequency: 100.0, "
                            "phase: 90.0, start: 1.0, stop: 9.0}\n")[0];
    for (std::size_t k = 0; k < i.size(); ++k) {
        const double t = (k * 0.1 - 1.0) * 1e-3;
        const double want = (k < 10 || k >= 90) ? 0.0 : 0.1 + 0.3 * std::sin(2 * M_PI * 100.0 * t + M_PI / 2);
        ASSERT_NEAR(i[k], want, 2e-4) << "step " << k;
    }
}

TEST(CurrentSources, NoisyDrawsPerNeuronAndIntervalWithTheGivenMoments) {
    const auto all =
        injected("  s: {type: noisy, target: N, mean: 0.2, stdev: 0.1, interval: 1.0}\n", 200, 20.0);
    double sum = 0, sq = 0;
    int n = 0;
    for (const auto& i : all) {
        for (std::size_t k = 0; k < i.size(); ++k) {
            ASSERT_NEAR(i[k], i[k - k % 10], 1e-3) << "held for the 1 ms interval";
            if (k % 10 == 0) {
                sum += i[k];
                sq += i[k] * i[k];
                ++n;
            }
        }
    }
    const double mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
    EXPECT_NEAR(mean, 0.2, 5 * 0.1 / std::sqrt(n));
    EXPECT_NEAR(sd, 0.1, 0.01);
    EXPECT_NE(all[0][0], all[1][0]) << "independent per neuron (NEST noise_generator)";
}

TEST(CurrentSources, ConfigErrors) {
    auto cfg = [](const std::string& st) {
        return "nmsim: 1\npopulations: {N: {size: 1, model: lif_delta}}\nstimuli:\n" + st;
    };
    EXPECT_THROW(
        load_config_text(cfg("  s: {type: step, target: N, times: [1.0, 2.0], amplitudes: [0.5]}\n"), "c"),
        ConfigError);
    EXPECT_THROW(
        load_config_text(cfg("  s: {type: step, target: N, times: [2.0, 1.0], amplitudes: [0.5, 1]}\n"), "c"),
        ConfigError);
    EXPECT_THROW(load_config_text(cfg("  s: {type: ac, target: N, amplitude: 1.0}\n"), "c"),
                 ConfigError); // frequency
    EXPECT_THROW(
        load_config_text(cfg("  s: {type: noisy, target: N, mean: 0, stdev: 1, interval: 0.15}\n"), "c"),
        ConfigError);
    EXPECT_THROW(load_config_text(cfg("  s: {type: dc, target: N, amplitude: 1, weight: 2}\n"), "c"),
                 ConfigError);
}
