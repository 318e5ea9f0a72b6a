// Hardware description layer: profiles load and validate strictly; footprints of small networks
// match hand-computed counts on each encoding; quantisers round as the chips do.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "hw/chip_profile.hpp"
#include "hw/mapper.hpp"
#include "hw/quantise.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/spec/errors.hpp"

using namespace nmsim;

namespace {

ChipProfile chip(const std::string& name) {
    return select_chips(name, {})[0];
}

// Two populations A -> B with the given connector; constant weight and delay unless given.
NetworkSpec a_to_b(std::uint64_t na, std::uint64_t nb, const std::string& connector,
                   const std::string& synapse = "{weight: 0.5, delay: 1.0}") {
    return load_config_text(
        "nmsim: 1\nsimulation: {dt: 0.1}\npopulations:\n  A: {size: " + std::to_string(na) +
            ", model: lif_delta}\n  B: {size: " + std::to_string(nb) +
            ", model: lif_delta}\nprojections:\n  P: {source: A, target: B, connector: " + connector +
            ", synapse: " + synapse + "}\n",
        "t.yaml");
}

ChipFootprint footprint(const NetworkSpec& spec, const std::string& name) {
    return compute_footprints(spec, {chip(name)}, {2, 64}).chips.at(0);
}

bool has_violation(const ChipFootprint& f, const std::string& words) {
    for (const auto& v : f.violations)
        if (v.find(words) != std::string::npos) return true;
    return false;
}

std::string fmt_violations(const ChipFootprint& f) {
    std::string all;
    for (const auto& v : f.violations) all += v + "\n";
    return all;
}

// A shipped profile with `from` replaced by `to` must be refused naming `key`, its line and `words`.
void expect_profile_error(const std::string& profile, const std::string& from, const std::string& to,
                          const std::string& key, const std::string& words = "") {
    const auto dir = std::filesystem::temp_directory_path() / "nmsim_chip_test";
    std::filesystem::create_directories(dir);
    std::ifstream in(chips_dir() + "/" + profile + ".yaml");
    std::stringstream buf;
    buf << in.rdbuf();
    std::string text = buf.str();
    ASSERT_NE(text.find(from), std::string::npos) << from;
    text.replace(text.find(from), from.size(), to);
    // One file per test: ctest -j runs the tests that share this helper at once.
    const auto bad =
        dir / (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".yaml");
    std::ofstream(bad) << text;
    try {
        load_chip_profile(bad.string());
        ADD_FAILURE() << "accepted: " << to;
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.key_path, key) << e.what();
        EXPECT_GT(e.line, 0) << e.what();
        EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
}

} // namespace

TEST(ChipProfiles, AllShippedProfilesLoadWithSources) {
    const auto chips = builtin_chips();
    std::vector<std::string> names;
    for (const auto& c : chips) {
        names.push_back(c.name);
        EXPECT_FALSE(c.cores_per_chip.source.empty()) << c.name;
        EXPECT_FALSE(c.weight.source.empty()) << c.name;
        EXPECT_FALSE(c.encoding.source.empty()) << c.name;
    }
    EXPECT_EQ(names, (std::vector<std::string>{"akida", "brainscales2", "dynapse", "loihi1", "loihi2",
                                               "speck", "spinnaker1", "spinnaker2", "truenorth", "xylo"}));
    EXPECT_EQ(chip("loihi1").neurons_per_core.value, 1024);
    EXPECT_TRUE(chip("loihi2").neurons_per_core.uncertain);
    EXPECT_TRUE(chip("spinnaker1").input_axons_per_core.unlimited());
    EXPECT_EQ(chip("spinnaker1").memory_scope, MemoryScope::chip);
}

