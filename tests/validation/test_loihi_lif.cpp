// loihi_lif against integer traces computed by hand from Lava's PyLifModelBitAcc update
// (chips.md: u' = wrap24(trunc(u (4096 - du - 1) / 4096) + a_in 64), v' = clip(trunc(v (4096 - dv) / 4096) +
// u' + bias)).
#include <gtest/gtest.h>

#include "models/loihi_lif.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/spec/errors.hpp"

using namespace nmsim;

namespace {

std::unique_ptr<NeuronGroup> make(double du, double dv, double vth, double bias_mant = 0, double bias_exp = 0,
                                  double weight_exp = 0) {
    const std::map<std::string, double> p = {{"du", du},
                                             {"dv", dv},
                                             {"vth", vth},
                                             {"bias_mant", bias_mant},
                                             {"bias_exp", bias_exp},
                                             {"weight_exp", weight_exp},
                                             {"weight_exp_b", 0}};
    return loihi_lif_model.create(1, p, 1.0);
}

// Runs the neuron with the given input (sum of weight mantissas) per step; returns (u, v) after each.
std::vector<std::pair<double, double>> trace(NeuronGroup& g, const std::vector<double>& inputs,
                                             std::vector<std::uint32_t>* spikes = nullptr) {
    std::vector<std::pair<double, double>> out;
    std::vector<std::uint32_t> spiked;
    for (double a : inputs) {
        double syn = a, cur = 0.0;
        StepInput in{{&syn, nullptr}, &cur, 1};
        spiked.clear();
        g.update(0, 1, in, spiked);
        if (spikes) spikes->push_back(static_cast<std::uint32_t>(spiked.size()));
        out.emplace_back(g.get(1, 0), g.get(0, 0));
    }
    return out;
}

} // namespace

TEST(LoihiLif, SubthresholdTraceMatchesHandComputation) {
    // du = 100, dv = 200, one input of mantissa 100 at step 0, threshold 1000 << 6 never reached.
    // Step 1: u = 0 + 100*64 = 6400; v = 0 + 6400 = 6400.
    // Step 2: u = trunc(6400*3995/4096) = trunc(6242.19) = 6242; v = trunc(6400*3896/4096) + 6242 = 6087 +
    // 6242 = 12329. Step 3: u = trunc(6242*3995/4096) = trunc(6088.08) = 6088; v = trunc(12329*3896/4096) +
    // 6088 = 11726 + 6088 = 17814.
    auto g = make(100, 200, 1000);
    const auto t = trace(*g, {100, 0, 0, 0, 0, 0});
    const std::vector<std::pair<double, double>> want = {{6400, 6400},  {6242, 12329}, {6088, 17814},
                                                         {5937, 22881}, {5790, 27553}, {5647, 31854}};
    EXPECT_EQ(t, want);
}

TEST(LoihiLif, NegativeValuesTruncateTowardZero) {
    auto g = make(100, 200, 1000);
    const auto t = trace(*g, {-100, 0, 0});
    const std::vector<std::pair<double, double>> want = {{-6400, -6400}, {-6242, -12329}, {-6088, -17814}};
    EXPECT_EQ(t, want);
}

TEST(LoihiLif, SpikesAboveThresholdAndResetsVoltageOnly) {
    // vth = 100 -> 6400: v = 6400 is not above it (strict); the next step's v = 6087 + 6242 > 6400 spikes.
    auto g = make(100, 200, 100);
    std::vector<std::uint32_t> spikes;
    const auto t = trace(*g, {100, 0, 0}, &spikes);
    EXPECT_EQ(spikes, (std::vector<std::uint32_t>{0, 1, 0}));
    EXPECT_EQ(t[1], (std::pair<double, double>{6242, 0})); // u keeps its value, v resets to 0
    EXPECT_EQ(t[2], (std::pair<double, double>{6088, 6088}));
}

TEST(LoihiLif, DuZeroStillDecaysAndDu4095ClearsTheCurrent) {
    auto slow = make(0, 0, 100000);
    EXPECT_EQ(trace(*slow, {100, 0})[1].first, 6398); // trunc(6400 * 4095 / 4096) = 6398
    auto fast = make(4095, 0, 100000);
    EXPECT_EQ(trace(*fast, {100, 0})[1].first, 0);
    // dv = 0: no voltage leak, v integrates u: 6400 + 6398 after two steps, then
    // u = trunc(6398 * 4095 / 4096) = 6396 and v = 12798 + 6396 on the third.
    EXPECT_EQ(trace(*slow, {0})[0].second, 6400 + 6398 + 6396);
}

