// Connectivity rules checked on the built, packed tables; thread-count independence of the engine;
// HDF5 output read back through the C API.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "sim/build/network_builder.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/engine/simulator.hpp"
#include "sim/engine/stimuli.hpp"
#include "sim/io/sonata.hpp"
#include "sim/spec/errors.hpp"
#include "tests/unit/decoded_tables.hpp"

using namespace nmsim;
using namespace nmsim::test;

TEST(Connectivity, FixedIndegreeGivesExactInDegreesForAnyPartitioning) {
    const NetworkSpec spec =
        load_config_text(two_pops("{rule: fixed_indegree, indegree: 7, allow_multapses: false}"), "c");
    std::vector<Edge> reference;
    for (int parts : {1, 2, 3}) {
        BuiltNetwork net = build_network(spec, parts);
        auto e = edges_of(net, 0);
        std::map<std::uint64_t, std::set<std::uint64_t>> in;
        for (const auto& x : e) {
            EXPECT_GE(x.target, 40u);
            EXPECT_LT(x.target, 90u);
            EXPECT_LT(x.source, 40u);
            in[x.target].insert(x.source);
        }
        EXPECT_EQ(in.size(), 50u);
        for (const auto& [t, srcs] : in) EXPECT_EQ(srcs.size(), 7u) << "no multapses, exact indegree";
        std::sort(e.begin(), e.end(), [](const Edge& a, const Edge& b) {
            return std::tie(a.source, a.target) < std::tie(b.source, b.target);
        });
        if (reference.empty()) reference = e;
        ASSERT_EQ(e.size(), reference.size());
        for (std::size_t i = 0; i < e.size(); ++i)
            ASSERT_TRUE(e[i].source == reference[i].source && e[i].target == reference[i].target)
                << "same synapses for " << parts << " partitions";
    }
}

TEST(Connectivity, FixedOutdegreeGivesExactOutDegrees) {
    const NetworkSpec spec = load_config_text(two_pops("{rule: fixed_outdegree, outdegree: 9}"), "c");
    BuiltNetwork net = build_network(spec, 2);
    std::map<std::uint64_t, int> out;
    for (const auto& x : edges_of(net, 0)) ++out[x.source];
    EXPECT_EQ(out.size(), 40u);
    for (const auto& [s, n] : out) EXPECT_EQ(n, 9);
}

TEST(Connectivity, AutapsesExcludedWhenAsked) {
    const NetworkSpec spec = load_config_text(
        two_pops("{rule: fixed_indegree, indegree: 39, allow_autapses: false, allow_multapses: false}",
                 "{weight: 0.5, delay: 1.0}", "A"),
        "c");
    BuiltNetwork net = build_network(spec, 2);
    auto e = edges_of(net, 0);
    EXPECT_EQ(e.size(), 40u * 39u);
    for (const auto& x : e) EXPECT_NE(x.source, x.target);
}

TEST(Connectivity, PairwiseBernoulliHasTheExpectedCount) {
    const NetworkSpec spec = load_config_text(two_pops("{rule: pairwise_bernoulli, p: 0.2}"), "c");
    BuiltNetwork net = build_network(spec, 1);
    const double n = static_cast<double>(edges_of(net, 0).size()), mean = 0.2 * 40 * 50;
    EXPECT_NEAR(n, mean, 4 * std::sqrt(mean * 0.8)); // within 4 sigma
    std::set<std::pair<std::uint64_t, std::uint64_t>> pairs;
    for (const auto& x : edges_of(net, 0))
        EXPECT_TRUE(pairs.insert({x.source, x.target}).second) << "no multapses";
}

TEST(Connectivity, AllToAllAndOneToOne) {
    BuiltNetwork all = build_network(load_config_text(two_pops("{rule: all_to_all}"), "c"), 3);
    EXPECT_EQ(edges_of(all, 0).size(), 40u * 50u);
    const NetworkSpec one = load_config_text(
        "nmsim: 1\npopulations: {A: {size: 30, model: lif_delta}, B: {size: 30, model: lif_delta}}\n"
        "projections: {P: {source: A, target: B, connector: {rule: one_to_one}, synapse: {weight: 1, delay: "
        "1}}}\n",
        "c");
    BuiltNetwork net = build_network(one, 2);
    auto e = edges_of(net, 0);
    ASSERT_EQ(e.size(), 30u);
    for (const auto& x : e) EXPECT_EQ(x.target, 30 + x.source);
}