TEST(ChipProfiles, StrictValidationNamesFileLineAndKey) {
    struct Case {
        std::string from, to, key, words;
    };
    const std::vector<Case> cases = {
        {"neurons_per_core: {value: 256", "neurons_per_core: {value: -1", "neurons_per_core.value",
         "between"},
        {"cores_per_chip: {value: 4096", "cores_per_chip: {value: unlimited", "cores_per_chip.value",
         "not unlimited"},
        {"kind: fixed_crossbar", "kind: hologram", "encoding.kind", "unknown encoding"},
        {"axons: 256", "axonz: 256", "encoding.axonz", "unknown key"},
        {"scale: linear, shared_levels: 4", "scale: cubic, shared_levels: 4", "weight.scale", "power_of_two"},
        {"delay: {min_steps: 1, max_steps: 15", "delay: {min_steps: 10, max_steps: 5", "delay.max_steps",
         ">= min_steps"},
        {"name: truenorth", "nickname: truenorth", "nickname", "unknown key"},
        {"timestep_ms: {value: 1.0, source: ", "timestep_ms: {value: 1.0, sauce: ", "timestep_ms.sauce",
         "unknown key"},
    };
    for (const auto& c : cases) expect_profile_error("truenorth", c.from, c.to, c.key, c.words);
    EXPECT_THROW(select_chips("loihi9", {}), UsageError);
}

TEST(Footprint, SpinnakerAllToAllCountsExactWords) {
    // 1000 -> 1000 all-to-all on SpiNNaker 1: B in 4 cores (256, 256, 256, 232); every source has one
    // row per core: 1000 x (4 x 3 header words + 1000 synapse words) = 1,012,000 words of 32 bits.
    const auto f = footprint(a_to_b(1000, 1000, "{rule: all_to_all}"), "spinnaker1");
    EXPECT_EQ(f.synaptic_bytes, 1012000u * 4u);
    EXPECT_EQ(f.cores, 8u); // A (no input) also takes 4 cores
    EXPECT_EQ(f.chips, 1u);
    EXPECT_EQ(f.synapses, 1000000u);
    EXPECT_EQ(f.binding_constraint, "neurons per core");
    EXPECT_TRUE(f.violations.empty());
}

TEST(Footprint, LoihiAxonBlocksByHand) {
    // 10 -> 10 all-to-all, constant delay: per synapse 8 weight + 0 delay + 10 index bits (1024 per core);
    // per input axon one block: 10 header + 10 x 18 = 190 bits -> 3 words = 192 bits; 10 axons.
    const auto f = footprint(a_to_b(10, 10, "{rule: all_to_all}"), "loihi1");
    EXPECT_EQ(f.synaptic_bytes, 10u * 192u / 8u);
    EXPECT_EQ(f.cores, 2u);
    EXPECT_EQ(f.binding_constraint, "none (every population fits in its cores)");
    EXPECT_EQ(f.populations.at(1).binding, "none (fits in its cores)");
    EXPECT_EQ(describe(f.populations.at(1), f.chip), "population B: 10 neurons need 1 core on loihi1");
    EXPECT_DOUBLE_EQ(f.delay_rms_rel_error, 0.0); // 1.0 ms is one Loihi step
}

TEST(Footprint, LoihiInputAxonsBind) {
    // Each B neuron has 1000 distinct sources; 4096 axons per core hold the sources of 4 neurons.
    const auto f = footprint(
        a_to_b(5000, 40, "{rule: fixed_indegree, indegree: 1000, allow_multapses: false}"), "loihi1");
    EXPECT_EQ(f.binding_constraint, "input axons per core");
    EXPECT_GE(f.cores, 1u + 40u / 4u);
}

TEST(Footprint, TrueNorthFanInAbove256IsAViolation) {
    // 300 neurons with fan-in 300 (the example): each exceeds one core's 256 axons.
    const auto f = footprint(a_to_b(300, 300, "{rule: all_to_all}"), "truenorth");
    EXPECT_TRUE(has_violation(f, "300 neurons receive more than 256 synapses")) << f.violations.size();
    EXPECT_TRUE(has_violation(f, "do not fit in an empty core alone (input axons per core"));
    // A sources reach every B core: more than one target core per neuron needs splitters.
    EXPECT_TRUE(has_violation(f, "project to more than 1 core"));
    // With fan-in 256 from a source population of 256 it fits: 1 core each, no fan-in violation.
    const auto ok = footprint(a_to_b(256, 256, "{rule: all_to_all}"), "truenorth");
    EXPECT_FALSE(has_violation(ok, "receive more than"));
    EXPECT_EQ(ok.cores, 2u);
    EXPECT_EQ(ok.synaptic_bytes, 2u * 104960u / 8u); // fixed 256 x 410 bits per used core
}