TEST(LoihiLif, BiasAndWeightExponent) {
    // bias 3 << 2 = 12 per step; weight_exp 2: mantissa 5 -> 20 -> u += 20 * 64 = 1280.
    auto g = make(4095, 4096, 100000, 3, 2, 2);
    const auto t = trace(*g, {5, 0});
    EXPECT_EQ(t[0], (std::pair<double, double>{1280, 1280 + 12}));
    EXPECT_EQ(t[1], (std::pair<double, double>{0, 12})); // dv = 4096 forgets v, du = 4095 clears u
    auto shifted = make(4095, 4096, 100000, 0, 0, -2);   // weight_exp -2: mantissa 8 -> 2
    EXPECT_EQ(trace(*shifted, {8})[0].first, 128);
}

TEST(LoihiLif, VoltageSaturatesAndCurrentWraps) {
    auto g = make(0, 0, 131071); // vth_eff = 8,388,544: just below 2^23 - 1
    // a_in = 131071 -> u = 131071 * 64 = 8,388,544; v saturates at 2^23 - 1 after the second step.
    std::vector<std::uint32_t> spikes;
    auto t = trace(*g, {131071, 0}, &spikes);
    EXPECT_EQ(t[0].first, 8388544);
    EXPECT_EQ(spikes[0], 0u); // 8,388,544 is not above 8,388,544
    EXPECT_EQ(spikes[1], 1u); // clipped at 8,388,607 > threshold
    // u past 2^23 wraps to negative (24-bit two's complement).
    auto w = make(4095, 0, 131071);
    w->set(1, 0, 8388000);
    t = trace(*w, {100});
    EXPECT_EQ(t[0].first, 0 + 6400); // du = 4095 clears the old u first: no wrap
    auto wrap = make(0, 0, 131071);
    wrap->set(1, 0, 8388000);
    t = trace(*wrap, {100});
    EXPECT_EQ(t[0].first,
              8388000 - 2048 + 6400 - 16777216); // trunc(8388000*4095/4096) = 8385952, + 6400 wraps
}

TEST(LoihiLif, CurrentWrapsAtTheEdgesAsLava) {
    // Lava (PyLifModelBitAcc): u > 2^23 -> u - 2^24; u <= -2^23 -> u + 2^24. With du = 4095 the old
    // current is cleared, so u is exactly a_in << 6.
    const std::int64_t edge = std::int64_t{1} << 23;
    const std::vector<std::pair<double, std::int64_t>> cases = {
        {131072.0, edge},                 // lands on +2^23: kept
        {-131072.0, edge},                // lands on -2^23: becomes +2^23
        {131073.0, edge + 64 - 2 * edge}, // just above: wraps to negative
        {-131073.0, -edge - 64 + 2 * edge},
        {131071.0, edge - 64}, // inside: untouched
        {-131071.0, -edge + 64}};
    for (const auto& [a_in, u] : cases) {
        auto g = make(4095, 0, 131071);
        const auto t = trace(*g, {a_in});
        EXPECT_EQ(t[0].first, static_cast<double>(u)) << "a_in " << a_in;
    }
}

TEST(LoihiLif, ParametersMustBeRegisterIntegers) {
    EXPECT_THROW(load_config_text(
                     "nmsim: 1\npopulations: {N: {size: 1, model: loihi_lif, params: {du: 10.5}}}\n", "c"),
                 ConfigError);
    EXPECT_THROW(load_config_text(
                     "nmsim: 1\npopulations: {N: {size: 1, model: loihi_lif, params: {du: 4096}}}\n", "c"),
                 ConfigError);
    EXPECT_NO_THROW(load_config_text(
        "nmsim: 1\npopulations: {N: {size: 1, model: loihi_lif, params: {du: 4095}}}\n", "c"));
}

// ---- Lava's Dense in front of the LIF: per-projection weight_exp, 8-bit clip, truncated LSBs ----------
#include <filesystem>
#include <fstream>

