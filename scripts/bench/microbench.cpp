// Micro-benchmarks of the hot paths: decoding a Brunel-like packed table at several target widths
// (the memory/speed trade-off of compact versus wider gap fields), the Poisson input draw, and the STDP
// pair rule's row kernel.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "sim/engine/stimuli.hpp"
#include "sim/plasticity/stdp.hpp"
#include "sim/table/packed_table.hpp"

using namespace nmsim;

namespace {

// 1000 rows of ~1000 sorted targets in 12,500 (Brunel's in-degree structure), constant weight.
PackedTable brunel_like(unsigned target_bits) {
    std::mt19937_64 rng(1);
    std::vector<std::vector<std::uint64_t>> rows(1000);
    for (auto& r : rows) {
        for (int k = 0; k < 1000; ++k) r.push_back(rng() % 12500);
        std::sort(r.begin(), r.end());
    }
    PackedTableBuilder b(rows.size(), 0, 12500);
    for (std::size_t s = 0; s < rows.size(); ++s)
        for (auto t : rows[s]) b.observe(s, t, 0.1, 15);
    b.choose_widths(target_bits);
    for (std::size_t s = 0; s < rows.size(); ++s)
        for (auto t : rows[s]) b.count(s, t);
    b.allocate();
    for (std::size_t s = 0; s < rows.size(); ++s)
        for (auto t : rows[s]) b.write(s, t, 0.1, 15);
    return b.finish();
}

void DeliverRows(benchmark::State& state) {
    const PackedTable table = brunel_like(static_cast<unsigned>(state.range(0)));
    std::vector<double> ring(12500, 0.0);
    std::uint64_t row = 0, events = 0;
    for (auto _ : state) {
        table.for_each_synapse(row, [&](std::uint64_t t, double w, std::uint32_t) {
            ring[t] += w;
            ++events;
        });
        row = (row + 7) % table.rows();
    }
    benchmark::DoNotOptimize(ring.data());
    state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
    state.counters["bytes/synapse"] = static_cast<double>(table.bytes()) / table.synapses();
}
BENCHMARK(DeliverRows)->Arg(0)->Arg(4)->Arg(6)->Arg(8)->Arg(14)->Arg(16);

// A plastic row's targets and delays into arrays (PackedTable::decode_targets: 16 entries per AVX-512
// VBMI step where the build has it), the first step of an STDP catch-up.
void DecodeTargets(benchmark::State& state) {
    const PackedTable table = brunel_like(0);
    std::vector<std::uint32_t> targets(1100 + 16), delays(1100 + 16);
    std::uint64_t row = 0, synapses = 0;
    for (auto _ : state) {
        synapses += table.decode_targets(row, 0, targets.data(), delays.data());
        benchmark::DoNotOptimize(targets.data());
        row = (row + 7) % table.rows();
    }
    state.counters["synapses/s"] =
        benchmark::Counter(static_cast<double>(synapses), benchmark::Counter::kIsRate);
}
BENCHMARK(DecodeTargets);

void PoissonDraw(benchmark::State& state) {
    NetworkSpec spec;
    spec.simulation.dt = 0.1;
    PopulationSpec pop;
    pop.name = "E";
    pop.model = "lif_delta"; // the stimulus routes its input by the model's receptors
    pop.size = 12500;
    spec.populations.push_back(pop);
    StimulusSpec st;
    st.name = "drive";
    st.targets = {"E"};
    st.rate_hz = 20000.0;
    st.weight = 0.1;
    spec.stimuli.push_back(st);
    StimulusDriver driver(spec, 0, 12500, 1);
    std::vector<double> syn(12500, 0.0), current(12500, 0.0);
    std::uint64_t step = 0;
    for (auto _ : state) driver.apply(step++, syn.data(), 12500, current.data());
    benchmark::DoNotOptimize(syn.data());
    state.counters["neuron-steps/s"] =
        benchmark::Counter(12500.0 * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(PoissonDraw);

// The pair rule's kernel as Brunel-STDP runs it (configs/brunel_stdp.yaml): 1000 rows of 1000 sorted
// targets in 10,000, delay 1.5 ms, pre and post spikes at ~33 Hz (Poisson), additive all-to-all, 16-bit
// levels; each step's spiking rows catch up in batches of 64 as catch_up_pair_row does.
void StdpPairKernel(benchmark::State& state) {
    constexpr std::uint32_t targets = 10000, sources = 1000, delay = 15;
    PlasticitySpec spec;
    spec.enabled = true;
    spec.tau_plus = spec.tau_minus = 20.0;
    spec.a_plus = 0.01;
    spec.a_minus = 0.0105;
    spec.w_max = 0.2;
    const StdpRule rule(spec, 0.1, 1, 0, delay);
    std::mt19937_64 rng(1);
    std::vector<std::vector<std::uint32_t>> rows(sources);
    for (auto& r : rows) {
        for (int k = 0; k < 1000; ++k) r.push_back(static_cast<std::uint32_t>(rng() % targets));
        std::sort(r.begin(), r.end());
    }
    std::vector<std::vector<std::uint16_t>> levels(sources, std::vector<std::uint16_t>(1000, 32768));
    StdpState st;
    st.init(sources, targets);
    std::vector<std::uint32_t> last(sources, 0);
    std::vector<double> k_plus(sources, 0.0);
    // Who fires in each step, drawn before the clock starts; the first 1000 steps fill the histories.
    constexpr std::uint32_t warmup = 1000, steps = warmup + 3000;
    std::bernoulli_distribution fires(33.0 * 1e-4);
    std::vector<std::vector<std::uint32_t>> post(steps), pre(steps);
    for (std::uint32_t k = 0; k < steps; ++k) {
        for (std::uint32_t t = 0; t < targets; ++t)
            if (fires(rng)) post[k].push_back(t);
        for (std::uint32_t s = 0; s < sources; ++s)
            if (fires(rng)) pre[k].push_back(s);
    }
    const std::vector<std::uint32_t> delays(64, delay);
    alignas(64) double w[64];
    std::uint16_t q[64];
    std::uint64_t synapses = 0, incomplete = 0;
    const bool prefetch = state.range(0) != 0; // the target lines a batch ahead, as the engine did
    std::uint8_t complete[64];
    const auto run_step = [&](std::uint32_t k) {
        const std::uint32_t stamp = k + 1;
        for (const std::uint32_t t : post[k]) st.post_spike(rule, t, stamp, 8000);
        for (const std::uint32_t s : pre[k]) {
            const auto& row = rows[s];
            for (std::size_t b = 0; b < row.size(); b += 64) {
                const std::size_t n = std::min<std::size_t>(64, row.size() - b);
                if (prefetch) // the next batch's
                    for (std::size_t i = b + 64; i < std::min<std::size_t>(row.size(), b + 128); ++i)
                        __builtin_prefetch(&st.recent(row[i]));
                if (last[s] > 0)
                    stdp_pair_batch<true, true, true, true>(rule, st, n, row.data() + b, delays.data(),
                                                            levels[s].data() + b, last[s], k_plus[s], stamp,
                                                            w, q, complete);
                else
                    stdp_pair_batch<true, false, true, true>(rule, st, n, row.data() + b, delays.data(),
                                                             levels[s].data() + b, 0, 0.0, stamp, w, q,
                                                             complete);
                std::copy(q, q + n, levels[s].data() + b);
                for (std::size_t i = 0; i < n; ++i) incomplete += !complete[i];
                synapses += n;
            }
            k_plus[s] = (last[s] > 0 ? k_plus[s] * rule.decay_plus(stamp - last[s]) : 0.0) + 1.0;
            last[s] = stamp;
        }
    };
    for (std::uint32_t k = 0; k < warmup; ++k) run_step(k);
    synapses = incomplete = 0;
    std::uint32_t k = warmup;
    for (auto _ : state) {
        if (k == steps) break;
        run_step(k++);
    }
    state.counters["synapses/s"] =
        benchmark::Counter(static_cast<double>(synapses), benchmark::Counter::kIsRate);
    state.counters["incomplete"] = static_cast<double>(incomplete) / std::max<double>(1.0, synapses);
}
BENCHMARK(StdpPairKernel)->Arg(0)->Arg(1)->Iterations(3000)->Repetitions(3);

} // namespace

BENCHMARK_MAIN();