TEST(Footprint, CoreClosedMidNeuronLeavesNoFanOutBehind) {
    // TrueNorth, 256 axons per core, one target core per neuron. B0 takes sources 0..199, B1 takes
    // 100..299: B1 would bring 100 new axons into B0's core (300 > 256), so it opens a second core.
    // Sources 100..199 then reach both cores (100 splitters); 200..299 only B1's. The mapper adds B1
    // to the open core in one pass and must undo the sources it counted before the limit hit.
    const auto dir = std::filesystem::temp_directory_path() / "nmsim_undo_test";
    std::filesystem::create_directories(dir);
    {
        std::ofstream edges(dir / "e.csv");
        for (int s = 0; s < 200; ++s) edges << s << ",0\n";
        for (int s = 100; s < 300; ++s) edges << s << ",1\n";
    }
    std::ofstream(dir / "c.yaml")
        << "nmsim: 1\npopulations: {A: {size: 300, model: lif_delta}, B: {size: 2, model: lif_delta}}\n"
           "projections: {P: {source: A, target: B, connector: {rule: from_file, file: e.csv},\n"
           "  synapse: {weight: 0.5, delay: 1.0}}}\n";
    const auto f = footprint(load_config((dir / "c.yaml").string()), "truenorth");
    EXPECT_EQ(f.populations.at(1).cores, 2u);
    EXPECT_EQ(f.populations.at(1).binding, "input axons per core");
    EXPECT_TRUE(has_violation(f, "100 neurons project to more than 1 core")) << fmt_violations(f);
    std::filesystem::remove_all(dir);
}

TEST(Footprint, SameAnswerForAnyThreadCountAndBlockSize) {
    // Target-driven and source-driven rules, distribution weights and delays, every chip: the
    // streaming pipeline (blocks, generation chunks, threads) must not change a single number.
    const NetworkSpec spec =
        load_config_text("nmsim: 1\nsimulation: {dt: 0.1, seed: 7}\npopulations:\n"
                         "  E: {size: 400, model: lif_delta}\n  I: {size: 100, model: lif_delta}\n"
                         "  X: {size: 30, model: lif_delta}\nprojections:\n"
                         "  EE: {source: E, target: [E, I], connector: {rule: pairwise_bernoulli, p: 0.1},\n"
                         "       synapse: {weight: {normal: {mean: 0.1, std: 0.01}},\n"
                         "                 delay: {normal: {mean: 1.5, std: 0.5, min: 0.1, max: 5.0}}}}\n"
                         "  IE: {source: I, target: E, connector: {rule: fixed_outdegree, outdegree: 50},\n"
                         "       synapse: {weight: {uniform: [-0.5, -0.1]}, delay: 0.8}}\n",
                         "t.yaml");
    const auto all = select_chips("all", {});
    const auto reference = compute_footprints(spec, all, {1, 512, 1e9});
    for (const FootprintOptions options :
         {FootprintOptions{2, 7, 1e3}, FootprintOptions{3, 64, 1e4}, FootprintOptions{2, 1, 300}}) {
        const auto r = compute_footprints(spec, all, options);
        ASSERT_EQ(r.synapses, reference.synapses);
        EXPECT_EQ(r.nmsim_table_bytes, reference.nmsim_table_bytes);
        for (std::size_t c = 0; c < all.size(); ++c) {
            const auto &a = r.chips[c], &b = reference.chips[c];
            SCOPED_TRACE(a.chip + " threads " + std::to_string(options.threads) + " block " +
                         std::to_string(options.block_targets));
            EXPECT_EQ(a.cores, b.cores);
            EXPECT_EQ(a.chips, b.chips);
            EXPECT_EQ(a.synaptic_bytes, b.synaptic_bytes);
            EXPECT_EQ(a.binding_constraint, b.binding_constraint);
            EXPECT_EQ(a.violations, b.violations);
            EXPECT_EQ(a.weight_rms_rel_error, b.weight_rms_rel_error);
            EXPECT_EQ(a.weight_max_rel_error, b.weight_max_rel_error);
            EXPECT_EQ(a.delay_rms_rel_error, b.delay_rms_rel_error);
            ASSERT_EQ(a.populations.size(), 3u);
            for (std::size_t p = 0; p < 3; ++p) EXPECT_EQ(a.populations[p].cores, b.populations[p].cores);
        }
    }
}

