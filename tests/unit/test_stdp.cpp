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

// A random E network with plastic recurrent synapses, Poisson-driven.
std::string learning_network(const std::string& plasticity,
                             const std::string& delay = "{uniform: [1.0, 3.0]}",
                             const std::string& connector = "{rule: fixed_outdegree, outdegree: 30}") {
    return "nmsim: 1\nsimulation: {duration: 300, dt: 0.1, seed: 7}\npopulations:\n"
           "  E: {size: 300, model: lif_delta, params: {v_rest: 0, v_reset: 10, v_thresh: 20, tau_refrac: "
           "2}}\n"
           "projections:\n"
           "  ee: {source: E, target: E, connector: " +
           connector +
           ", synapse: "
           "{weight: "
           "{uniform: [0.2, 0.6]}, delay: " +
           delay + ", plasticity: " + plasticity +
           "}}\n"
           "stimuli:\n  bg: {type: poisson, target: [E], rate: 15000, weight: 0.2}\n"
           "recorders:\n  w: {type: weights, projection: ee}\n  s: {type: spikes, populations: [E]}\n";
}

// Spikes and learned weights of learning_network are the same for 1, 2 and 3 threads, and most weights
// moved.
void expect_deterministic_learning(const std::string& plasticity) {
    const std::string yaml = learning_network(plasticity);
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

TEST(Stdp, ClockAndEventEnginesLearnTheSame) {
    // With one delay the clock run adds each plastic row's batch straight into its ring slot
    // (RowSend::cells); the event run, which marks targets as it delivers, goes through the per-synapse
    // sink. Same spikes and weights, bitwise, on 1 and 2 threads.
    const std::string yaml = learning_network("{rule: stdp, A_plus: 0.05, A_minus: 0.06, w_max: 1.0}", "1.5");
    std::vector<std::vector<double>> weights, spikes;
    for (const char* engine : {"clock", "event"})
        for (const int threads : {1, 2}) {
            NetworkSpec spec =
                load_config_text(yaml, "engines.yaml", {std::string("simulation.engine=") + engine});
            spec.simulation.threads = threads;
            const RunOutcome o = run_network(std::move(spec), RunSettings{});
            weights.push_back(o.result.edges.at(0).weights);
            spikes.push_back(o.result.spikes.at("E").times_ms);
        }
    EXPECT_GT(spikes[0].size(), 100u);
    for (std::size_t k = 1; k < spikes.size(); ++k) {
        EXPECT_EQ(spikes[k], spikes[0]) << k;
        EXPECT_EQ(weights[k], weights[0]) << k;
    }
}

TEST(Stdp, PlasticProjectionsHoldTheirConnectivityAsAsked) {
    // A plastic fixed_outdegree (rows regenerated by blocks) or fixed_indegree (slot rows) projection:
    // auto regenerates its rows within the default budget, takes a table under a tighter one, and an
    // explicit packed keeps the table (its drawn initial weights are regenerated once, not stored
    // beside the levels: procedural_weights). Same spikes and weights.
    for (const std::string connector :
         {"{rule: fixed_outdegree, outdegree: 30}", "{rule: fixed_indegree, indegree: 30}"}) {
        const std::string yaml =
            learning_network("{rule: stdp, A_plus: 0.05, A_minus: 0.06, w_max: 1.0}", "1.5", connector);
        const struct {
            const char* set;
            StorageKind kind;
        } cases[] = {{"simulation.storage=auto", StorageKind::procedural},
                     {"simulation.storage_budget=1.05", StorageKind::procedural_weights},
                     {"projections.ee.synapse.storage=packed", StorageKind::procedural_weights},
                     {"projections.ee.synapse.storage=procedural", StorageKind::procedural}};
        std::vector<std::vector<double>> weights, spikes;
        for (const auto& c : cases) {
            NetworkSpec spec = load_config_text(yaml, "storage.yaml", {c.set});
            spec.simulation.threads = 2;
            const RunOutcome o = run_network(std::move(spec), RunSettings{});
            const ProjectionStorage& st = o.summary.projections.at(0).storage;
            EXPECT_EQ(st.kind, c.kind) << connector << ", " << c.set << ": " << st.reason;
            EXPECT_NE(st.reason.find("plastic"), std::string::npos) << st.reason;
            weights.push_back(o.result.edges.at(0).weights);
            spikes.push_back(o.result.spikes.at("E").times_ms);
        }
        EXPECT_GT(spikes[0].size(), 100u);
        for (std::size_t k = 1; k < spikes.size(); ++k) {
            EXPECT_EQ(spikes[k], spikes[0]) << connector << ", " << cases[k].set;
            EXPECT_EQ(weights[k], weights[0]) << connector << ", " << cases[k].set;
        }
    }
}

TEST(Stdp, BitwiseTheSameForOneTwoAndThreeThreads) {
    expect_deterministic_learning("{rule: stdp, A_plus: 0.05, A_minus: 0.06, w_max: 1.0}");
}

TEST(StdpTriplet, BitwiseTheSameForOneTwoAndThreeThreads) {
    expect_deterministic_learning(
        "{rule: triplet, A_plus: 0.02, A3_plus: 0.03, A_minus: 0.03, A3_minus: 0.01, "
        "w_max: 1.0}");
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
    EXPECT_EQ(error("{rule: stdp, tau_x: 100}"), "projections.p.synapse.plasticity.tau_x");
    EXPECT_EQ(error("{rule: triplet, weight_dependence: multiplicative}"),
              "projections.p.synapse.plasticity.weight_dependence");
    EXPECT_EQ(error("{rule: triplet, A3_plus: -1}"), "projections.p.synapse.plasticity.A3_plus");
}

// The triplet rule (Pfister & Gerstner 2006) as NEST's stdp_triplet_synapse: at a pre spike t,
// facilitation by each post spike p with t_last < p + d <= t of x1(p + d) (A2+ + A3+ o2(p-)), then
// depression y1(t - d) (A2- + A3- r2(t-)); amplitudes in weight units. Traces written as the sums of
// exponentials they are (all-to-all) or of the latest spike only (nearest), not as the engine's
// recursions.
struct TripletReference {
    double tau_plus = 16.8, tau_minus = 33.7, tau_x = 101, tau_y = 125, a2p = 0.05, a3p = 0.08, a2m = 0.06,
           a3m = 0.02, w_min = 0, w_max = 10, d = 1.0;
    bool nearest = false;
    // Sum over spikes s in `times` with s < t (strictly) of e^(-(t - s)/tau); nearest: the latest only.
    double trace(const std::vector<double>& times, double t, double tau, bool inclusive = false) const {
        double sum = 0, latest = -1e300;
        for (const double s : times)
            if (s < t - 1e-9 || (inclusive && s <= t + 1e-9)) {
                sum += std::exp(-(t - s) / tau);
                latest = std::max(latest, s);
            }
        return nearest ? (latest > -1e299 ? std::exp(-(t - latest) / tau) : 0.0) : sum;
    }
    double level(double w) const {
        const double step = (w_max - w_min) / 65535.0, q = std::nearbyint((w - w_min) * (1.0 / step));
        return q >= 65535.0 ? w_max : w_min + q * step;
    }
    double run(double w, const std::vector<double>& pre, const std::vector<double>& post) const {
        w = level(w);
        for (std::size_t i = 0; i < pre.size(); ++i) {
            const double t = pre[i];
            const std::vector<double> earlier(pre.begin(), pre.begin() + static_cast<std::ptrdiff_t>(i));
            if (i > 0)
                for (const double p : post)
                    if (p + d > pre[i - 1] + 1e-9 && p + d <= t + 1e-9)
                        w = std::min(w_max, w + trace(earlier, p + d, tau_plus, true) *
                                                    (a2p + a3p * trace(post, p, tau_y)));
            w = level(
                std::max(w_min, w - trace(post, t - d, tau_minus) * (a2m + a3m * trace(earlier, t, tau_x))));
        }
        return w;
    }
};

std::string triplet_rule(bool nearest) {
    return fmt::format(
        "{{rule: triplet, pairing: {}, tau_plus: 16.8, tau_minus: 33.7, tau_x: 101, tau_y: "
        "125, A_plus: 0.05, A3_plus: 0.08, A_minus: 0.06, A3_minus: 0.02, w_min: 0, w_max: 10}}",
        nearest ? "nearest" : "all_to_all");
}

TEST(StdpTriplet, PairsAndTripletsMatchTheTraces) {
    // Pairs at several intervals, then the triplets that tell the rule from a pair rule: post-pre-post
    // (the second post spike potentiates more for the first one's o2) and pre-post-pre (the second pre
    // spike depresses more for the first one's r2). Times are when post spikes happen; they reach the
    // synapse 1 ms later. The last pre spike reads the weight out, within the flush horizon.
    Pairs c;
    c.duration = 200;
    const std::vector<double> intervals = {-20, -5, -2, 2, 5, 20};
    for (const double dt : intervals) {
        c.pre.push_back({50.0, 150.0});
        c.drive.push_back({49.0 + dt});
    }
    c.pre.push_back({50.0, 150.0}); // post-pre-post
    c.drive.push_back({40.0, 55.0});
    c.pre.push_back({40.0, 60.0, 150.0}); // pre-post-pre
    c.drive.push_back({49.0});
    c.pre.push_back({10, 30, 50, 70, 90, 150}); // a burst of pairs
    c.drive.push_back({14, 34, 54, 74, 94});
    c.w0 = 5.0;
    for (const bool nearest : {false, true}) {
        c.plasticity = triplet_rule(nearest);
        const auto w = learned(c);
        ASSERT_EQ(w.size(), c.pre.size());
        TripletReference ref;
        ref.nearest = nearest;
        for (std::size_t i = 0; i < w.size(); ++i)
            EXPECT_NEAR(w[i], ref.run(5.0, c.pre[i], c.drive[i]), 1e-12)
                << "case " << i << " nearest " << nearest;
        EXPECT_GT(w[4], 5.0); // +5 ms potentiates
        EXPECT_LT(w[1], 5.0); // -5 ms depresses
    }
    // The triplet terms matter: without them (A3 = 0) the post-pre-post case potentiates less.
    c.plasticity =
        "{rule: triplet, A_plus: 0.05, A3_plus: 0, A_minus: 0.06, A3_minus: 0, w_min: 0, w_max: 10}";
    const auto pair_only = learned(c);
    c.plasticity = triplet_rule(false);
    EXPECT_GT(learned(c)[6] - 5.0, pair_only[6] - 5.0 + 0.01);
}

TEST(StdpTriplet, FrequencyDependenceOfPairings) {
    // Pfister & Gerstner's point (Sjostrom 2001): 60 pairings of post 10 ms before pre depress at 1 Hz
    // but potentiate at 50 Hz, with the paper's visual-cortex parameters (all-to-all). Each source is
    // paired with its own target; the weight is read out by a last pre spike. Checked against the
    // reference with rounding to levels (the flushes between pairings at 1 Hz round once more).
    Pairs c;
    c.plasticity = "{rule: triplet, w_min: 0, w_max: 1}";
    for (const double hz : {1.0, 50.0}) {
        std::vector<double> pre, post;
        for (int k = 0; k < 60; ++k) {
            const double t = 20.0 + k * 1000.0 / hz;
            pre.push_back(t);
            post.push_back(t - 10.0 - 1.0); // reaches the synapse 10 ms before the pre spike
        }
        pre.push_back(pre.back() + 200.0);
        c.pre.push_back(pre);
        c.drive.push_back(post);
    }
    c.duration = c.pre[0].back() + 10.0;
    c.w0 = 0.5;
    const auto w = learned(c);
    TripletReference ref;
    ref.a2p = 5e-10, ref.a3p = 6.2e-3, ref.a2m = 7e-3, ref.a3m = 2.3e-4, ref.w_max = 1;
    EXPECT_NEAR(w[0], ref.run(0.5, c.pre[0], c.drive[0]), 1e-3);
    EXPECT_NEAR(w[1], ref.run(0.5, c.pre[1], c.drive[1]), 1e-3);
    EXPECT_LT(w[0], 0.5 - 0.05); // 1 Hz: depression
    EXPECT_GT(w[1], 0.5 + 0.05); // 50 Hz: potentiation
}

} // namespace

