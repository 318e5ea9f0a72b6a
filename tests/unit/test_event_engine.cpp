// Event mode (docs/engine.md): neurons advanced only where something reaches them give the clock's
// spikes, and traces within 1e-12; the choice per population; sparse Poisson arrival streams.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "models/idle_steps.hpp"
#include "sim/build/network_builder.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/engine/simulator.hpp"
#include "sim/engine/stimuli.hpp"
#include "sim/engine/touch_schedule.hpp"

using namespace nmsim;

namespace {

std::unique_ptr<NeuronGroup> make_group(const std::string& model, std::uint64_t n,
                                        const std::map<std::string, double>& set, double dt) {
    std::map<std::string, double> p;
    for (const auto& info : find_model(model)->params) p[info.name] = info.default_value;
    for (const auto& [k, v] : set) p[k] = v;
    return find_model(model)->create(n, p, dt);
}

// Drives one clock group and one event group of `model` with the same sparse random input (gaps of
// 1 to 400 steps, excitatory and inhibitory, enough to fire) and compares every state variable
// whenever the event group is brought up to date; returns the spikes of both.
struct Comparison {
    std::vector<std::uint64_t> clock_spikes, event_spikes;
    double worst_relative = 0.0;
};
// `neurons`: the groups' size (neuron 0 is driven); large groups take long gaps from tables.
Comparison compare_modes(const std::string& model, const std::map<std::string, double>& params, int vars,
                         double w_exc, double w_inh, std::uint64_t steps, std::uint64_t neurons) {
    auto clock = make_group(model, neurons, params, 0.1), event = make_group(model, neurons, params, 0.1);
    event->begin_event_mode();
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<int> gap(1, 400), coin(0, 3);
    Comparison c;
    std::uint64_t next_input = 5;
    std::vector<std::uint32_t> spiked, active;
    const std::uint32_t zero_id = 0;
    bool event_active = false;
    for (std::uint64_t step = 0; step < steps; ++step) {
        double syn_c[2] = {0, 0}, syn_e[2] = {0, 0}, cur = 0.0;
        if (step == next_input) {
            const double w = coin(rng) == 0 ? w_inh : w_exc * (1 + coin(rng));
            syn_c[w < 0 && vars > 1] = syn_e[w < 0 && vars > 1] = w;
            next_input += gap(rng) % (coin(rng) == 0 ? 400 : 12) + 1; // short and long gaps
        }
        StepInput in_c{{&syn_c[0], &syn_c[1]}, &cur, 2, step}, in_e{{&syn_e[0], &syn_e[1]}, &cur, 2, step};
        spiked.clear();
        clock->update(0, 1, in_c, spiked);
        if (!spiked.empty()) c.clock_spikes.push_back(step);
        const bool touched = syn_e[0] != 0 || syn_e[1] != 0 || event_active || step == 0;
        if (touched) {
            spiked.clear();
            active.clear();
            event->update_touched({&zero_id, 1}, 0, in_e, spiked, active);
            if (!spiked.empty()) c.event_spikes.push_back(step);
            event_active = !active.empty();
        }
        if (touched || step % 97 == 0) {
            event->catch_up(0, step + 1);
            for (int v = 0; v < vars; ++v) {
                const double a = clock->get(v, 0), b = event->get(v, 0);
                // Relative to the value, but not below 1e-3 of the unit (1 uV, 1 pA): where V crosses zero
                // it is the small difference of larger terms, and 1e-12 of nothing is not a tolerance.
                const double rel = std::abs(a - b) / std::max({std::abs(a), std::abs(b), 1e-3});
                c.worst_relative = std::max(c.worst_relative, a == b ? 0.0 : rel);
            }
        }
    }
    return c;
}

} // namespace

