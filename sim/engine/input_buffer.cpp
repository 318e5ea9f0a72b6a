#include "sim/engine/input_buffer.hpp"

namespace nmsim {

InputBufferKind choose_input_buffer(std::uint64_t neurons, int channels, std::uint32_t max_delay, bool float32_weights) {
    // The ring wins while its slots stay in this partition's share of the cache; past that every event
    // is a miss (measured crossover in docs/performance.md). Queued targets carry the channel in bit 31.
    constexpr std::uint64_t ring_in_cache_bytes = 8ull << 20;
    const std::uint64_t ring_bytes = (max_delay + 1ull) * static_cast<std::uint64_t>(channels) * neurons * 8;
    const bool queue_fits = float32_weights && neurons < (1ull << 31);
    return ring_bytes <= ring_in_cache_bytes || !queue_fits ? InputBufferKind::ring : InputBufferKind::queue;
}

void InputBuffer::init(InputBufferKind kind, std::uint64_t neurons, int channels, std::uint32_t max_delay) {
    kind_ = kind;
    n_ = neurons;
    channels_ = channels;
    max_delay_ = max_delay;
    slots_ = max_delay + 1ull; // delays 0..max_delay from the emitting step
    stride_ = max_delay + 1ull;
    if (kind == InputBufferKind::ring) {
        ring_.assign(slots_ * channels * n_, 0.0); // first touch by the owning thread
        ring_at_.resize(channels * stride_);
    } else {
        ring_.assign(channels * n_, 0.0);
        queues_.resize(slots_);
        queue_at_.resize(stride_);
    }
}

double* InputBuffer::slot(std::uint64_t step) {
    if (kind_ == InputBufferKind::ring) return ring_.data() + (step % slots_) * channels_ * n_;
    Queue& q = queues_[step % slots_];
    double* acc = ring_.data();
    for (const Event& e : q) acc[(e.target >> 31) * n_ + (e.target & 0x7FFFFFFFu)] += e.weight;
    q.clear(); // capacity stays: no allocation once the queues have grown
    return acc;
}

std::uint64_t InputBuffer::bytes() const {
    std::uint64_t b = ring_.size() * sizeof(double);
    for (const auto& q : queues_) b += q.capacity() * sizeof(Event);
    return b;
}

} // namespace nmsim