TEST(Connectivity, DistributionsRespectBoundsAndDelaysRoundToSteps) {
    const NetworkSpec spec = load_config_text(
        two_pops("{rule: all_to_all}", "{weight: {normal: {mean: 1.0, std: 0.5, min: 0.5, max: 1.5}}, "
                                       "delay: {uniform: [1.0, 3.0]}}"),
        "c");
    BuiltNetwork net = build_network(spec, 2);
    double sum = 0;
    std::set<std::uint32_t> delays;
    for (const auto& x : edges_of(net, 0)) {
        EXPECT_GE(x.weight, 0.5);
        EXPECT_LE(x.weight, 1.5);
        EXPECT_EQ(x.weight, static_cast<double>(static_cast<float>(x.weight))); // float32 by construction
        EXPECT_GE(x.delay, 10u);
        EXPECT_LE(x.delay, 30u);
        delays.insert(x.delay);
        sum += x.weight;
    }
    EXPECT_NEAR(sum / 2000.0, 1.0, 0.03);
    EXPECT_EQ(delays.size(), 21u);
}

TEST(Connectivity, FromFileLoadsCsvEdges) {
    const auto dir = std::filesystem::temp_directory_path() / "nmsim_from_file";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "e.csv") << "source,target,weight,delay\n2,3,0.25,1.0\n0,1,-0.5,2.0\n2,1,0.75,1.5\n";
    std::ofstream(dir / "c.yaml")
        << "nmsim: 1\npopulations: {A: {size: 5, model: lif_delta}, B: {size: 4, model: lif_delta}}\n"
           "projections: {P: {source: A, target: B, connector: {rule: from_file, file: e.csv}}}\n";
    BuiltNetwork net = build_network(load_config((dir / "c.yaml").string()), 2);
    auto e = edges_of(net, 0);
    ASSERT_EQ(e.size(), 3u);
    std::sort(e.begin(), e.end(), [](const Edge& a, const Edge& b) {
        return std::tie(a.source, a.target) < std::tie(b.source, b.target);
    });
    EXPECT_EQ(e[0].source, 0u);
    EXPECT_EQ(e[0].target, 6u);
    EXPECT_EQ(e[0].weight, -0.5);
    EXPECT_EQ(e[0].delay, 20u);
    EXPECT_EQ(e[2].target, 8u);
    std::ofstream(dir / "e.csv") << "0,9\n";
    try {
        build_network(load_config((dir / "c.yaml").string()), 1);
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& err) {
        EXPECT_EQ(err.line, 1);
        EXPECT_NE(std::string(err.what()).find("target id 9"), std::string::npos);
    }
}

TEST(Stimuli, PoissonThresholdsAreTheCdf) {
    const auto th = poisson_thresholds(2.0);
    EXPECT_EQ(th.back(), 1ull << 32);
    EXPECT_NEAR(th[0] / 4294967296.0, std::exp(-2.0), 1e-9);
    EXPECT_NEAR(th[1] / 4294967296.0, 3 * std::exp(-2.0), 1e-9);
    EXPECT_EQ(poisson_thresholds(0.0).size(), 1u);
}

namespace {
const char* small_brunel = R"(nmsim: 1
vars: {J: 0.1, g: 5.0}
simulation: {duration: 200.0, dt: 0.1, seed: 99}
populations:
  E: {size: 800, model: lif_delta, params: &p {tau_m: 20.0, v_rest: 0.0, v_reset: 10.0, v_thresh: 20.0, tau_refrac: 2.0},
      initial: {v: {uniform: [0.0, 20.0]}}}
  I: {size: 200, model: lif_exp, params: {tau_m: 20.0, v_rest: 0.0, v_reset: 10.0, v_thresh: 20.0, tau_refrac: 2.0,
      cm: 0.25, tau_syn_E: 0.5, tau_syn_I: 0.5}}
projections:
  EE: {source: E, target: [E, I], connector: {rule: fixed_indegree, indegree: 80}, synapse: {weight: J, delay: 1.5}}
  IE: {source: I, target: [E, I], connector: {rule: pairwise_bernoulli, p: 0.1},
       synapse: {weight: {normal: {mean: -0.5, std: 0.1, max: 0.0}}, delay: {uniform: [0.5, 3.0]}}}
stimuli:
  drive: {type: poisson, target: [E, I], rate: 16000.0, weight: J}
recorders:
  spikes: {type: spikes}
  vm: {type: state, population: I, variable: v, ids: all, interval: 1.0}
)";
} // namespace

TEST(Engine, SpikesAreBitwiseIdenticalFor1To3Threads) {
    const NetworkSpec spec = load_config_text(small_brunel, "c");
    RunResult ref;
    for (int threads : {1, 2, 3}) {
        BuiltNetwork net = build_network(spec, threads);
        RunResult r = simulate(net);
        ASSERT_GT(r.spikes.at("E").times_ms.size(), 1000u);
        if (threads == 1) {
            ref = std::move(r);
            continue;
        }
        for (const char* pop : {"E", "I"}) {
            EXPECT_EQ(r.spikes.at(pop).times_ms, ref.spikes.at(pop).times_ms) << threads << " threads";
            EXPECT_EQ(r.spikes.at(pop).node_ids, ref.spikes.at(pop).node_ids) << threads << " threads";
        }
        EXPECT_EQ(r.reports[0].data, ref.reports[0].data) << "state bitwise identical";
        EXPECT_EQ(r.synaptic_events, ref.synaptic_events);
    }
}

