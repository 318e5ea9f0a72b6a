// STDP against hand-computed traces (NEST stdp_synapse semantics, delays dendritic): pairs at several
// intervals before and after, weight bounds, all-to-all vs nearest pairing, multiplicative dependence,
// the flush of a silent source, and bitwise determinism over thread counts.
#include <gtest/gtest.h>

#include <cmath>
#include <fmt/format.h>

#include "sim/build/network_builder.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/engine/simulator.hpp"
#include "sim/plasticity/stdp.hpp"
#include "sim/run/run_service.hpp"
#include "sim/spec/errors.hpp"

using namespace nmsim;

namespace {

// n independent synapses: source i (spike times pre[i]) -> target i, whose spikes are forced by a
// driver firing at drive[i] - dt (a post spike stamped exactly drive[i]). dt 0.1 ms, delay 1 ms.
struct Pairs {
    std::vector<std::vector<double>> pre, drive;
    std::string plasticity =
        "{rule: stdp, tau_plus: 20, tau_minus: 20, A_plus: 0.1, A_minus: 0.12, w_min: 0, "
        "w_max: 1}";
    double w0 = 0.5, duration = 100.0;
};

std::string times(const std::vector<std::vector<double>>& t) {
    std::string s = "[";
    for (std::size_t i = 0; i < t.size(); ++i) {
        s += i ? ", [" : "[";
        for (std::size_t k = 0; k < t[i].size(); ++k) s += fmt::format("{}{}", k ? ", " : "", t[i][k]);
        s += "]";
    }
    return s + "]";
}

std::string pairs_config(const Pairs& c) {
    std::vector<std::vector<double>> drive = c.drive;
    for (auto& d : drive)
        for (auto& t : d) t = std::round((t - 0.1) * 10) / 10; // the driver's spike arrives one step later
    const std::size_t n = c.pre.size();
    return fmt::format("nmsim: 1\nsimulation: {{duration: {}, dt: 0.1}}\npopulations:\n"
                       "  pre: {{size: {n}, model: spike_source_array, spike_times: {}}}\n"
                       "  drv: {{size: {n}, model: spike_source_array, spike_times: {}}}\n"
                       "  post: {{size: {n}, model: lif_delta, params: {{v_rest: 0, v_reset: 0, v_thresh: "
                       "50, tau_refrac: 0.1}}}}\n"
                       "projections:\n"
                       "  drive: {{source: drv, target: post, connector: {{rule: one_to_one}}, synapse: "
                       "{{weight: 1000, delay: 0.1}}}}\n"
                       "  plastic: {{source: pre, target: post, connector: {{rule: one_to_one}}, synapse: "
                       "{{weight: {}, delay: 1.0, "
                       "plasticity: {}}}}}\n"
                       "recorders:\n  w: {{type: weights, projection: plastic}}\n  s: {{type: spikes, "
                       "populations: [post]}}\n",
                       c.duration, times(c.pre), times(drive), c.w0, c.plasticity, fmt::arg("n", n));
}

std::vector<double> learned(const Pairs& c, int threads = 1) {
    NetworkSpec spec = load_config_text(pairs_config(c), "stdp.yaml");
    spec.simulation.threads = threads;
    RunSettings settings;
    const RunOutcome o = run_network(std::move(spec), settings);
    return o.result.edges.at(0).weights;
}

// NEST's update at a pre spike, in ms: facilitation by each post spike with t_last < t_post + d <= t_pre,
// then depression by K-(t_pre - d); K+ is the trace after the previous pre spike.
struct Reference {
    double tau_plus = 20, tau_minus = 20, a_plus = 0.1, a_minus = 0.12, w_min = 0, w_max = 1, d = 1.0;
    bool nearest = false, multiplicative = false;
    // The stored weight is a 16-bit level over [w_min, w_max]: the initial weight and each update's
    // result are rounded to it (to nearest).
    double level(double w) const {
        const double step = (w_max - w_min) / 65535.0, q = std::nearbyint((w - w_min) * (1.0 / step));
        return q >= 65535.0 ? w_max : w_min + q * step;
    }
    double run(double w, const std::vector<double>& pre, const std::vector<double>& post) const {
        double k_plus = 0, last = -1e9;
        w = level(w);
        for (const double t : pre) {
            for (const double p : post)
                if (p + d > last + 1e-9 && p + d <= t + 1e-9 && last > -1e8)
                    w = std::min(w_max, w + (multiplicative ? a_plus * (w_max - w) : a_plus * w_max) *
                                                k_plus * std::exp(-(p + d - last) / tau_plus));
            double y = 0;
            for (const double p : post)
                if (p < t - d - 1e-9)
                    y = nearest ? std::exp(-(t - d - p) / tau_minus) : y + std::exp(-(t - d - p) / tau_minus);
            w = level(std::max(w_min, w - (multiplicative ? a_minus * (w - w_min) : a_minus * w_max) * y));
            k_plus = (nearest || last < -1e8 ? 0.0 : k_plus * std::exp(-(t - last) / tau_plus)) + 1.0;
            last = t;
        }
        return w;
    }
};

constexpr double tolerance = 1e-12; // the reference rounds to the same 16-bit levels

TEST(Stdp, PairsAtSeveralIntervalsMatchTheTraces) {
    // Pre at 50 ms, one post spike at 50 + dt_i ms, a read-out pre spike at 120 ms (its own depression
    // included). Post spikes reach the synapse 1 ms (the dendritic delay) after they happen: the
    // window's centre is at dt_i = -1 ms.
    const std::vector<double> intervals = {-30, -10, -5, -2, -1.5, -0.5, 0.5, 1, 2, 5, 10, 30};
    Pairs c;
    c.duration = 130;
    for (const double dt : intervals) {
        c.pre.push_back({50.0, 120.0});
        c.drive.push_back({50.0 + dt});
    }
    const auto w = learned(c);
    ASSERT_EQ(w.size(), intervals.size());
    Reference ref;
    for (std::size_t i = 0; i < intervals.size(); ++i) {
        const double expect = ref.run(0.5, c.pre[i], c.drive[i]);
        EXPECT_NEAR(w[i], expect, tolerance) << "interval " << intervals[i];
    }
    // Pre before post potentiates, post before pre depresses (relative to the dendritic delay).
    EXPECT_GT(w[8], 0.5);  // +2 ms
    EXPECT_LT(w[2], 0.5);  // -5 ms
    EXPECT_GT(w[8], w[9]); // the window decays with the interval
}

TEST(Stdp, WeightsStayWithinBounds) {
    // Potentiation alone saturates at w_max, depression alone at w_min, exactly.
    Pairs c;
    c.pre = {{10, 20, 30, 40}};
    c.drive = {{12, 22, 32, 42}};
    c.plasticity = "{rule: stdp, tau_plus: 20, tau_minus: 20, A_plus: 5, A_minus: 0, w_min: 0.2, w_max: 0.8}";
    EXPECT_EQ(learned(c)[0], 0.8);
    c.plasticity = "{rule: stdp, tau_plus: 20, tau_minus: 20, A_plus: 0, A_minus: 5, w_min: 0.2, w_max: 0.8}";
    EXPECT_EQ(learned(c)[0], 0.2);
}

TEST(Stdp, NearestAndAllToAllPairingDiffer) {
    Pairs c;
    c.pre = {{10, 15, 60}};
    c.drive = {{20, 23}};
    const double all = learned(c)[0];
    Reference ref;
    EXPECT_NEAR(all, ref.run(0.5, c.pre[0], c.drive[0]), tolerance);
    c.plasticity =
        "{rule: stdp, pairing: nearest, tau_plus: 20, tau_minus: 20, A_plus: 0.1, A_minus: 0.12, w_min: "
        "0, w_max: 1}";
    const double nearest = learned(c)[0];
    ref.nearest = true;
    EXPECT_NEAR(nearest, ref.run(0.5, c.pre[0], c.drive[0]), tolerance);
    EXPECT_GT(std::abs(all - nearest), 0.01);
}

TEST(Stdp, MultiplicativeDependence) {
    Pairs c;
    c.plasticity =
        "{rule: stdp, weight_dependence: multiplicative, tau_plus: 20, tau_minus: 20, A_plus: 0.1, "
        "A_minus: 0.12, w_min: 0, w_max: 1}";
    c.pre = {{10, 15, 60}, {30, 70}};
    c.drive = {{20, 23}, {25, 26}};
    c.w0 = 0.3;
    const auto w = learned(c);
    Reference ref;
    ref.multiplicative = true;
    for (std::size_t i = 0; i < 2; ++i) EXPECT_NEAR(w[i], ref.run(0.3, c.pre[i], c.drive[i]), tolerance) << i;
}

TEST(Stdp, ASilentSourceIsFlushedAndLaterPostSpikesNoLongerCount) {
    // tau+ 2 ms: the flush comes 64 ms after the pre spike at 5 ms. Post spikes at 8 ms (reached:
    // potentiates) and at 150 ms (after the flush: no effect); the read-out pre spike at 300 ms.
    Pairs c;
    c.plasticity = "{rule: stdp, tau_plus: 2, tau_minus: 20, A_plus: 0.1, A_minus: 0.12, w_min: 0, w_max: 1}";
    c.pre = {{5, 300}};
    c.drive = {{8, 150}};
    c.duration = 310;
    Reference ref;
    ref.tau_plus = 2;
    EXPECT_NEAR(learned(c)[0], ref.run(0.5, c.pre[0], c.drive[0]), tolerance);
}

TEST(Stdp, BitwiseTheSameForOneTwoAndThreeThreads) {
    // A random E network with plastic recurrent synapses, Poisson-driven: spikes and learned weights.
    const std::string yaml =
        "nmsim: 1\nsimulation: {duration: 300, dt: 0.1, seed: 7}\npopulations:\n"
        "  E: {size: 300, model: lif_delta, params: {v_rest: 0, v_reset: 10, v_thresh: 20, tau_refrac: 2}}\n"
        "projections:\n"
        "  ee: {source: E, target: E, connector: {rule: fixed_outdegree, outdegree: 30}, synapse: {weight: "
        "{uniform: "
        "[0.2, 0.6]}, delay: {uniform: [1.0, 3.0]}, plasticity: {rule: stdp, A_plus: 0.05, A_minus: 0.06, "
        "w_max: 1.0}}}\n"
        "stimuli:\n  bg: {type: poisson, target: [E], rate: 15000, weight: 0.2}\n"
        "recorders:\n  w: {type: weights, projection: ee}\n  s: {type: spikes, populations: [E]}\n";
    std::vector<std::vector<double>> weights;
    std::vector<std::vector<double>> spikes;
    for (const int threads : {1, 2, 3}) {
        NetworkSpec spec = load_config_text(yaml, "det.yaml");
        spec.simulation.threads = threads;
        const RunOutcome o = run_network(std::move(spec), RunSettings{});
        weights.push_back(o.result.edges.at(0).weights);
        spikes.push_back(o.result.spikes.at("E").times_ms);
    }
    EXPECT_GT(spikes[0].size(), 100u);
    EXPECT_EQ(weights[0], weights[1]);
    EXPECT_EQ(weights[0], weights[2]);
    EXPECT_EQ(spikes[0], spikes[1]);
    EXPECT_EQ(spikes[0], spikes[2]);
    // And the weights moved from their initial draws.
    NetworkSpec still = load_config_text(yaml, "det.yaml", {"simulation.duration=0.1"});
    const auto initial = run_network(std::move(still), RunSettings{}).result.edges.at(0).weights;
    ASSERT_EQ(initial.size(), weights[0].size());
    std::size_t moved = 0;
    for (std::size_t k = 0; k < initial.size(); ++k) moved += initial[k] != weights[0][k];
    EXPECT_GT(moved, initial.size() / 10);
    EXPECT_GT(weights[0].size(), 8000u);
}

} // namespace