namespace {

TEST(Stdp, PartitionsBalanceExpectedPlasticWork) {
    // 1000 E with 500 plastic inputs each, then 1000 I with none: E weighs 1 + 500/100 = 6, I 1, so two
    // partitions cut E at 7000/2/6 = 583; ranges stay contiguous and cover every neuron. Static: halves.
    const std::string yaml =
        "nmsim: 1\npopulations:\n  E: {size: 1000, model: lif_delta}\n  I: {size: 1000, model: lif_delta}\n"
        "projections:\n  ee: {source: E, target: E, connector: {rule: fixed_indegree, indegree: 500}, "
        "synapse: "
        "{weight: 0.1, delay: 1.0, plasticity: {rule: stdp}}}\n";
    const NetworkSpec spec = load_config_text(yaml, "b.yaml");
    std::vector<ProjectionGenerator> generators;
    for (const auto& pr : spec.projections) generators.emplace_back(spec, pr);
    const auto r = plastic_balanced_ranges(spec, generators, 2);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].first, 0u);
    EXPECT_EQ(r[0].second, 583u);
    EXPECT_EQ(r[1].first, 583u);
    EXPECT_EQ(r[1].second, 2000u);
    const NetworkSpec still = load_config_text(yaml.substr(0, yaml.find(", plasticity")) + "}}\n", "s.yaml");
    std::vector<ProjectionGenerator> g2;
    for (const auto& pr : still.projections) g2.emplace_back(still, pr);
    EXPECT_EQ(plastic_balanced_ranges(still, g2, 2), partition_ranges(2000, 2));
}

} // namespace