TEST(Engine, RingAndQueueInputBuffersGiveBitwiseIdenticalRuns) {
    // Both add a target's input in emission order (input_buffer.hpp); any thread count. The queue
    // holds float32 weights, so J is one here (0.1 is not).
    const NetworkSpec spec = load_config_text(small_brunel, "c", {"vars.J=0.125"});
    BuiltNetwork ring_net = build_network(spec, 2);
    ASSERT_TRUE(ring_net.float32_weights);
    EXPECT_FALSE(build_network(load_config_text(small_brunel, "c"), 1).float32_weights);
    RunOptions ring, queue;
    ring.input_buffer = InputBufferKind::ring;
    queue.input_buffer = InputBufferKind::queue;
    const RunResult a = simulate(ring_net, ring);
    EXPECT_EQ(a.input_buffer, InputBufferKind::ring);
    for (int threads : {1, 3}) {
        BuiltNetwork net = build_network(spec, threads);
        const RunResult b = simulate(net, queue);
        EXPECT_EQ(b.input_buffer, InputBufferKind::queue);
        for (const char* pop : {"E", "I"}) {
            EXPECT_EQ(a.spikes.at(pop).times_ms, b.spikes.at(pop).times_ms) << threads << " threads";
            EXPECT_EQ(a.spikes.at(pop).node_ids, b.spikes.at(pop).node_ids) << threads << " threads";
        }
        EXPECT_EQ(a.reports[0].data, b.reports[0].data) << "state bitwise identical";
    }
}

TEST(Engine, ExchangingSpikesOncePerShortestDelayGivesTheStepByStepRun) {
    // Partitions exchange spikes every min-delay steps (here 0.5 ms = 5 steps); each slot still adds
    // its input in emission order, so every layout, engine and thread count gives the step-by-step
    // run bitwise. J = 0.125 lets the queue layout take part.
    for (const char* engine : {"clock", "event"}) {
        const NetworkSpec spec =
            load_config_text(small_brunel, "c", {"vars.J=0.125", std::string("simulation.engine=") + engine});
        BuiltNetwork ref_net = build_network(spec, 1);
        EXPECT_EQ(ref_net.min_delay_steps, 5u);
        RunOptions step_by_step;
        step_by_step.exchange_steps = 1;
        const RunResult ref = simulate(ref_net, step_by_step);
        EXPECT_EQ(ref.exchange_steps, 1u);
        ASSERT_GT(ref.spikes.at("E").times_ms.size(), 1000u);
        for (int threads : {1, 2, 3})
            for (const auto kind : {InputBufferKind::ring, InputBufferKind::queue}) {
                BuiltNetwork net = build_network(spec, threads);
                RunOptions sliced;
                sliced.input_buffer = kind;
                const RunResult r = simulate(net, sliced);
                EXPECT_EQ(r.exchange_steps, 5u);
                for (const char* pop : {"E", "I"}) {
                    EXPECT_EQ(r.spikes.at(pop).times_ms, ref.spikes.at(pop).times_ms) << engine << threads;
                    EXPECT_EQ(r.spikes.at(pop).node_ids, ref.spikes.at(pop).node_ids) << engine << threads;
                }
                EXPECT_EQ(r.reports[0].data, ref.reports[0].data) << engine << threads;
                EXPECT_EQ(r.synaptic_events, ref.synaptic_events);
            }
    }
}

TEST(Engine, PlasticNetworksExchangeSpikesOncePerShortestDelayToo) {
    // (That this gives the step-by-step run: Stdp.CatchingUpOncePerShortestDelayGivesTheStepByStepRun.)
    const NetworkSpec spec =
        load_config_text(small_brunel, "c", {"projections.EE.synapse.plasticity={rule: stdp, w_max: 1.0}"});
    BuiltNetwork net = build_network(spec, 2);
    EXPECT_EQ(simulate(net).exchange_steps, 5u);
}

TEST(Engine, SeedChangesTheRun) {
    const NetworkSpec a = load_config_text(small_brunel, "c");
    const NetworkSpec b = load_config_text(small_brunel, "c", {"simulation.seed=100"});
    BuiltNetwork na = build_network(a, 2), nb = build_network(b, 2);
    EXPECT_NE(simulate(na).spikes.at("E").node_ids, simulate(nb).spikes.at("E").node_ids);
}