namespace {

TEST(Stdp, ConfigErrorsNameTheKey) {
    auto error = [](const std::string& plasticity) -> std::string {
        try {
            load_config_text(
                "nmsim: 1\npopulations:\n  A: {size: 2, model: lif_delta}\nprojections:\n"
                "  p: {source: A, target: A, connector: {rule: all_to_all}, synapse: {weight: 0.1, "
                "delay: 1.0, plasticity: " +
                    plasticity + "}}\n",
                "p.yaml");
        } catch (const ConfigError& e) {
            EXPECT_EQ(e.line, 5) << e.what();
            return e.key_path;
        }
        return "no error";
    };
    EXPECT_EQ(error("{rule: hebb}"), "projections.p.synapse.plasticity.rule");
    EXPECT_EQ(error("{rule: stdp, pairing: sometimes}"), "projections.p.synapse.plasticity.pairing");
    EXPECT_EQ(error("{rule: stdp, weight_dependence: gutig}"),
              "projections.p.synapse.plasticity.weight_dependence");
    EXPECT_EQ(error("{rule: stdp, w_min: 1, w_max: 0.5}"), "projections.p.synapse.plasticity.w_max");
    EXPECT_EQ(error("{rule: stdp, weight_bits: 17}"), "projections.p.synapse.plasticity.weight_bits");
    EXPECT_EQ(error("{rule: stdp, tau_plus: 0}"), "projections.p.synapse.plasticity.tau_plus");
    EXPECT_EQ(error("{rule: stdp, learning_rate: 1}"), "projections.p.synapse.plasticity.learning_rate");
    EXPECT_EQ(error("{rule: stdp, rounding: up}"), "projections.p.synapse.plasticity.rounding");
}

} // namespace
