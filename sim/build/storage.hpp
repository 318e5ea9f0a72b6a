// The storage ladder per projection (packed, procedural_weights, procedural, quantised): what each
// rung keeps in memory, what it is predicted to cost at delivery, automatic's choice between them,
// and the one function every reader of synapses (engine, tests) goes through, whatever the rung.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/build/connectivity.hpp"
#include "sim/spec/network_spec.hpp"
#include "sim/table/packed_table.hpp"

namespace nmsim {

const char* to_string(StorageKind k);

// A projection's storage after resolution (never automatic), with the reason for the choice.
struct ProjectionStorage {
    StorageKind kind = StorageKind::packed;
    std::string reason;
    // quantised: the grid, and its error measured over every synapse at build time
    unsigned bits = 0;
    double grid_low = 0.0, grid_step = 0.0;
    double rms_rel_error = 0.0, max_rel_error = 0.0;
    double quantise(double w) const {
        if (grid_step <= 0.0) return w;
        return grid_low + std::nearbyint((w - grid_low) / grid_step) * grid_step;
    }
};

// Predicted cost of one rung for one projection.
struct StorageCost {
    double delivery = 1.0;    // delivery time per synaptic event relative to packed (docs/storage.md)
    double table_bytes = 0.0; // all partitions together
};
StorageCost predict_storage_cost(const NetworkSpec& spec, const ProjectionGenerator& gen, StorageKind kind,
                                 int partitions);

// Resolves every projection's storage. `chip_run` forces packed (chip quantisation rewrites stored
// values). With memory_limit > 0 automatic projections step down the exact rungs, largest first,
// while the predicted tables exceed it (fixed_bytes: everything but the tables).
std::vector<ProjectionStorage> resolve_storage(const NetworkSpec& spec,
                                               const std::vector<ProjectionGenerator>& generators,
                                               int partitions, bool chip_run, std::uint64_t memory_limit = 0,
                                               std::uint64_t fixed_bytes = 0);

// Calls f(target, weight, delay_steps) for every synapse of source row `row` (local) in one
// partition's share [t_begin, t_end) of a projection, whatever its storage: decoded from the table,
// or with values regenerated from (source, target, ordinal), or the whole row regenerated. One
// branch per row, none per synapse. Returns how many synapses f saw.
template <class F>
inline std::uint32_t for_each_synapse(const ProjectionStorage& storage, const PackedTable& table,
                                      const ProjectionGenerator& gen, std::uint64_t row,
                                      std::uint64_t t_begin, std::uint64_t t_end, F&& f) {
    const SynapseValues& values = gen.values();
    const std::uint64_t source = gen.source_first() + row;
    switch (storage.kind) {
    case StorageKind::procedural_weights: {
        std::uint64_t last = ~0ull;
        std::uint32_t ordinal = 0;
        return table.for_each_synapse(row, [&](std::uint64_t t, double, std::uint32_t) {
            ordinal = t == last ? ordinal + 1 : 0; // a row's multapses are adjacent
            last = t;
            double w;
            std::uint32_t d;
            values(source, t, ordinal, w, d);
            f(t, w, d);
        });
    }
    case StorageKind::procedural: {
        std::uint32_t count = 0;
        if (gen.has_kernel()) {
            gen.kernel_row(row, t_begin, t_end, [&](std::uint64_t t, double w, std::uint32_t d) {
                ++count;
                f(t, w, d);
            });
            return count;
        }
        if (gen.slot_rows() && !values.drawn()) {
            // Slot rows with constant values: the row's targets into an array first (16 lanes), then
            // the calls, no per-synapse index mapping or ordinal.
            thread_local std::vector<std::uint32_t> buffer;
            std::uint32_t* targets = gen.slot_row_buffer(buffer, row);
            const std::uint32_t n = gen.slot_row_targets(row, t_begin, t_end, 0, targets);
            const double w = values.weight_constant();
            const std::uint32_t d = values.delay_constant();
            for (std::uint32_t i = 0; i < n; ++i) f(targets[i], w, d);
            return n;
        }
        gen.row(
            row, t_begin, t_end,
            [&](std::uint64_t t, std::uint32_t ordinal) {
                double w;
                std::uint32_t d;
                values(source, t, ordinal, w, d);
                ++count;
                f(t, w, d);
            },
            values.drawn());
        return count;
    }
    default:
        return table.for_each_synapse(row, f);
    }
}

// The one delay every synapse of the projection has, where it has one: a table without a delay field,
// or regenerated values whose delay is not drawn (not known for kernel rows: empty).
inline std::optional<std::uint32_t> constant_delay(const ProjectionStorage& storage, const PackedTable& table,
                                                   const ProjectionGenerator& gen) {
    if (storage.kind == StorageKind::packed || storage.kind == StorageKind::quantised) {
        if (table.widths().delay_mode == FieldMode::absent) return table.delay_constant();
        return std::nullopt;
    }
    if (gen.has_kernel() || gen.values().delay_drawn()) return std::nullopt;
    return gen.values().delay_constant();
}

// Calls f(target, delay_steps) for every synapse of a row, in for_each_synapse's order, without the
// stored or regenerated weight (plastic projections keep theirs aside): regenerated rows with a
// constant delay draw nothing.
template <class F>
inline void for_each_synapse_target(const ProjectionStorage& storage, const PackedTable& table,
                                    const ProjectionGenerator& gen, std::uint64_t row, std::uint64_t t_begin,
                                    std::uint64_t t_end, F&& f) {
    if (storage.kind == StorageKind::procedural && !gen.values().delay_drawn() && !gen.has_kernel()) {
        const std::uint32_t d = gen.values().delay_constant();
        gen.row(
            row, t_begin, t_end, [&](std::uint64_t t, std::uint32_t) { f(t, d); }, false);
        return;
    }
    for_each_synapse(
        storage, table, gen, row, t_begin,
        t_end, [&](std::uint64_t t, double, std::uint32_t d) __attribute__((always_inline)) { f(t, d); });
}

// for_each_synapse_target into arrays (targets minus `base`, delays) with room for the row's synapses +
// 16; returns how many. A packed or quantised table decodes through PackedTable::decode_targets (16
// entries per step where the build has AVX-512 VBMI).
inline std::uint32_t decode_synapse_targets(const ProjectionStorage& storage, const PackedTable& table,
                                            const ProjectionGenerator& gen, std::uint64_t row,
                                            std::uint64_t t_begin, std::uint64_t t_end, std::uint64_t base,
                                            std::uint32_t* targets, std::uint32_t* delays) {
    if (storage.kind == StorageKind::packed || storage.kind == StorageKind::quantised)
        return table.decode_targets(row, base, targets, delays);
    if (storage.kind == StorageKind::procedural && gen.slot_rows() && !gen.values().delay_drawn()) {
        const std::uint32_t n = gen.slot_row_targets(row, t_begin, t_end, base, targets);
        std::fill(delays, delays + n, gen.values().delay_constant());
        return n;
    }
    std::uint32_t k = 0;
    for_each_synapse_target(
        storage, table, gen, row, t_begin, t_end,
        [ targets, delays, base, &k ](std::uint64_t t, std::uint32_t d) __attribute__((always_inline)) {
            targets[k] = static_cast<std::uint32_t>(t - base);
            delays[k++] = d;
        });
    return k;
}

} // namespace nmsim