TEST(TouchSchedule, TakesEachStepsMarksAscendingOnceAndClearsThem) {
    // From a few marks per step (the sorted list) to full words (the bitmap, read 16 positions at a
    // time where the build has AVX-512 VBMI2): words with 0, 1-16, 17-32, 33-48 and 49-64 marks, each
    // neuron marked twice, a step marked up to the horizon ahead, over many rounds of the slots.
    std::mt19937_64 rng(5);
    const std::uint64_t neurons = 64 * 40 + 17;
    TouchSchedule touch;
    touch.init(neurons, 3);
    std::vector<std::uint32_t> lane(64);
    std::iota(lane.begin(), lane.end(), 0u);
    for (std::uint64_t step = 0; step < 300; ++step) {
        const std::uint64_t at = step + rng() % 4;
        const int density = static_cast<int>(step % 6); // 0: a mark in about one word of 40
        std::vector<std::uint32_t> expect;
        for (std::uint64_t w = 0; w * 64 < neurons; ++w) {
            const unsigned count = density == 0 ? (rng() % 40 == 0)
                                   : density == 5
                                       ? static_cast<unsigned>(rng() % 64) + 1
                                       : 16 * (density - 1) + 1 + static_cast<unsigned>(rng() % 16);
            std::shuffle(lane.begin(), lane.end(), rng);
            for (unsigned k = 0; k < count; ++k)
                if (w * 64 + lane[k] < neurons)
                    expect.push_back(static_cast<std::uint32_t>(w * 64 + lane[k]));
        }
        for (int twice = 0; twice < 2; ++twice)
            for (const std::uint32_t t : expect) touch.mark(t, at);
        std::sort(expect.begin(), expect.end());
        for (std::uint64_t s = step; s < at; ++s) EXPECT_TRUE(touch.take(s).empty()) << s;
        ASSERT_EQ(touch.take(at), expect) << "step " << at << " density " << density;
        step = at;
    }
}

TEST(EventMode, LifDeltaFollowsTheClockSpikeForSpike) {
    for (const std::uint64_t neurons : {std::uint64_t{1}, table_gap}) {
        const Comparison c = compare_modes(
            "lif_delta", {{"v_rest", 0.0}, {"v_reset", 5.0}, {"v_thresh", 15.0}, {"tau_refrac", 2.0}}, 1, 6.0,
            -4.0, 200000, neurons);
        EXPECT_GT(c.clock_spikes.size(), 100u);
        EXPECT_EQ(c.clock_spikes, c.event_spikes) << neurons;
        EXPECT_LE(c.worst_relative, 1e-12) << neurons;
    }
}

TEST(EventMode, LifExpFollowsTheClockSpikeForSpike) {
    for (const double tau_s : {0.5, 5.0, 20.0}) // tau_syn below, near and equal to tau_m
        for (const std::uint64_t neurons : {std::uint64_t{1}, table_gap}) {
            const Comparison c = compare_modes("lif_exp",
                                               {{"v_rest", 0.0},
                                                {"v_reset", 5.0},
                                                {"v_thresh", 15.0},
                                                {"tau_refrac", 2.0},
                                                {"tau_m", 20.0},
                                                {"tau_syn_E", tau_s},
                                                {"tau_syn_I", 2.0 * tau_s}},
                                               3, 6.0 / tau_s, -4.0 / tau_s, 200000, neurons);
            EXPECT_GT(c.clock_spikes.size(), 100u) << tau_s;
            EXPECT_EQ(c.clock_spikes, c.event_spikes) << tau_s;
            EXPECT_LE(c.worst_relative, 1e-12) << tau_s;
        }
}

TEST(EventMode, ShortGapsAreSteppedBitwiseAsTheClockLongOnesWithinUlps) {
    // Where clock and event runs can differ (docs/engine.md): a gap of up to stepped_gap steps is
    // stepped with the clock's own arithmetic, so a neuron that the clock brings exactly to threshold
    // fires in event mode too; a longer gap is one closed-form product, a few ulps from the clock's
    // repeated products, so an input landing V within those ulps of threshold could fire in one mode
    // and not the other. Both are shown here on lif_delta.
    const double dt = 0.1;
    for (const std::uint64_t gap : {stepped_gap, std::uint64_t{500}}) {
        auto clock = make_group("lif_delta", 1, {{"v_rest", 0.0}, {"v_thresh", 15.0}, {"v_reset", 0.0}}, dt);
        auto event = make_group("lif_delta", 1, {{"v_rest", 0.0}, {"v_thresh", 15.0}, {"v_reset", 0.0}}, dt);
        event->begin_event_mode();
        clock->set(0, 0, 14.0);
        event->set(0, 0, 14.0);
        double syn = 0.0, cur = 0.0, none = 0.0;
        std::vector<std::uint32_t> spiked, active;
        const std::uint32_t id = 0;
        StepInput quiet{{&none, nullptr}, &cur, 1, 0};
        for (std::uint64_t s = 0; s < gap; ++s) {
            quiet.step = s;
            clock->update(0, 1, quiet, spiked);
        }
        // The input that takes the clock's V exactly to threshold at step `gap`.
        const double v_clock = clock->get(0, 0), p22 = std::exp(-dt / 20.0);
        event->catch_up(0, gap);
        const double v_event = event->get(0, 0);
        if (gap <= stepped_gap)
            EXPECT_EQ(v_clock, v_event);
        else
            EXPECT_LE(std::abs(v_clock - v_event), 8e-16 * std::abs(v_clock)) << "a few ulps";
        const double w = 15.0 - p22 * v_clock; // p22 v + w >= 15 in the clock's arithmetic
        ASSERT_GE(p22 * v_clock + w, 15.0);
        syn = w;
        StepInput in{{&syn, nullptr}, &cur, 1, gap};
        clock->update(0, 1, in, spiked);
        const bool clock_fired = !spiked.empty();
        spiked.clear();
        syn = w;
        event->update_touched({&id, 1}, 0, in, spiked, active);
        EXPECT_TRUE(clock_fired);
        if (gap <= stepped_gap) {
            EXPECT_FALSE(spiked.empty()) << "stepped: the same decision at threshold";
        }
    }
}