namespace {

TEST(Stdp, RecentSpikesGiveTheHistorysUpdateExactly) {
    // The catch-up from a target's four newest spikes (stdp_update_recent) against the one from its whole
    // history (stdp_update) on random post trains, sources and delays: bitwise the same weight, for the
    // pair and the triplet rule, at spikes and at flushes, including windows that need the history.
    for (const bool triplet : {false, true}) {
        PlasticitySpec p;
        p.enabled = true;
        p.rule = triplet ? PlasticitySpec::Rule::triplet : PlasticitySpec::Rule::pair;
        p.tau_plus = 5.0, p.tau_minus = 8.0, p.a_plus = 0.1, p.a_minus = 0.12, p.w_max = 1.0;
        const StdpRule rule(p, 0.1, 1, 0, 40);
        StdpState st;
        st.init(1, 3);
        std::uint64_t rng = 12345;
        auto next = [&] { return (rng = rng * 6364136223846793005ull + 1442695040888963407ull) >> 33; };
        std::uint64_t stamp = 1;
        std::size_t compared = 0, via_history = 0;
        for (int n = 0; n < 3000; ++n) {
            stamp += 1 + next() % 30; // post spikes 0.1..3 ms apart: windows often hold more than four
            st.post_spike(rule, next() % 3, stamp, rule.horizon() + 41);
            StdpState::Source src;
            src.last = static_cast<std::int64_t>(stamp - next() % 200);
            src.k_plus = 1.0 + (next() % 100) / 50.0;
            src.r2 = (next() % 100) / 30.0;
            src.flushed = next() % 5 == 0;
            const std::uint64_t pre = stamp + next() % 20;
            const auto d = static_cast<std::uint32_t>(1 + next() % 40);
            const bool spike = next() % 4 != 0;
            for (std::uint64_t t = 0; t < 3; ++t) {
                const double w = (next() % 1000) / 1000.0;
                const double a = stdp_update_recent(rule, src, st, t, w, pre, d, spike, 0.3);
                const double b = stdp_update(rule, src, st.history(t), w, pre, d, spike, 0.3);
                ASSERT_EQ(a, b) << "triplet " << triplet << " post " << n << " target " << t;
                ++compared;
                via_history += st.recent(t).stamp[StdpState::recent_spikes - 1] + d > std::uint64_t(src.last);
            }
        }
        EXPECT_EQ(compared, 9000u);
        EXPECT_GT(via_history, 500u);            // the history path is exercised
        EXPECT_GT(compared - via_history, 500u); // and the four-spike path
    }
}

} // namespace

