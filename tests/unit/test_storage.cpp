// The storage ladder: the exact rungs give bitwise the same spikes (and the same synapses), quantised
// reports its error, automatic chooses by the delivery budget and steps down when memory is short.
#include <gtest/gtest.h>

#include <set>

#include "sim/build/network_builder.hpp"
#include "sim/build/storage.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/engine/simulator.hpp"
#include "sim/spec/errors.hpp"

using namespace nmsim;

namespace {

// Every rule that has a row (fixed_indegree's slot rows too), drawn weights and delays, multapses,
// autapses excluded, two channels.
const char* ladder_config = R"(nmsim: 1
simulation: {duration: 200.0, dt: 0.1, seed: 21}
populations:
  E: {size: 1500, model: lif_exp, params: {tau_m: 10.0, cm: 0.25, v_rest: -65.0, v_reset: -65.0, v_thresh: -50.0,
      tau_refrac: 2.0, tau_syn_E: 0.5, tau_syn_I: 0.5}, initial: {v: {normal: {mean: -60.0, std: 4.0}}}}
  I: {size: 400, model: lif_exp, params: {tau_m: 10.0, cm: 0.25, v_rest: -65.0, v_reset: -65.0, v_thresh: -50.0,
      tau_refrac: 2.0, tau_syn_E: 0.5, tau_syn_I: 0.5}}
projections:
  EE: {source: E, target: E, connector: {rule: fixed_total_number, n: 150000, allow_autapses: false},
       synapse: {weight: {normal: {mean: 0.08, std: 0.008, min: 0.0}}, delay: {normal: {mean: 1.5, std: 0.75, min: 0.1}}}}
  EI: {source: E, target: I, connector: {rule: pairwise_bernoulli, p: 0.1},
       synapse: {weight: {uniform: [0.05, 0.1]}, delay: 1.0}}
  IE: {source: I, target: [E, I], connector: {rule: fixed_outdegree, outdegree: 200},
       synapse: {weight: {normal: {mean: -0.35, std: 0.035, max: 0.0}}, delay: {normal: {mean: 0.75, std: 0.4, min: 0.1}}}}
  IIx: {source: I, target: I, connector: {rule: all_to_all, allow_autapses: false},
        synapse: {weight: {lognormal: {mu: -5.0, sigma: 0.5}}, delay: 0.8}}
  EIone: {source: I, target: I, connector: {rule: one_to_one}, synapse: {weight: -0.01, delay: {uniform: [0.5, 2.0]}}}
  IEin: {source: I, target: E, connector: {rule: fixed_indegree, indegree: 40},
         synapse: {weight: {normal: {mean: -0.2, std: 0.05, max: 0.0}}, delay: {uniform: [0.5, 2.0]}}}
stimuli:
  bg: {type: poisson, target: [E, I], rate: 14000.0, weight: 0.0878}
recorders:
  spikes: {type: spikes}
  vm: {type: state, population: I, variable: v, ids: [0, 5, 77], interval: 0.1}
)";

RunResult run(const std::string& storage, int threads, const std::string& extra = "") {
    std::vector<std::string> sets = {"simulation.storage=" + storage};
    if (!extra.empty()) sets.push_back(extra);
    const NetworkSpec spec = load_config_text(ladder_config, "ladder", sets);
    BuiltNetwork net = build_network(spec, threads);
    for (std::size_t j = 0; j < spec.projections.size(); ++j)
        EXPECT_EQ(to_string(net.storage[j].kind), storage) << spec.projections[j].name;
    return simulate(net);
}

void expect_same_run(const RunResult& a, const RunResult& b, const std::string& what) {
    ASSERT_EQ(a.spikes.size(), b.spikes.size());
    for (const auto& [pop, rec] : a.spikes) {
        EXPECT_EQ(rec.times_ms, b.spikes.at(pop).times_ms) << what << ", population " << pop;
        EXPECT_EQ(rec.node_ids, b.spikes.at(pop).node_ids) << what << ", population " << pop;
    }
    EXPECT_EQ(a.reports[0].data, b.reports[0].data) << what << ": membrane traces bitwise";
    EXPECT_EQ(a.synaptic_events, b.synaptic_events) << what;
}

} // namespace