#include "sim/build/connectivity.hpp"
#include "sim/build/network_builder.hpp"
#include "sim/engine/simulator.hpp"

namespace {

// u of every target neuron after the step in which all sources' spikes (fired at 1 ms) arrive; du =
// 4095 clears the old current, so u = a_in << 6 exactly.
std::vector<double> currents_after_one_volley(const std::string& projections, std::uint64_t targets) {
    const std::string yaml = "nmsim: 1\nsimulation: {duration: 4.0, dt: 1.0}\npopulations:\n"
                             "  A: {size: 3, model: spike_source_array, spike_times: [1.0]}\n"
                             "  B: {size: 2, model: spike_source_array, spike_times: [1.0]}\n"
                             "  T: {size: " +
                             std::to_string(targets) +
                             ", model: loihi_lif, params: {du: 4095, dv: 0, vth: 131071}}\n"
                             "projections:\n" +
                             projections +
                             "recorders:\n  u: {type: state, population: T, variable: u, ids: all}\n";
    const NetworkSpec spec = load_config_text(yaml, "dense.yaml");
    BuiltNetwork net = build_network(spec, 1);
    const RunResult r = simulate(net);
    // Spikes stamped 1 ms (emitted in step 0) arrive with delay 1 in step 1: row 2 is after step 1.
    const auto& rep = r.reports.at(0);
    std::vector<double> u;
    for (std::uint64_t i = 0; i < targets; ++i) u.push_back(rep.data.at(2 * targets + i));
    return u;
}

} // namespace

TEST(LavaDense, EachProjectionShiftsItsOwnSum) {
    // Lava: Dense A (3 spikes of weight 5, weight_exp -2) sends 15 >> 2 = 3, Dense B (2 spikes of 3,
    // weight_exp -1) sends 6 >> 1 = 3: a_in = 6, u = 384. One shift of the total would give 21 >> 2 = 5.
    // Negative sums floor: -15 >> 2 = -4, -6 >> 1 = -3.
    const std::string pos = "  a: {source: A, target: T, connector: {rule: all_to_all}, synapse: {weight: 5, "
                            "delay: 1.0, weight_exp: -2}}\n"
                            "  b: {source: B, target: T, connector: {rule: all_to_all}, synapse: {weight: 3, "
                            "delay: 1.0, weight_exp: -1}}\n";
    EXPECT_EQ(currents_after_one_volley(pos, 1), (std::vector<double>{6 * 64}));
    const std::string neg =
        "  a: {source: A, target: T, connector: {rule: all_to_all}, synapse: {weight: -5, "
        "delay: 1.0, weight_exp: -2}}\n"
        "  b: {source: B, target: T, connector: {rule: all_to_all}, synapse: {weight: -3, "
        "delay: 1.0, weight_exp: -1}}\n";
    EXPECT_EQ(currents_after_one_volley(neg, 1), (std::vector<double>{-7 * 64}));
    // A positive exponent shifts left: 15 << 1 = 30, plus 6 << 0.
    const std::string up = "  a: {source: A, target: T, connector: {rule: all_to_all}, synapse: {weight: 5, "
                           "delay: 1.0, weight_exp: 1}}\n"
                           "  b: {source: B, target: T, connector: {rule: all_to_all}, synapse: {weight: 3, "
                           "delay: 1.0, weight_exp: 0}}\n";
    EXPECT_EQ(currents_after_one_volley(up, 1), (std::vector<double>{36 * 64}));
}