namespace {

// stdp_pair_batch with the row's flags fixed at compile time, as catch_up_pair_row calls it.
template <bool Additive, bool Round>
void pair_batch(const StdpRule& rule, const StdpState& st, bool facilitate, bool spike, std::size_t n,
                const std::uint32_t* target, const std::uint32_t* delay, const std::uint16_t* level,
                std::uint32_t last, double k_plus, std::uint32_t pre, double* w, std::uint16_t* q,
                std::uint8_t* complete) {
    const auto run = [&]<bool F, bool S>() {
        stdp_pair_batch<Additive, F, S, Round>(rule, st, n, target, delay, level, last, k_plus, pre, w, q,
                                               complete);
    };
    if (facilitate)
        spike ? run.template operator()<true, true>() : run.template operator()<true, false>();
    else
        spike ? run.template operator()<false, true>() : run.template operator()<false, false>();
}

TEST(Stdp, TheVectorisedPairKernelGivesTheHistorysUpdateExactly) {
    // The branch-free batch kernel of the pair rule (stdp_pair_batch) against the catch-up from the whole
    // history (stdp_update), additive and multiplicative, at spikes and flushes, on random post trains,
    // sources, delays and stored levels: where it says complete, bitwise the same weight; where not,
    // the history was needed (the caller then uses stdp_update_recent).
    for (const bool additive : {true, false}) {
        PlasticitySpec p;
        p.enabled = true;
        p.dependence =
            additive ? PlasticitySpec::Dependence::additive : PlasticitySpec::Dependence::multiplicative;
        p.tau_plus = 5.0, p.tau_minus = 8.0, p.a_plus = 0.1, p.a_minus = 0.12, p.w_max = 1.0, p.w_min = 0.0;
        const StdpRule rule(p, 0.1, 1, 0, 40);
        constexpr std::uint32_t targets = 11;
        StdpState st;
        st.init(1, targets);
        std::uint64_t rng = 987654321;
        auto next = [&] { return (rng = rng * 6364136223846793005ull + 1442695040888963407ull) >> 33; };
        std::uint64_t stamp = 1;
        std::size_t complete_count = 0, incomplete = 0, hits = 0;
        for (int n = 0; n < 2000; ++n) {
            stamp += 1 + next() % 10;
            st.post_spike(rule, next() % targets, stamp, rule.horizon() + 41);
            StdpState::Source src;
            src.last = static_cast<std::int64_t>(stamp - next() % 300);
            src.k_plus = 1.0 + (next() % 100) / 50.0;
            src.flushed = next() % 5 == 0;
            const bool facilitate = src.last >= 0 && !src.flushed; // as catch_up_row decides
            const std::uint64_t pre = stamp + next() % 20;
            const bool spike = next() % 4 != 0;
            constexpr std::size_t batch = 19; // not a multiple of the vector width: the tail runs too
            std::uint32_t target[batch], delay[batch];
            std::uint16_t level[batch];
            for (std::size_t k = 0; k < batch; ++k) {
                target[k] = static_cast<std::uint32_t>(next() % targets);
                delay[k] = static_cast<std::uint32_t>(1 + next() % 40);
                level[k] = static_cast<std::uint16_t>(next() % 65536);
            }
            double w[batch], w_rounded[batch];
            std::uint16_t q[batch];
            std::uint8_t complete[batch], complete_rounded[batch];
            const auto last = static_cast<std::uint32_t>(src.last);
            const auto pre32 = static_cast<std::uint32_t>(pre);
            (additive ? pair_batch<true, false>
                      : pair_batch<false, false>)(rule, st, facilitate, spike, batch, target, delay, level,
                                                  last, src.k_plus, pre32, w, q, complete);
            (additive ? pair_batch<true, true>
                      : pair_batch<false, true>)(rule, st, facilitate, spike, batch, target, delay, level,
                                                 last, src.k_plus, pre32, w_rounded, q, complete_rounded);
            for (std::size_t k = 0; k < batch; ++k) {
                const double w0 = rule.decode(level[k]);
                const double expect =
                    stdp_update(rule, src, st.history(target[k]), w0, pre, delay[k], spike, 0.0);
                ASSERT_EQ(complete[k], complete_rounded[k]);
                if (!complete[k]) {
                    ++incomplete;
                    continue;
                }
                ASSERT_EQ(w[k], expect) << "additive " << additive << " post " << n << " synapse " << k;
                // Round: the stored level and its weight, as encode and decode give them.
                ASSERT_EQ(q[k], rule.encode(expect, 0, target[k], pre));
                ASSERT_EQ(w_rounded[k], rule.decode(q[k]));
                ++complete_count;
                hits += w[k] != w0;
            }
        }
        EXPECT_GT(complete_count, 20000u);
        EXPECT_GT(incomplete, 500u); // the caller's fallback is exercised
        EXPECT_GT(hits, 10000u);     // and most updates move the weight
    }
}

} // namespace