TEST(StorageLadder, ExactRungsGiveBitwiseIdenticalSpikes) {
    const RunResult packed = run("packed", 2);
    std::uint64_t spikes = 0;
    for (const auto& [pop, rec] : packed.spikes) spikes += rec.times_ms.size();
    ASSERT_GT(spikes, 1000u) << "the network must be active for the comparison to mean anything";
    expect_same_run(packed, run("procedural_weights", 2), "procedural_weights");
    // procedural needs a rule with rows; every projection above has one.
    expect_same_run(packed, run("procedural", 2), "procedural");
    // ... and for any thread count.
    expect_same_run(packed, run("procedural", 3), "procedural, 3 threads");
    expect_same_run(packed, run("procedural_weights", 1), "procedural_weights, 1 thread");
}

TEST(StorageLadder, FixedIndegreeMultapsesRegenerateTheirValues) {
    // Multapses of one pair draw distinct values by ordinal; procedural_weights and the regenerated
    // slot rows must find the same ones. Without multapses (or with autapses excluded) a target
    // draws its own sources and procedural falls to procedural_weights.
    const char* cfg = R"(nmsim: 1
simulation: {duration: 100.0, dt: 0.1, seed: 4}
populations: {A: {size: 300, model: lif_delta, params: {v_thresh: -55.0}, initial: {v: {uniform: [-65.0, -55.0]}}}}
projections:
  AA: {source: A, target: A, connector: {rule: fixed_indegree, indegree: 200},
       synapse: {weight: {normal: {mean: 0.4, std: 0.3}}, delay: {uniform: [0.5, 3.0]}}}
stimuli: {bg: {type: poisson, target: A, rate: 3000.0, weight: 0.5}}
recorders: {spikes: {type: spikes}, vm: {type: state, population: A, variable: v, ids: [1, 2], interval: 0.1}}
)";
    const std::string drawn = "{weight: {normal: {mean: 0.4, std: 0.3}}, delay: {uniform: [0.5, 3.0]}}";
    const std::pair<std::string, std::string> cases[] = {
        {"{rule: fixed_indegree, indegree: 200}", drawn},
        {"{rule: fixed_indegree, indegree: 200}", "{weight: 0.3, delay: 1.5}"}, // constants: no ordinals
        {"{rule: fixed_indegree, indegree: 200, allow_autapses: false}", drawn},
        {"{rule: fixed_indegree, indegree: 200, allow_multapses: false}", drawn}};
    for (const auto& [connector, synapse] : cases) {
        const bool slots = connector.find("allow") == std::string::npos;
        const std::string set = "projections.AA.connector=" + connector;
        const std::string values = "projections.AA.synapse=" + synapse;
        const NetworkSpec packed_spec =
            load_config_text(cfg, "c", {"simulation.storage=packed", set, values});
        const NetworkSpec weights_spec =
            load_config_text(cfg, "c", {"simulation.storage=procedural_weights", set, values});
        const NetworkSpec proc_spec =
            load_config_text(cfg, "c", {"simulation.storage=procedural", set, values});
        BuiltNetwork packed = build_network(packed_spec, 2), weights = build_network(weights_spec, 1),
                     proc = build_network(proc_spec, 3);
        EXPECT_EQ(proc.storage[0].kind, slots ? StorageKind::procedural : StorageKind::procedural_weights)
            << connector;
        const RunResult reference = simulate(packed);
        expect_same_run(reference, simulate(weights),
                        "fixed_indegree procedural_weights, " + connector + synapse);
        expect_same_run(reference, simulate(proc), "fixed_indegree procedural, " + connector + synapse);
    }
}

TEST(StorageLadder, QuantisedReportsItsErrorOnTheGrid) {
    const NetworkSpec spec =
        load_config_text(ladder_config, "ladder", {"projections.EE.synapse.storage={quantised: 6}"});
    BuiltNetwork net = build_network(spec, 2);
    const ProjectionStorage& st = net.storage[0];
    ASSERT_EQ(st.kind, StorageKind::quantised);
    EXPECT_EQ(st.bits, 6u);
    EXPECT_GT(st.rms_rel_error, 0.0);
    // Rounding to the nearest level: at most half a step, relative to the smallest weight seen.
    const auto [lo, hi] = net.generators[0].weight_range();
    EXPECT_NEAR(st.grid_step, (hi - lo) / 63.0, 1e-15);
    EXPECT_LE(st.max_rel_error, st.grid_step / 2 / std::max(1e-9, lo) + 1e-12);
    std::set<double> levels;
    for (const auto& part : net.partitions)
        for (std::uint64_t r = 0; r < part.tables[0].rows(); ++r)
            part.tables[0].for_each_synapse(
                r, [&](std::uint64_t, double w, std::uint32_t) { levels.insert(w); });
    EXPECT_LE(levels.size(), 64u);
    EXPECT_EQ(net.partitions[0].tables[0].widths().weight_mode, FieldMode::lookup);
}