TEST(LavaDense, WeightsClipToEightBitsAndMixedSignDropsTheLowestBit) {
    // One weight per target (from_file, one source each): the matrix mixes signs, so Lava clips to
    // [-256, 255] and drops 1 bit (floor): 7 -> 6, -7 -> -8, 300 -> 255 -> 254, -300 -> -256, 2.9 -> 2.
    const auto dir = std::filesystem::temp_directory_path() / ("nmsim_dense_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string csv = (dir / "w.csv").string();
    std::ofstream(csv) << "0,0,7,1\n1,1,-7,1\n2,2,300,1\n0,3,-300,1\n1,4,2.9,1\n";
    const auto mixed = currents_after_one_volley(
        "  a: {source: A, target: T, connector: {rule: from_file, file: " + csv + "}}\n", 5);
    EXPECT_EQ(mixed, (std::vector<double>{6 * 64, -8 * 64, 254 * 64, -256 * 64, 2 * 64}));
    // One sign: no bit dropped at 8 bits; 300 clips to 255 (excitatory), -300 to -255 (inhibitory).
    std::ofstream(csv) << "0,0,7,1\n1,1,300,1\n";
    EXPECT_EQ(currents_after_one_volley(
                  "  a: {source: A, target: T, connector: {rule: from_file, file: " + csv + "}}\n", 2),
              (std::vector<double>{7 * 64, 255 * 64}));
    std::ofstream(csv) << "0,0,-7,1\n1,1,-300,1\n";
    EXPECT_EQ(currents_after_one_volley(
                  "  a: {source: A, target: T, connector: {rule: from_file, file: " + csv + "}}\n", 2),
              (std::vector<double>{-7 * 64, -255 * 64}));
    // num_weight_bits 6 drops 2 bits of the magnitude: 7 -> 4, -7 -> -4 (inhibitory: on |w|).
    std::ofstream(csv) << "0,0,-7,1\n1,1,-13,1\n";
    EXPECT_EQ(currents_after_one_volley("  a: {source: A, target: T, connector: {rule: from_file, file: " +
                                            csv + "}, synapse: {num_weight_bits: 6}}\n",
                                        2),
              (std::vector<double>{-4 * 64, -12 * 64}));
    std::filesystem::remove_all(dir);
}

TEST(LavaDense, EveryStorageRungSeesTheClippedWeights) {
    // A uniform over [-9, 9] is mixed-sign: weights become integers and lose their lowest bit,
    // in the packed table and when regenerated (procedural storage) alike.
    const NetworkSpec spec = load_config_text(
        "nmsim: 1\npopulations:\n  A: {size: 50, model: spike_source_array, spike_times: [1.0]}\n"
        "  T: {size: 40, model: loihi_lif}\nprojections:\n"
        "  p: {source: A, target: T, connector: {rule: pairwise_bernoulli, p: 0.5}, synapse: {weight: "
        "{uniform: [-9, 9]}, delay: 1.0}}\n",
        "rungs.yaml");
    const ProjectionGenerator gen(spec, spec.projections[0]);
    std::size_t n = 0;
    gen.generate_from_sources(
        0, 50, 0, spec.total_neurons(), [&](std::uint64_t s, std::uint64_t t, double w, std::uint32_t) {
            EXPECT_EQ(w, std::floor(w)) << s << " " << t;
            EXPECT_EQ(static_cast<std::int64_t>(w) % 2, 0) << w;
            double again;
            std::uint32_t d;
            gen.values()(gen.source_first() + s, t, 0, again, d); // what procedural storage regenerates
            EXPECT_EQ(again, w);
            ++n;
        });
    EXPECT_GT(n, 500u);
}

TEST(LavaDense, ConfigErrors) {
    const std::string head =
        "nmsim: 1\npopulations:\n  A: {size: 2, model: spike_source_array, spike_times: [1.0]}\n"
        "  T: {size: 1, model: loihi_lif}\n  L: {size: 1, model: lif_delta}\nprojections:\n";
    auto dense = [](const std::string& name, const std::string& target, int exp) {
        return "  " + name + ": {source: A, target: " + target +
               ", connector: {rule: all_to_all}, synapse: {weight: 1, delay: 1.0, weight_exp: " +
               std::to_string(exp) + "}}\n";
    };
    // A third Dense with its own weight_exp into the same neurons: no accumulator left.
    try {
        load_config_text(head + dense("a", "T", -1) + dense("b", "T", -2) + dense("c", "T", -3), "d.yaml");
        ADD_FAILURE() << "three Dense ports";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.key_path, "projections.c.synapse.weight_exp");
        EXPECT_GT(e.line, 0);
    }
    // weight_exp belongs to Lava's Dense: only into loihi_lif.
    EXPECT_THROW(load_config_text(head + dense("a", "L", -1), "d.yaml"), ConfigError);
    EXPECT_NO_THROW(load_config_text(head + dense("a", "T", -1) + dense("b", "T", 2), "d.yaml"));
}