namespace {

TEST(Stdp, CatchingUpOncePerShortestDelayGivesTheStepByStepRun) {
    // Plastic rows catch up once per slice of min-delay steps (1 ms = 10 steps here) instead of every
    // step: a pre spike's update reads only post spikes older than its arrival, and the flushes and
    // weight samples due are taken in step order between the slice's deliveries. Spikes, learned
    // weights and the weights recorded at an interval are the step-by-step run's bitwise, for the pair
    // rule (additive all-to-all, multiplicative nearest) and the triplet rule, on 1 to 3 threads;
    // tau+ = 1 ms puts the flush horizon at 32 ms, so that flushes are due often.
    for (const std::string plasticity :
         {"{rule: stdp, tau_plus: 1, A_plus: 0.05, A_minus: 0.06, w_max: 1.0}",
          "{rule: stdp, tau_plus: 1, A_plus: 0.05, A_minus: 0.06, w_max: 1.0, pairing: nearest, "
          "weight_dependence: multiplicative}",
          "{rule: triplet, tau_plus: 1, A_plus: 0.02, A3_plus: 0.03, A_minus: 0.03, A3_minus: 0.01, w_max: "
          "1.0}"}) {
        const std::string yaml =
            "nmsim: 1\nsimulation: {duration: 400, dt: 0.1, seed: 11}\npopulations:\n"
            "  E: {size: 300, model: lif_delta, params: {v_rest: 0, v_reset: 10, v_thresh: 20, tau_refrac: "
            "2}}\n"
            "projections:\n"
            "  ee: {source: E, target: E, connector: {rule: fixed_indegree, indegree: 30}, synapse: {weight: "
            "{uniform: [0.2, 0.6]}, delay: {uniform: [1.0, 3.0]}, plasticity: " +
            plasticity +
            "}}\n"
            "stimuli:\n  bg: {type: poisson, target: [E], rate: 15000, weight: 0.2}\n"
            "recorders:\n  w: {type: weights, projection: ee, interval: 5.0}\n  s: {type: spikes}\n";
        const NetworkSpec spec = load_config_text(yaml, "slice.yaml");
        for (const int threads : {1, 2, 3}) {
            BuiltNetwork ref_net = build_network(spec, threads), net = build_network(spec, threads);
            RunOptions step_by_step;
            step_by_step.exchange_steps = 1;
            const RunResult ref = simulate(ref_net, step_by_step), r = simulate(net);
            ASSERT_EQ(ref.exchange_steps, 1u);
            ASSERT_EQ(r.exchange_steps, 10u);
            ASSERT_GT(ref.spikes.at("E").times_ms.size(), 500u);
            EXPECT_EQ(r.spikes.at("E").times_ms, ref.spikes.at("E").times_ms) << plasticity << threads;
            EXPECT_EQ(r.spikes.at("E").node_ids, ref.spikes.at("E").node_ids) << plasticity << threads;
            ASSERT_EQ(r.weight_samples.size(), 1u);
            EXPECT_EQ(r.weight_samples[0].levels, ref.weight_samples[0].levels) << plasticity << threads;
            for (std::size_t p = 0; p < net.partitions.size(); ++p)
                EXPECT_EQ(net.partitions[p].plastic[0].level, ref_net.partitions[p].plastic[0].level)
                    << plasticity << threads;
        }
    }
}

} // namespace
