// External input for one partition: Poisson spike counts (counter-based, keyed by stimulus,
// neuron and step) and spike arrays into the receptors; DC, step, AC and noisy currents (PyNN's
// current sources) into the current; applied at the start of each step.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "sim/spec/network_spec.hpp"

namespace nmsim {

// Thresholds t[k] (scaled to 2^32) of the Poisson(lambda) CDF; the count for a uniform 32-bit u is
// the number of thresholds <= u. The last entry is 2^32, so the search always stops.
std::vector<std::uint64_t> poisson_thresholds(double lambda);

class StimulusDriver {
public:
    StimulusDriver() = default;
    StimulusDriver(const NetworkSpec& spec, std::uint64_t begin, std::uint64_t end, int channels);

    // Adds step `step`'s input: spikes into the slot slice `syn` ([channel][neuron], n per channel),
    // currents (nA) into `current` (overwritten when any DC source exists).
    void apply(std::uint64_t step, double* syn, std::uint64_t n, double* current);

private:
    struct Range {
        std::uint64_t a, b;    // partition-local [a, b), one target population
        std::uint64_t channel; // its receptor's input channel
    };
    using Ranges = std::vector<Range>;
    struct Poisson {
        std::uint32_t index;
        double weight;
        std::uint64_t start_step, stop_step;
        std::uint32_t certain;                 // thresholds at 0: counted for every draw
        std::vector<std::uint32_t> thresholds; // the others, ascending, all < 2^32
        Ranges ranges;
    };
    // A current source: the amplitude (nA) it injects in a step, into every neuron of its ranges
    // (noisy: each neuron its own draw).
    struct Current {
        const StimulusSpec* spec;
        std::uint64_t start_step, stop_step;
        Ranges ranges;
        std::vector<std::uint64_t> change_steps; // step: the first step of each amplitude
        std::uint64_t interval_steps = 1;        // noisy
    };
    double current_at(const Current& c, std::uint64_t step) const;
    struct SpikeArray {
        double weight;
        std::vector<std::uint64_t> steps; // the step whose update a spike enters
        std::size_t cursor = 0;
        Ranges ranges;
    };
    static constexpr std::uint64_t poisson_block = 64; // neurons per vectorised inversion
    std::uint64_t seed_ = 0, begin_ = 0;
    std::vector<Poisson> poisson_;
    std::vector<Current> currents_;
    double dt_ = 0.1;
    std::vector<SpikeArray> arrays_;
};

} // namespace nmsim
