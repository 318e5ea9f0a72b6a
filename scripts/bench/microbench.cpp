// Micro-benchmarks of the hot paths: decoding a Brunel-like packed table at several target widths
// (the memory/speed trade-off of compact versus wider gap fields) and the Poisson input draw.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "sim/engine/stimuli.hpp"
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

} // namespace

BENCHMARK_MAIN();