TEST(Output, SonataFileReadsBack) {
    const NetworkSpec spec = load_config_text(small_brunel, "c");
    BuiltNetwork net = build_network(spec, 2);
    RunResult r = simulate(net);
    const auto path = (std::filesystem::temp_directory_path() / "nmsim_out_test" / "run.h5").string();
    Provenance prov{"{\"ok\":true}", spec.config_text, "c", 99, 2, 0.5, 1.5, 1000, 100, "P: 6 bits", "", {}};
    write_sonata(path, spec, r, prov);
    EXPECT_FALSE(std::filesystem::exists(temp_path_for(path)));
    const SpikeRecord e = read_spikes(path, "E");
    EXPECT_EQ(e.times_ms, r.spikes.at("E").times_ms);
    EXPECT_EQ(e.node_ids, r.spikes.at("E").node_ids);
    EXPECT_TRUE(std::is_sorted(e.times_ms.begin(), e.times_ms.end()));
    EXPECT_EQ(read_string_dataset(path, "/nmsim/config"), spec.config_text);
    EXPECT_EQ(read_string_dataset(path, "/nmsim/summary"), "{\"ok\":true}");
    const auto rates = read_double_dataset(path, "/nmsim/rates_hz");
    ASSERT_EQ(rates.size(), 2u);
    EXPECT_DOUBLE_EQ(rates[0], population_rates(spec, r)[0]);
    const auto time = read_double_dataset(path, "/report/I/mapping/time");
    EXPECT_EQ(time, (std::vector<double>{0.0, 200.0, 1.0}));
}

TEST(Output, ReportsCarryTheModelsUnits) {
    // Each model declares its state units; a Loihi register is not a millivolt.
    const NetworkSpec spec = load_config_text(
        "nmsim: 1\nsimulation: {duration: 2.0}\npopulations:\n  A: {size: 2, model: lif_exp}\n"
        "  B: {size: 2, model: loihi_lif}\nrecorders:\n  ia: {type: state, population: A, variable: "
        "i_syn_exc, ids: all}\n"
        "  vb: {type: state, population: B, variable: v, ids: all}\n",
        "c");
    BuiltNetwork net = build_network(spec, 1);
    const RunResult r = simulate(net);
    const std::string path = (std::filesystem::temp_directory_path() / "nmsim_units_test.h5").string();
    write_sonata(path, spec, r, Provenance{});
    EXPECT_EQ(read_string_attribute(path, "/report/A/data", "units"), "nA");
    EXPECT_EQ(read_string_attribute(path, "/report/B/data", "units"), "register");
    std::filesystem::remove(path);
}

TEST(Output, SeveralVariablesOfOnePopulationEachHaveAReport) {
    // PyNN records v, gsyn_exc and gsyn_inh of one population: /report/A/<variable> each, the first
    // also at /report/A (SONATA's one-report layout, hard links to the same data).
    const NetworkSpec spec =
        load_config_text("nmsim: 1\nsimulation: {duration: 2.0}\npopulations:\n  A: {size: 3, model: "
                         "lif_exp, params: {i_offset: "
                         "1.0}}\nrecorders:\n  va: {type: state, population: A, variable: v, ids: all}\n"
                         "  ia: {type: state, population: A, variable: i_syn_exc, ids: [1], interval: 0.5}\n",
                         "c");
    BuiltNetwork net = build_network(spec, 2);
    const RunResult r = simulate(net);
    const std::string path = (std::filesystem::temp_directory_path() / "nmsim_two_reports.h5").string();
    write_sonata(path, spec, r, Provenance{});
    EXPECT_EQ(read_string_attribute(path, "/report/A/v/data", "units"), "mV");
    EXPECT_EQ(read_string_attribute(path, "/report/A/i_syn_exc/data", "units"), "nA");
    EXPECT_EQ(read_string_attribute(path, "/report/A/data", "units"), "mV");
    EXPECT_EQ(read_string_attribute(path, "/report/A", "variable"), "v");
    EXPECT_EQ(read_double_dataset(path, "/report/A/i_syn_exc/mapping/time"),
              (std::vector<double>{0.0, 2.0, 0.5}));
    EXPECT_EQ(read_double_dataset(path, "/report/A/mapping/time"), (std::vector<double>{0.0, 2.0, 0.1}));
    std::filesystem::remove(path);
}

TEST(Output, FailedWriteLeavesNothing) {
    const NetworkSpec spec = load_config_text(small_brunel, "c", {"simulation.duration=1.0"});
    BuiltNetwork net = build_network(spec, 1);
    RunResult r = simulate(net);
    // A directory where the file should be makes the rename fail after writing the temp file.
    const auto path = std::filesystem::temp_directory_path() / "nmsim_blocked.h5";
    std::filesystem::create_directories(path / "x");
    EXPECT_THROW(write_sonata(path.string(), spec, r, Provenance{}), IoError);
    EXPECT_FALSE(std::filesystem::exists(temp_path_for(path.string())));
    std::filesystem::remove_all(path);
}
