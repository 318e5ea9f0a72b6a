// External input for one partition: Poisson spikes and spike arrays into the receptors; DC, step, AC
// and noisy currents (PyNN's current sources) into the current; applied at the start of each step.
// A Poisson source draws its spike counts per neuron and step when it is dense (at least
// sparse_poisson_lambda expected spikes per neuron and step: nearly every step has some), vectorised
// and keyed by (stimulus, neuron, step); a sparse one draws each neuron's arrivals as a stream, the
// gap to the next step with spikes and their number keyed by (stimulus, neuron, arrival index), so
// it costs per arrival, not per step. Both are exact Poisson processes on the grid; which one depends
// on the rate alone, so clock and event runs get the same input.
#pragma once
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "sim/engine/touch_schedule.hpp"
#include "sim/spec/network_spec.hpp"

namespace nmsim {

// Thresholds t[k] (scaled to 2^32) of the Poisson(lambda) CDF; the count for a uniform 32-bit u is
// the number of thresholds <= u. The last entry is 2^32, so the search always stops.
std::vector<std::uint64_t> poisson_thresholds(double lambda);

// Below this many expected spikes per neuron and step a Poisson source is drawn as arrival streams.
inline constexpr double sparse_poisson_lambda = 0.1;

class StimulusDriver {
public:
    StimulusDriver() = default;
    StimulusDriver(const NetworkSpec& spec, std::uint64_t begin, std::uint64_t end, int channels);

    // Adds step `step`'s input: spikes into the slot slice `syn` ([channel][neuron], n per channel),
    // currents (nA) into `current` (overwritten when any DC source exists). In event mode `touch`
    // gets every neuron that a spike reaches.
    void apply(std::uint64_t step, double* syn, std::uint64_t n, double* current,
               TouchSchedule* touch = nullptr);
    // Bytes held by the sparse Poisson sources' calendars (their arrivals waiting, and the buckets).
    std::uint64_t stream_bytes() const;

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
        // thresholds[0, common) hold all but <= 2^-12 of the mass above them: a block of draws looks
        // at the rest only when one of its draws reaches thresholds[common].
        std::size_t common = 0;
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
    // A sparse Poisson source: each neuron's next arrival waits in a calendar of steps (by step modulo
    // its length; a later arrival stays in its bucket until its step comes round).
    struct Arrival {
        std::uint64_t step;
        std::uint32_t neuron;  // partition-local | channel << 31
        std::uint32_t ordinal; // of this arrival in the neuron's stream
        std::uint32_t count;   // its spikes, drawn with its step
    };
    struct PoissonStream {
        std::uint32_t index;
        double weight, lambda;
        std::uint64_t start_step, stop_step;
        std::vector<std::uint32_t> count_thresholds; // zero-truncated Poisson(lambda) CDF, scaled to 2^32
        std::vector<std::vector<Arrival>> calendar;
    };
    static constexpr std::uint64_t calendar_steps = 4096;
    // Arrival e.ordinal of a neuron's stream: one Philox block gives the steps without spikes before
    // it (counted from `after`, the step after the previous arrival) and its number of spikes.
    bool schedule(const PoissonStream& s, Arrival& e, std::uint64_t after) const; // false: stream ended
    void add_stream(const StimulusSpec& st, double lambda, std::uint64_t start, std::uint64_t stop,
                    const Ranges& ranges);
    void apply_streams(std::uint64_t step, double* syn, std::uint64_t n, TouchSchedule* touch);
    std::vector<PoissonStream> streams_;
    std::vector<Arrival> rescheduled_;
    static constexpr std::uint64_t poisson_block = 64; // neurons per vectorised inversion
    std::uint64_t seed_ = 0, begin_ = 0;
    std::vector<Poisson> poisson_;
    std::vector<Current> currents_;
    double dt_ = 0.1;
    std::vector<SpikeArray> arrays_;
};

} // namespace nmsim
