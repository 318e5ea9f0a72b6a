// The event-driven engine: advances a BuiltNetwork on the dt grid. Spikes are delivered by decoding
// the source's packed row into per-thread delay ring buffers (cost ∝ spikes × fan-out); each thread
// owns a contiguous target range, so delivery needs no atomics and results do not depend on threads.
// A population advances every neuron every step (clock) or, in event mode, only the neurons that
// something reaches, the skipped steps in closed form (cost ∝ events; docs/engine.md).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/build/edges.hpp"
#include "sim/build/network_builder.hpp"
#include "sim/engine/engine_choice.hpp"
#include "sim/engine/input_buffer.hpp"

namespace nmsim {

struct SpikeRecord {
    std::vector<double> times_ms;        // sorted by time, then id
    std::vector<std::uint64_t> node_ids; // population-local ids
};

struct StateReport {
    std::string recorder, population, variable, units;
    std::vector<std::uint64_t> ids; // population-local
    double interval_ms = 0.0;
    std::uint64_t n_times = 0;
    std::vector<float> data; // [time][element]
};

// A plastic projection's weight levels sampled during the run (weights recorders with an interval):
// [sample][partition] each partition's levels in its own order (collect_edges puts them in edge order).
struct WeightSamples {
    std::size_t projection = 0;
    std::uint64_t steps_per_sample = 1;
    std::vector<std::vector<std::vector<std::uint16_t>>> levels;
};

struct RunResult {
    std::map<std::string, SpikeRecord> spikes; // recorded populations
    std::vector<StateReport> reports;
    std::vector<EdgeList> edges;                  // `weights` recorders, written as /edges/<projection>
    std::vector<WeightSamples> weight_samples;    // `weights` recorders with an interval
    std::vector<std::uint32_t> spike_counts;      // per neuron (global id), always kept
    std::vector<std::uint64_t> population_spikes; // per population
    std::uint64_t steps = 0;
    std::uint64_t synaptic_events = 0;
    double sim_seconds = 0.0;
    InputBufferKind input_buffer = InputBufferKind::ring; // how synaptic input waited for its step
    std::vector<PopulationEngine> engines;                // per population: clock or event, and why
    std::uint64_t neuron_updates = 0;                     // neuron-steps advanced one by one
    std::uint64_t exchange_steps = 1;                     // steps between spike exchanges (min delay)
};

struct RunOptions {
    // Called from one thread about every 1% of steps with the fraction done.
    std::function<void(double)> progress;
    // Force a delivery layout (tests, benchmarks); by default chosen from the network's size.
    std::optional<InputBufferKind> input_buffer;
    // Exchange spikes at most every this many steps (tests: 1 is step by step); by default at the
    // shortest delay.
    std::optional<std::uint64_t> exchange_steps;
};

RunResult simulate(BuiltNetwork& net, const RunOptions& options = {});

// Mean rate of each population in Hz.
std::vector<double> population_rates(const NetworkSpec& spec, const RunResult& r);

} // namespace nmsim