TEST(StorageLadder, AutomaticChoosesByBudgetAndMemory) {
    const NetworkSpec tight = load_config_text(ladder_config, "ladder");
    std::vector<ProjectionGenerator> gens;
    for (const auto& pr : tight.projections) gens.emplace_back(tight, pr);
    // Default budget (2x): regenerating drawn values costs more, so drawn projections stay packed.
    const auto chosen = resolve_storage(tight, gens, 2, false);
    EXPECT_EQ(chosen[0].kind, StorageKind::packed);
    EXPECT_NE(chosen[0].reason.find("would cost"), std::string::npos) << chosen[0].reason;
    // A generous budget: the leanest exact rung.
    const NetworkSpec lax = load_config_text(ladder_config, "ladder", {"simulation.storage_budget=100"});
    std::vector<ProjectionGenerator> lax_gens;
    for (const auto& pr : lax.projections) lax_gens.emplace_back(lax, pr);
    for (const auto& st : resolve_storage(lax, lax_gens, 2, false))
        EXPECT_EQ(st.kind, StorageKind::procedural);
    // Short of memory: the largest tables step down first, until the prediction fits.
    double packed_bytes = 0;
    for (const auto& g : gens)
        packed_bytes += predict_storage_cost(tight, g, StorageKind::packed, 2).table_bytes;
    const auto fitted =
        resolve_storage(tight, gens, 2, false, static_cast<std::uint64_t>(packed_bytes * 0.5));
    double fitted_bytes = 0;
    for (std::size_t j = 0; j < gens.size(); ++j)
        fitted_bytes += predict_storage_cost(tight, gens[j], fitted[j].kind, 2).table_bytes;
    EXPECT_LE(fitted_bytes, packed_bytes * 0.5);
    EXPECT_NE(fitted[0].kind, StorageKind::packed) << "EE holds most synapses";
    EXPECT_NE(fitted[0].reason.find("memory"), std::string::npos);
    // A chip run keeps everything packed.
    for (const auto& st : resolve_storage(lax, lax_gens, 2, true)) EXPECT_EQ(st.kind, StorageKind::packed);
}

TEST(StorageLadder, ConfigErrorsNameTheKey) {
    auto key_of = [](const std::vector<std::string>& sets) {
        try {
            load_config_text(ladder_config, "ladder", sets);
        } catch (const ConfigError& e) {
            return e.key_path + ": " + e.detail;
        }
        return std::string("no error");
    };
    EXPECT_NE(key_of({"projections.EE.synapse.storage=compressed"})
                  .find("projections.EE.synapse.storage: unknown storage"),
              std::string::npos);
    EXPECT_NE(key_of({"projections.EE.synapse.storage={quantised: 17}"}).find("storage.quantised"),
              std::string::npos);
    EXPECT_NE(key_of({"projections.EE.connector={rule: fixed_indegree, indegree: 10, allow_multapses: false}",
                      "projections.EE.synapse.storage=procedural"})
                  .find("cannot"),
              std::string::npos);
    EXPECT_NE(key_of({"projections.EE.connector={rule: fixed_indegree, indegree: 10, allow_autapses: false}",
                      "projections.EE.synapse.storage=procedural"})
                  .find("cannot"),
              std::string::npos);
    EXPECT_EQ(key_of({"projections.EE.connector={rule: fixed_indegree, indegree: 10}",
                      "projections.EE.synapse.storage=procedural"}),
              "no error")
        << "slot rows regenerate fixed_indegree with multapses and autapses";
    EXPECT_NE(key_of({"simulation.storage_budget=0.5"}).find("simulation.storage_budget"), std::string::npos);
}