TEST(Footprint, DynapseFanInLimitAtAndPast64) {
    EXPECT_FALSE(has_violation(footprint(a_to_b(100, 10, "{rule: fixed_indegree, indegree: 64}"), "dynapse"),
                               "receive more"));
    EXPECT_TRUE(has_violation(footprint(a_to_b(100, 10, "{rule: fixed_indegree, indegree: 65}"), "dynapse"),
                              "10 neurons receive more than 64 synapses"));
}

TEST(Footprint, SharedWeightLevelsSplitCores) {
    // DYNAP-SE has 4 shared weights per core, but the quantiser maps a projection to its mean,
    // so distinct projections each add one level: 5 projections into B exceed 4 levels.
    std::string yaml = "nmsim: 1\npopulations:\n  B: {size: 10, model: lif_delta}\n";
    for (int i = 0; i < 5; ++i) yaml += "  S" + std::to_string(i) + ": {size: 2, model: lif_delta}\n";
    yaml += "projections:\n";
    for (int i = 0; i < 5; ++i)
        yaml +=
            "  P" + std::to_string(i) + ": {source: S" + std::to_string(i) +
            ", target: B, connector: {rule: all_to_all}, synapse: {weight: " + std::to_string(0.1 * (i + 1)) +
            ", delay: 1.0}}\n";
    const auto f = footprint(load_config_text(yaml, "t.yaml"), "dynapse");
    EXPECT_EQ(f.populations[0].cores,
              10u); // each B neuron alone carries 5 levels: one core each, all violating
    EXPECT_TRUE(has_violation(f, "weight levels per core"));
}

TEST(Footprint, DenseLayerOnAkida) {
    // 100 -> 50, 4-bit weights: 100 x 50 x 4 = 20,000 bits in one NP.
    const auto f = footprint(a_to_b(100, 50, "{rule: pairwise_bernoulli, p: 0.1}"), "akida");
    EXPECT_EQ(f.synaptic_bytes, 2500u);
    EXPECT_EQ(f.chips, 1u);
    EXPECT_TRUE(has_violation(f, "lose their delay"));
}

TEST(Footprint, DelaysQuantisedToTheChipTimestep) {
    const auto f = footprint(a_to_b(10, 10, "{rule: all_to_all}", "{weight: 0.5, delay: 1.5}"), "loihi1");
    EXPECT_NEAR(f.delay_max_rel_error, 1.0 / 3.0, 1e-12); // 1.5 ms -> 2 steps of 1 ms
    const auto g = footprint(a_to_b(10, 10, "{rule: all_to_all}", "{weight: 0.5, delay: 20.0}"), "truenorth");
    EXPECT_TRUE(has_violation(g, "synapse delays fall outside 1..15 steps"));
}

