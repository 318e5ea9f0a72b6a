// What a run will need at its peak, estimated from the spec before anything is built: tables per
// storage rung, neuron state, the input buffers the engine will choose, recording, the build's
// transient. The memory guard and automatic storage decide on it (within 20% of the peak, tested).
#pragma once
#include <cstdint>
#include <vector>

#include "sim/build/storage.hpp"
#include "sim/spec/network_spec.hpp"

namespace nmsim {

// Bytes the run will need at its peak, estimated from the spec before anything is built.
struct MemoryEstimate {
    std::uint64_t tables = 0, neuron_state = 0, input_buffers = 0, recording = 0, build_transient = 0;
    std::uint64_t total() const {
        return tables + neuron_state + input_buffers + recording + build_transient;
    }
};
// `storage` as for build_network (empty: resolved without a memory limit).
MemoryEstimate estimate_memory(const NetworkSpec& spec, int partitions,
                               const std::vector<ProjectionStorage>& storage = {});

} // namespace nmsim
