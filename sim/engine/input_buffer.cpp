#include "sim/engine/input_buffer.hpp"

#include "sim/spec/capacity.hpp"

namespace nmsim {

InputBufferKind choose_input_buffer(std::uint64_t neurons, int channels, std::uint32_t max_delay,
                                    bool float32_weights) {
    // The ring wins while its slots stay in this partition's share of the cache; past that every event
    // is a miss (measured crossover in docs/performance.md). Queued targets carry the channel in bit 31.
    constexpr std::uint64_t ring_in_cache_bytes = 8ull << 20;
    const std::uint64_t ring_bytes = (max_delay + 1ull) * static_cast<std::uint64_t>(channels) * neurons * 8;
    const bool queue_fits = float32_weights && neurons < max_queue_partition_neurons;
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

double* InputBuffer::slot(std::uint64_t step, TouchSchedule* touch) {
    if (kind_ == InputBufferKind::ring) return ring_.data() + (step % slots_) * channels_ * n_;
    Queue& q = queues_[step % slots_];
    double* acc = ring_.data();
    for (std::size_t k = 0; k < q.chunks.size(); ++k) {
        const Chunk& c = *q.chunks[k];
        const auto m =
            static_cast<std::uint32_t>(k + 1 == q.chunks.size() ? q.next - c.events : chunk_events);
        for (std::uint32_t i = 0; i < m; ++i) {
            if (i + 16 < m) { // targets are scattered: fetch ahead while adding
                const std::uint32_t ahead = c.events[i + 16].target;
                __builtin_prefetch(&acc[(ahead >> 31) * n_ + (ahead & 0x7FFFFFFFu)], 1);
            }
            const std::uint32_t t = c.events[i].target & 0x7FFFFFFFu;
            acc[(c.events[i].target >> 31) * n_ + t] += c.events[i].weight;
            if (touch) touch->mark(t, step);
        }
        free_chunks_.push_back(q.chunks[k]);
    }
    q.chunks.clear();
    q.next = q.end = nullptr;
    return acc;
}

void InputBuffer::grow(Queue& q) {
    Chunk* c;
    if (free_chunks_.empty()) {
        chunk_store_.push_back(std::make_unique<Chunk>());
        c = chunk_store_.back().get();
    } else {
        c = free_chunks_.back();
        free_chunks_.pop_back();
    }
    q.chunks.push_back(c);
    q.next = c->events;
    q.end = c->events + chunk_events;
}

std::uint64_t InputBuffer::bytes() const {
    std::uint64_t b = ring_.size() * sizeof(double);
    b += chunk_store_.size() * sizeof(Chunk);
    return b;
}

} // namespace nmsim