TEST(Quantise, LinearPowerOfTwoAndSharedScales) {
    WeightFormat linear{4, true, WeightScale::linear, 0, "", false};
    const WeightQuantiser q(linear, ValueSpec::constant_of(1.5));
    EXPECT_DOUBLE_EQ(q.step(), 0.1);
    EXPECT_DOUBLE_EQ(q(1.5), 1.5);
    EXPECT_NEAR(q(0.77), 0.8, 1e-12);
    EXPECT_NEAR(q(-3.0), -1.5, 1e-12); // clipped at 15 steps
    WeightFormat pow2{8, true, WeightScale::power_of_two, 0, "", false};
    const WeightQuantiser p(pow2, ValueSpec::constant_of(1.0)); // 1/255 rounds up to 2^-7
    EXPECT_DOUBLE_EQ(p.step(), 1.0 / 128.0);
    EXPECT_DOUBLE_EQ(p(0.3), 38.0 / 128.0);
    ValueSpec normal;
    normal.kind = ValueSpec::Kind::normal;
    normal.a = 2.0;
    normal.b = 0.5;
    WeightFormat shared{0, true, WeightScale::shared_mean, 4, "", false};
    EXPECT_DOUBLE_EQ(WeightQuantiser(shared, normal)(2.7), 2.0);
    EXPECT_DOUBLE_EQ(max_abs_weight(normal), 4.0);
}

TEST(Quantise, DelaysRoundToChipSteps) {
    const ChipProfile loihi = chip("loihi1");
    const auto d = quantise_delay(15, 0.1, loihi); // 1.5 ms -> 2 ms
    EXPECT_EQ(d.steps, 20u);
    EXPECT_DOUBLE_EQ(d.ms, 2.0);
    EXPECT_TRUE(d.representable);
    EXPECT_FALSE(quantise_delay(700, 0.1, loihi).representable); // 70 ms > 62 steps
    EXPECT_FALSE(quantise_delay(15, 0.1, chip("brainscales2")).representable);
}

TEST(Footprint, Loihi2AxonBlocksByHand) {
    // As Loihi 1 but 8,192 neurons per core: 13 index bits; 8 + 13 = 21 bits per synapse;
    // 10 header + 10 x 21 = 220 bits -> 4 words = 256 bits per input axon; 10 axons = 320 bytes.
    const auto f = footprint(a_to_b(10, 10, "{rule: all_to_all}"), "loihi2");
    EXPECT_EQ(f.synaptic_bytes, 320u);
    EXPECT_EQ(f.cores, 2u);
}

TEST(Footprint, Spinnaker2RowsByHand) {
    // 100 -> 100 all-to-all, 250 neurons per PE: B in one core; 100 rows of (3 + 100) 32-bit words.
    const auto f = footprint(a_to_b(100, 100, "{rule: all_to_all}"), "spinnaker2");
    EXPECT_EQ(f.synaptic_bytes, 100u * 103u * 4u);
    EXPECT_EQ(f.cores, 2u);
    EXPECT_EQ(f.chips, 1u);
    EXPECT_TRUE(f.violations.empty());
}

TEST(Footprint, BrainScaleS2CrossbarByHand) {
    // Two used hemispheres (A and B), each a fixed 256 x 256 x 16-bit crossbar = 131,072 bytes;
    // fan-in 100 fits the 256 synapse rows; the 1 ms delay cannot be programmed.
    const auto f = footprint(a_to_b(100, 100, "{rule: all_to_all}"), "brainscales2");
    EXPECT_EQ(f.synaptic_bytes, 2u * 131072u);
    EXPECT_EQ(f.cores, 2u);
    EXPECT_EQ(f.chips, 1u);
    EXPECT_FALSE(has_violation(f, "receive more than"));
    EXPECT_TRUE(has_violation(f, "10,000 synapses lose their delay"));
}

namespace {
const std::string plastic_synapse =
    "{weight: 0.5, delay: 1.0, plasticity: {rule: stdp, A_plus: 0.01, A_minus: 0.012, w_max: 1.0}}";
const std::string triplet_synapse = "{weight: 0.5, delay: 1.0, plasticity: {rule: triplet, w_max: 1.0}}";
} // namespace

