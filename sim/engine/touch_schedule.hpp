// Event mode: which neurons of a partition must be advanced at each coming step. Delivery, stimuli
// and models mark a neuron for a step (at most once: one bit per neuron and slot); the engine takes a
// step's neurons in ascending order, so spikes leave in the same order as in a clock run.
#pragma once
#include <algorithm>
#include <bit>
#include <cstdint>
#include <utility>
#include <vector>

namespace nmsim {

class TouchSchedule {
public:
    // Steps from the one being advanced up to `horizon` ahead can be marked.
    void init(std::uint64_t neurons, std::uint32_t horizon) {
        slots_ = horizon + 1ull;
        words_ = (neurons + 63) / 64;
        bits_.assign(slots_ * words_, 0);
        lists_.assign(slots_, {});
    }
    bool enabled() const { return slots_ > 0; }

    void mark(std::uint64_t neuron, std::uint64_t step) {
        const std::uint64_t s = step % slots_;
        std::uint64_t& word = bits_[s * words_ + (neuron >> 6)];
        const std::uint64_t bit = std::uint64_t{1} << (neuron & 63);
        if (word & bit) return;
        word |= bit;
        lists_[s].push_back(static_cast<std::uint32_t>(neuron));
    }
    void prefetch(std::uint64_t neuron, std::uint64_t step) const {
        __builtin_prefetch(&bits_[(step % slots_) * words_ + (neuron >> 6)], 1);
    }
    void mark_range(std::uint64_t a, std::uint64_t b, std::uint64_t step) {
        for (std::uint64_t i = a; i < b; ++i) mark(i, step);
    }

    // The neurons marked for `step`, ascending; their slot is free for step + slots afterwards.
    const std::vector<std::uint32_t>& take(std::uint64_t step);

    std::uint64_t bytes() const { return bits_.size() * sizeof(std::uint64_t); }

private:
    std::uint64_t slots_ = 0, words_ = 0;
    std::vector<std::uint64_t> bits_;               // [slot][neuron / 64]
    std::vector<std::vector<std::uint32_t>> lists_; // per slot, in marking order
    std::vector<std::uint32_t> taken_;
};

} // namespace nmsim