namespace {

// Sparse activity: a chain of 12 groups of 50 lif_exp / lif_delta neurons, each group driving the
// next, kicked by a spike array and a sparse Poisson drive (1 Hz per neuron: arrival streams),
// with a weak recurrent inhibitory population on the clock (i_offset).
const char* sparse_chain = R"(nmsim: 1
simulation: {duration: 300.0, dt: 0.1, seed: 5}
populations:
  A: {size: 300, model: lif_delta, params: {v_rest: 0.0, v_reset: 0.0, v_thresh: 15.0, tau_refrac: 2.0},
      initial: {v: {uniform: [0.0, 14.0]}}}
  B: {size: 300, model: lif_exp, params: {v_rest: 0.0, v_reset: 0.0, v_thresh: 15.0, tau_refrac: 2.0,
      tau_syn_E: 2.0, tau_syn_I: 4.0, cm: 0.25}}
  C: {size: 50, model: lif_exp, params: {v_rest: 0.0, v_reset: 0.0, v_thresh: 15.0, i_offset: 0.1, cm: 0.25}}
projections:
  AB: {source: A, target: B, connector: {rule: fixed_indegree, indegree: 30}, synapse: {weight: 0.25, delay: {uniform: [1.0, 4.0]}}}
  BA: {source: B, target: A, connector: {rule: fixed_indegree, indegree: 30}, synapse: {weight: 0.6, delay: 2.0}}
  BC: {source: B, target: C, connector: {rule: fixed_indegree, indegree: 10}, synapse: {weight: 0.3, delay: 1.0}}
  CA: {source: C, target: [A, B], connector: {rule: pairwise_bernoulli, p: 0.2},
       synapse: {weight: {normal: {mean: -0.4, std: 0.1, max: 0.0}}, delay: 1.5}}
stimuli:
  kick: {type: spike_array, target: A, ids: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], times: [5.0, 100.0], weight: 20.0}
  noise: {type: poisson, target: [A, B], rate: 40.0, weight: 8.0}
recorders:
  spikes: {type: spikes}
  va: {type: state, population: A, variable: v, ids: [0, 11, 299], interval: 0.7}
  vb: {type: state, population: B, variable: v, ids: [3, 150], interval: 1.0}
)";

RunResult run(const NetworkSpec& spec, int threads) {
    BuiltNetwork net = build_network(spec, threads);
    return simulate(net);
}

void expect_same_spikes(const RunResult& a, const RunResult& b, const std::string& what) {
    ASSERT_EQ(a.spikes.size(), b.spikes.size());
    for (const auto& [pop, rec] : a.spikes) {
        EXPECT_EQ(rec.times_ms, b.spikes.at(pop).times_ms) << pop << " " << what;
        EXPECT_EQ(rec.node_ids, b.spikes.at(pop).node_ids) << pop << " " << what;
    }
}

} // namespace