TEST(FootprintLearning, SpinnakerPlasticRowsByHand) {
    // 1000 -> 1000 all-to-all, plastic: as SpinnakerAllToAllCountsExactWords, each of the 4 rows per
    // source adds its 2-word pre-event history: 1000 x (4 x (3 + 2) + 1000) words. Each B neuron keeps
    // its post-event history: 32 + 4 x (32 + 16) bits (pair), 32 + 4 x (32 + 2 x 16) (triplet).
    const auto f = footprint(a_to_b(1000, 1000, "{rule: all_to_all}", plastic_synapse), "spinnaker1");
    EXPECT_EQ(f.synaptic_bytes, 1000u * (4u * 5u + 1000u) * 4u);
    EXPECT_EQ(f.plastic_synapses, 1000000u);
    EXPECT_EQ(f.plastic_state_bytes, 1000u * 224u / 8u);
    EXPECT_TRUE(f.violations.empty()) << fmt_violations(f);
    const auto t = footprint(a_to_b(1000, 1000, "{rule: all_to_all}", triplet_synapse), "spinnaker1");
    EXPECT_EQ(t.plastic_state_bytes, 1000u * 288u / 8u);
}

TEST(FootprintLearning, LoihiLearningAxonsTakeTwoSlots) {
    // 3000 -> 100 all-to-all: static, 3,000 input axons fit one core's 4,096 and memory decides; plastic,
    // each source takes 2 slots, so no core holds all 3,000 sources: one neuron alone exceeds the
    // limit (a violation) and gets its own core.
    const auto still = footprint(a_to_b(3000, 100, "{rule: all_to_all}"), "loihi1");
    const auto learn = footprint(a_to_b(3000, 100, "{rule: all_to_all}", plastic_synapse), "loihi1");
    EXPECT_FALSE(has_violation(still, "input axons")) << fmt_violations(still);
    EXPECT_TRUE(has_violation(learn, "do not fit in an empty core alone (input axons per core"))
        << fmt_violations(learn);
    EXPECT_EQ(learn.populations.at(1).cores, 100u);
    // Pre traces: 7 bits per plastic axon per core (one pair trace); post: 7 bits per neuron; in bytes,
    // rounded up.
    EXPECT_EQ(learn.plastic_state_bytes, (100u * 3000u * 7u + 100u * 7u + 7u) / 8u);
    EXPECT_FALSE(has_violation(learn, "learning")) << fmt_violations(learn);
}

TEST(FootprintLearning, ChipsWithoutOnChipLearningAreViolations) {
    const auto spec = a_to_b(16, 16, "{rule: one_to_one}", plastic_synapse);
    const auto report = compute_footprints(spec, select_chips("all", {}), {2, 64});
    for (const auto& f : report.chips) {
        const bool learns = chip(f.chip).learning.on_chip;
        EXPECT_EQ(f.plastic_synapses, 16u) << f.chip;
        EXPECT_EQ(has_violation(f, "has no on-chip learning"), !learns) << f.chip << "\n"
                                                                        << fmt_violations(f);
    }
    for (const char* name : {"truenorth", "speck", "xylo", "akida", "dynapse"})
        EXPECT_FALSE(chip(name).learning.on_chip) << name;
    for (const char* name : {"loihi1", "loihi2", "spinnaker1", "spinnaker2", "brainscales2"})
        EXPECT_TRUE(chip(name).learning.runs("triplet")) << name;
    // A static network has no plastic synapses and no learning violation anywhere.
    for (const auto& f :
         compute_footprints(a_to_b(16, 16, "{rule: one_to_one}"), select_chips("all", {}), {2, 64}).chips) {
        EXPECT_EQ(f.plastic_synapses, 0u);
        EXPECT_FALSE(has_violation(f, "learning")) << f.chip;
    }
}

TEST(FootprintLearning, ProfileLearningSectionIsValidated) {
    expect_profile_error("spinnaker1", "rules: [stdp, triplet]", "rules: [stdp, hebb]", "learning.rules",
                         "unknown rule");
    expect_profile_error("spinnaker1", "post_history: 4", "post_history: -4", "learning.post_history",
                         "between");
    expect_profile_error("spinnaker1", "on_chip: true", "on_chip: maybe", "learning.on_chip",
                         "true or false");
    expect_profile_error("spinnaker1", "row_header_bits: 64", "row_header_bitz: 64",
                         "learning.row_header_bitz", "unknown key");
    expect_profile_error("truenorth", "on_chip: false", "on_chip: false\n  axon_slots: 2", "learning.on_chip",
                         "no learning format");
}
