// External input for one partition: Poisson spike counts (counter-based, keyed by stimulus,
// neuron and step), DC currents and spike arrays, applied at the start of each step.
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
        std::uint64_t a, b;   // partition-local [a, b), one target population
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
    struct Dc {
        double amplitude;
        std::uint64_t start_step, stop_step;
        Ranges ranges;
    };
    struct SpikeArray {
        double weight;
        std::vector<std::uint64_t> steps; // the step whose update a spike enters
        std::size_t cursor = 0;
        Ranges ranges;
    };
    static constexpr std::uint64_t poisson_block = 64; // neurons per vectorised inversion
    std::uint64_t seed_ = 0, begin_ = 0;
    std::vector<Poisson> poisson_;
    std::vector<Dc> dc_;
    std::vector<SpikeArray> arrays_;
};

} // namespace nmsim