TEST(EventMode, SparseNetworkGivesTheClockSpikesForAnyThreadCount) {
    const RunResult clock = run(load_config_text(sparse_chain, "c", {"simulation.engine=clock"}), 1);
    std::uint64_t spikes = 0;
    for (const auto& [pop, rec] : clock.spikes) spikes += rec.times_ms.size();
    ASSERT_GT(spikes, 200u) << "activity to compare";
    for (const int threads : {1, 2, 3}) {
        const RunResult event =
            run(load_config_text(sparse_chain, "c", {"simulation.engine=event"}), threads);
        EXPECT_EQ(event.engines[0].mode, EngineMode::event);
        EXPECT_EQ(event.engines[1].mode, EngineMode::event);
        EXPECT_EQ(event.engines[2].mode, EngineMode::clock) << "i_offset keeps C on the clock";
        EXPECT_NE(event.engines[2].reason.find("i_offset"), std::string::npos);
        expect_same_spikes(clock, event, std::to_string(threads) + " threads");
        EXPECT_EQ(event.synaptic_events, clock.synaptic_events);
        const std::uint64_t on_clock = 50 * 3000; // C
        EXPECT_LT((event.neuron_updates - on_clock) * 5, clock.neuron_updates - on_clock)
            << "event mode advances A and B only where reached";
        for (std::size_t r = 0; r < clock.reports.size(); ++r) {
            ASSERT_EQ(clock.reports[r].data.size(), event.reports[r].data.size());
            for (std::size_t k = 0; k < clock.reports[r].data.size(); ++k)
                ASSERT_NEAR(clock.reports[r].data[k], event.reports[r].data[k],
                            1e-6 * std::max(1.0f, std::abs(clock.reports[r].data[k])))
                    << "float32 samples of traces equal to 1e-12";
        }
    }
}

TEST(EventMode, AutoChoosesPerPopulationAndSaysWhy) {
    // Provisional event mode, kept after measuring the first 1000 steps (3000 in the run).
    const std::vector<std::string> sparser = {"stimuli.noise.rate=5", "projections.BA.connector.indegree=3",
                                              "projections.CA.connector.p=0.01"};
    const RunResult r = run(load_config_text(sparse_chain, "c", sparser), 2);
    EXPECT_EQ(r.engines[0].mode, EngineMode::event) << r.engines[0].reason;
    EXPECT_NE(r.engines[0].reason.find("reached in fewer than"), std::string::npos) << r.engines[0].reason;
    EXPECT_GE(r.engines[0].measured_touches, 0.0);
    EXPECT_LT(r.engines[0].measured_touches, event_touch_fraction);
    // A dense drive (Brunel's: 2 spikes per neuron and step) reaches every neuron nearly every step:
    // the clock from the start, no measuring.
    const RunResult dense = run(load_config_text(sparse_chain, "c", {"stimuli.noise.rate=20000"}), 2);
    EXPECT_EQ(dense.engines[0].mode, EngineMode::clock) << dense.engines[0].reason;
    EXPECT_NE(dense.engines[0].reason.find("stimuli alone"), std::string::npos);
    EXPECT_GT(dense.engines[0].expected_touches, 0.8);
    // A DC source keeps its target on the clock whatever is asked.
    const RunResult dc = run(
        load_config_text(sparse_chain, "c",
                         {"simulation.engine=event", "stimuli.dc={type: dc, target: B, amplitude: 0.01}"}),
        1);
    EXPECT_EQ(dc.engines[1].mode, EngineMode::clock);
    EXPECT_NE(dc.engines[1].reason.find("current source 'dc'"), std::string::npos);
    const RunResult off =
        run(load_config_text(sparse_chain, "c",
                             {"simulation.engine=event", "stimuli.dc={type: dc, target: B, amplitude: 0.0}"}),
            1);
    EXPECT_EQ(off.engines[1].mode, EngineMode::event) << "a DC of 0 (a config switch) drives nothing";
    const RunResult forced = run(load_config_text(sparse_chain, "c", {"simulation.engine=clock"}), 1);
    for (const auto& e : forced.engines) EXPECT_EQ(e.mode, EngineMode::clock);
}

