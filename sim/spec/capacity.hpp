// nmsim's capacity limits, in one place (docs/capacity.md): each is checked where input enters (the
// config loader, the table builder, the engine) and tested at the limit and one past it.
#pragma once
#include <cstddef>
#include <cstdint>

namespace nmsim {

// Neurons in a network: spike lists and per-synapse random keys hold uint32 ids.
constexpr std::uint64_t max_total_neurons = 0xFFFFFFFFull;
// Synaptic delay in steps of dt: input buffers, delay fields and the footprint's 16-bit delays.
constexpr std::uint32_t max_delay_steps = 65535;
// Projections: the footprint tags synapses with 16-bit projection ids (random keys allow 2^24).
constexpr std::uint32_t max_projections = 65535;
// Expected Poisson events per neuron and step: the size of the CDF table.
constexpr double max_poisson_events_per_step = 1000.0;
// A truncated distribution keeps at least this much of its mass inside [min, max].
constexpr double min_truncated_mass = 1e-6;
// Packed tables: bits per field, entries per row (uint32 lengths), distinct values in a lookup.
constexpr unsigned max_table_field_bits = 32;
constexpr std::uint64_t max_table_row_entries = 0xFFFFFFFFull;
constexpr std::size_t max_table_lookup_values = 65536;
// Queued input events carry the channel in bit 31 of a partition-local neuron index.
constexpr std::uint64_t max_queue_partition_neurons = std::uint64_t{1} << 31;

} // namespace nmsim
