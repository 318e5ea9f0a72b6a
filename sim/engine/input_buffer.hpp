// Where a partition's synaptic input waits for the step it arrives in. Two layouts, chosen per run
// by choose_input_buffer (docs/performance.md):
// - ring:  one [channel][neuron] slot of doubles per delay; an event is added where it lands. Best
//          while the slots fit in cache (Brunel: 12,500 neurons x 16 slots = 1.6 MB).
// - queue: an event (target, float32 weight: 8 bytes) is appended to the list of its arrival step
//          and added into the single slot when that step comes: sequential writes instead of scattered
//          ones, so a large network with varied delays (PD14: 77k neurons x 60 slots x 2 channels = 74 MB
//          of ring) stays in cache. Only where every weight is exactly a float32.
// Both add a target's input in emission order, so they give bitwise the same sums.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/engine/touch_schedule.hpp"

namespace nmsim {

enum class InputBufferKind { ring, queue };

// The layout for `neurons` targets of one partition with delays up to max_delay steps.
InputBufferKind choose_input_buffer(std::uint64_t neurons, int channels, std::uint32_t max_delay,
                                    bool float32_weights);

class InputBuffer {
public:
    void init(InputBufferKind kind, std::uint64_t neurons, int channels, std::uint32_t max_delay);
    InputBufferKind kind() const { return kind_; }

    // Before the spikes emitted in step `emitted` are delivered: where each delay lands.
    void begin_delivery(std::uint64_t emitted) {
        for (std::uint32_t d = 0; d <= max_delay_; ++d) {
            const std::uint64_t s = (emitted + d) % slots_;
            if (kind_ == InputBufferKind::ring)
                for (int c = 0; c < channels_; ++c)
                    ring_at_[c * stride_ + d] = ring_.data() + (s * channels_ + c) * n_;
            else
                queue_at_[d] = &queues_[s];
        }
    }
    // Delivery adds input w for partition-local neuron t on channel c, arriving d steps after emission,
    // through pointers a closure holds by value (GCC reloads a member vector's data pointer after every
    // pointer store):
    // - queue: append(*queue_slots()[d], t, c, w);
    // - ring:  ring_slots()[c * ring_stride() + d][t] += w.
    struct Queue;
    Queue* const* queue_slots() const { return queue_at_.data(); }
    __attribute__((always_inline)) void append(Queue& q, std::uint64_t t, int c, double w) {
        if (q.next == q.end) [[unlikely]]
            grow(q);
        *q.next++ = {static_cast<std::uint32_t>(t) | (static_cast<std::uint32_t>(c) << 31),
                     static_cast<float>(w)};
    }
    double* const* ring_slots() const { return ring_at_.data(); }
    std::uint64_t ring_stride() const { return stride_; }
    // The [channel][neuron] input of `step` (queued events added in their order); the neuron models
    // consume it and leave it zeroed. Event mode: a queue marks its targets in `touch` as it adds
    // them (the step's marks stay in cache); a ring's are marked at delivery (marks_at_delivery).
    double* slot(std::uint64_t step, TouchSchedule* touch = nullptr);
    bool marks_at_delivery() const { return kind_ == InputBufferKind::ring; }

    std::uint64_t bytes() const;

    struct Event {
        std::uint32_t target; // neuron | channel << 31
        float weight;
    };
    // A slot's events live in fixed chunks from a shared pool, so the queues together hold about the
    // events in flight (not every slot's peak), and nothing is allocated once the pool has grown.
    static constexpr std::uint32_t chunk_events = 2048;
    struct Chunk {
        Event events[chunk_events];
    };
    struct Queue {
        std::vector<Chunk*> chunks; // all full but the last
        Event* next = nullptr;      // where the next event goes in the last chunk; == end: full
        Event* end = nullptr;
    };

private:
    void grow(Queue& q); // a fresh chunk from the pool
    InputBufferKind kind_ = InputBufferKind::ring;
    std::uint64_t n_ = 0, slots_ = 1, stride_ = 1;
    int channels_ = 1;
    std::uint32_t max_delay_ = 1;
    std::vector<double> ring_;     // ring: [slot][channel][neuron]; queue: one slot
    std::vector<double*> ring_at_; // ring: per (channel, delay) of the step being delivered
    std::vector<Queue> queues_;    // queue: per arrival slot
    std::vector<Queue*> queue_at_; // queue: per delay of the step being delivered
    std::vector<std::unique_ptr<Chunk>> chunk_store_;
    std::vector<Chunk*> free_chunks_;
};

} // namespace nmsim