TEST(EventMode, AutoMovesABusyPopulationToTheClockAfterMeasuring) {
    // Estimated from an assumed 10 Hz, R looks sparse; kicked into self-sustained firing near the
    // refractory limit its neurons are reached almost every step, so auto moves it to the clock at
    // step 1000, with the same spikes as a clock run, for any thread count.
    const char* busy = R"(nmsim: 1
simulation: {duration: 300.0, dt: 0.1, seed: 2}
populations:
  R: {size: 400, model: lif_delta, params: {v_rest: 0.0, v_reset: 0.0, v_thresh: 15.0, tau_refrac: 2.0},
      initial: {v: {uniform: [0.0, 14.0]}}}
  Q: {size: 400, model: lif_delta, params: {v_rest: 0.0, v_reset: 0.0, v_thresh: 15.0, tau_refrac: 2.0}}
projections:
  RR: {source: R, target: R, connector: {rule: fixed_indegree, indegree: 40}, synapse: {weight: 2.0, delay: {uniform: [1.0, 3.0]}}}
stimuli:
  kick: {type: spike_array, target: R, times: [1.0, 2.0], weight: 20.0}
  noise: {type: poisson, target: Q, rate: 20.0, weight: 8.0}
recorders:
  spikes: {type: spikes}
  vr: {type: state, population: R, variable: v, ids: [0, 5], interval: 1.0}
  vq: {type: state, population: Q, variable: v, ids: [0, 5], interval: 1.0}
)";
    const RunResult clock = run(load_config_text(busy, "c", {"simulation.engine=clock"}), 1);
    for (const int threads : {1, 3}) {
        const RunResult r = run(load_config_text(busy, "c"), threads);
        EXPECT_EQ(r.engines[0].mode, EngineMode::clock) << r.engines[0].reason;
        EXPECT_NE(r.engines[0].reason.find("clock from there on"), std::string::npos) << r.engines[0].reason;
        EXPECT_GT(r.engines[0].measured_touches, 0.5);
        EXPECT_EQ(r.engines[1].mode, EngineMode::event) << "Q is reached rarely: " << r.engines[1].reason;
        EXPECT_LT(r.engines[1].measured_touches, event_touch_fraction);
        expect_same_spikes(clock, r, std::to_string(threads) + " threads, switched at step 1000");
        for (std::size_t rep = 0; rep < 2; ++rep)
            for (std::size_t k = 0; k < clock.reports[rep].data.size(); ++k)
                ASSERT_NEAR(clock.reports[rep].data[k], r.reports[rep].data[k], 1e-5) << rep << " " << k;
    }
}

TEST(Stimuli, SparsePoissonStreamsArePoissonOnTheGrid) {
    // 2000 neurons at 50 Hz for 2 s (lambda = 0.005 per step): counts per neuron are Poisson(100)
    // and several spikes in one step come as often as Poisson says.
    const NetworkSpec spec = load_config_text(R"(nmsim: 1
simulation: {duration: 2000.0, dt: 0.1, seed: 3}
populations:
  N: {size: 2000, model: lif_delta, params: {v_rest: 0.0, v_thresh: 1e3, v_reset: 0.0, tau_m: 1e5}}
stimuli:
  s: {type: poisson, target: N, rate: 50.0, weight: 1.0}
)",
                                              "c");
    StimulusDriver driver(spec, 0, 2000, 1);
    std::vector<double> syn(2000, 0.0), total(2000, 0.0), cur(2000, 0.0);
    std::uint64_t multiple = 0, steps_with = 0;
    for (std::uint64_t step = 0; step < 20000; ++step) {
        driver.apply(step, syn.data(), 2000, cur.data());
        for (std::size_t i = 0; i < 2000; ++i) {
            if (syn[i] > 0) ++steps_with;
            if (syn[i] > 1) ++multiple;
            total[i] += syn[i];
            syn[i] = 0;
        }
    }
    double mean = 0, var = 0;
    for (const double t : total) mean += t / 2000;
    for (const double t : total) var += (t - mean) * (t - mean) / 1999;
    EXPECT_NEAR(mean, 100.0, 4 * std::sqrt(100.0 / 2000));
    EXPECT_NEAR(var / mean, 1.0, 0.1) << "Poisson: variance = mean";
    const double lambda = 0.005; // P(2 or more | 1 or more)
    EXPECT_NEAR(static_cast<double>(multiple) / steps_with, 1 - lambda / std::expm1(lambda), 0.002);
    // Its calendar holds about the arrivals waiting (one per neuron), not each bucket's largest
    // occupancy over the laps (20 steps of 4096 at this rate's 200-step mean gap: ~20x as much).
    const std::uint64_t waiting = 2000 * 24, buckets = 4096 * sizeof(std::vector<int>);
    EXPECT_LT(driver.stream_bytes(), buckets + 4 * waiting) << driver.stream_bytes();
    // The same arrivals whatever the partitioning: a partition's driver keys by global id.
    StimulusDriver part(spec, 1000, 2000, 1), whole(spec, 0, 2000, 1);
    std::vector<double> psyn(1000, 0.0), pcur(1000, 0.0), wsyn(2000, 0.0);
    for (std::uint64_t step = 0; step < 2000; ++step) {
        part.apply(step, psyn.data(), 1000, pcur.data());
        whole.apply(step, wsyn.data(), 2000, cur.data());
        for (std::size_t i = 0; i < 1000; ++i) ASSERT_EQ(psyn[i], wsyn[1000 + i]) << step;
        std::fill(psyn.begin(), psyn.end(), 0.0);
        std::fill(wsyn.begin(), wsyn.end(), 0.0);
    }
}
