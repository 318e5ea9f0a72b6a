#include "sim/build/storage.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace nmsim {

const char* to_string(StorageKind k) {
    switch (k) {
    case StorageKind::automatic:
        return "auto";
    case StorageKind::packed:
        return "packed";
    case StorageKind::procedural_weights:
        return "procedural_weights";
    case StorageKind::procedural:
        return "procedural";
    default:
        return "quantised";
    }
}

namespace {

// Delivery cost per synaptic event relative to decoding a packed entry, measured with
// build/nmsim_microbench (docs/storage.md): regenerating one drawn value (a Philox block plus an
// inverse CDF) and regenerating the row's connectivity itself.
constexpr double value_cost = 3.0;
constexpr double row_cost = 2.0;
// fixed_indegree's slot rows, per partition the target groups it reaches (Brunel, session 17, whole runs
// against the table: 1.09-1.16 vs 0.70-0.78 s on 2 threads, 1.41-1.63 vs 1.15-1.16 s on 1; 2.03 vs 0.43 s
// before target groups and ids mapped in registers). Of the run about half is delivery, so its cost is
// 2.1-2.6x the table's: +1.5, above the default budget (Brunel keeps its tables unless memory is short).
constexpr double slot_row_cost = 1.5;

bool values_drawn(const ProjectionSpec& pr) {
    return pr.connector.rule != ConnectorRule::from_file &&
           (!pr.weight.is_constant() || !pr.delay.is_constant());
}

// Whether auto may regenerate the projection's rows. A distance row is regenerated pair by pair over
// every target: never worth it automatically (a configured `procedural` still does it).
bool auto_regenerates(const ProjectionSpec& pr, const ProjectionGenerator& gen) {
    return gen.rows_regenerable() && pr.connector.rule != ConnectorRule::distance_dependent;
}

// The exact rungs a projection can take, from most to least memory.
std::vector<StorageKind> exact_rungs(const ProjectionSpec& pr, const ProjectionGenerator& gen) {
    std::vector<StorageKind> rungs = {StorageKind::packed};
    if (values_drawn(pr)) rungs.push_back(StorageKind::procedural_weights);
    if (auto_regenerates(pr, gen)) rungs.push_back(StorageKind::procedural);
    return rungs;
}

// A plastic run over regenerated rows relative to one over a packed table of the same connectivity:
// Brunel with plastic fixed_outdegree E->E, 1 s, 2 threads, 3.34 vs 1.85-1.93 s; with fixed_indegree's
// slot rows 1.41-1.90 vs 1.26-1.82 s in the same minutes (session 17; docs/plasticity.md). The
// catch-up's own work, the same in both, dilutes the row's regeneration.
double plastic_row_cost(const ProjectionGenerator& gen) {
    if (gen.has_kernel()) return 1.0;
    return gen.slot_rows() ? 1.1 : 1.8;
}

} // namespace

StorageCost predict_storage_cost(const NetworkSpec&, const ProjectionGenerator& gen, StorageKind kind,
                                 int partitions) {
    const ProjectionSpec& pr = gen.projection();
    StorageCost c;
    const double drawn_fields =
        (gen.values().weight_drawn() ? 1.0 : 0.0) + (gen.values().delay_drawn() ? 1.0 : 0.0);
    const double syn = gen.expected_synapses(), src = static_cast<double>(gen.source_size());
    if (kind == StorageKind::procedural && gen.has_kernel()) {
        c.delivery = 1.0; // a shared kernel is read like a table row, no random numbers
        c.table_bytes = static_cast<double>(gen.row_state_bytes());
        return c;
    }
    if (kind == StorageKind::procedural) {
        c.delivery = 1.0 + (gen.slot_rows() ? slot_row_cost : row_cost) + value_cost * drawn_fields;
        // fixed_total_number keeps its per-source row lengths, slot rows their starts and guide
        c.table_bytes = static_cast<double>(gen.row_state_bytes());
        return c;
    }
    if (kind == StorageKind::procedural_weights) c.delivery = 1.0 + value_cost * drawn_fields;
    // Gap width from the mean gap m of a row within one partition: random rows have about geometric
    // gaps, and the builder takes the narrowest width escaping at most 1 entry in 64, which is where
    // 2^bits - 1 reaches m ln 64.
    const double span = static_cast<double>(gen.target_size()) / partitions;
    const double row_len = std::max(1.0, syn / partitions / std::max(1.0, src));
    const double mean_gap = std::max(1.0, span / row_len);
    double bits = std::ceil(std::log2(mean_gap * std::log(64.0) + 1.0));
    if (kind != StorageKind::procedural_weights) {
        if (!pr.weight.is_constant()) bits += kind == StorageKind::quantised ? pr.storage.bits : 32.0;
        if (!pr.delay.is_constant()) bits += std::ceil(std::log2(gen.values().max_delay_steps() + 1.0));
    }
    // Rows start on a word: a partition's row of L ~ Poisson(row_len) entries takes ceil(L bits / 64)
    // words, which for sparse rows (PD14: 0.3 synapses per partition row) is mostly rounding.
    const double lambda = syn / partitions / std::max(1.0, src);
    double words = lambda * bits / 64.0 + 0.5;
    if (lambda < 500.0) {
        words = 0.0;
        double p = std::exp(-lambda);
        const double kmax = lambda + 12.0 * std::sqrt(lambda) + 12.0;
        for (double k = 0; k <= kmax; ++k) {
            words += p * std::ceil(k * bits / 64.0);
            p *= lambda / (k + 1.0);
        }
    }
    c.table_bytes = partitions * src * (words * 8.0 + 12.0); // + row index (word offset, entry count)
    return c;
}

std::vector<ProjectionStorage> resolve_storage(const NetworkSpec& spec,
                                               const std::vector<ProjectionGenerator>& generators,
                                               int partitions, bool chip_run, std::uint64_t memory_limit,
                                               std::uint64_t fixed_bytes) {
    std::vector<ProjectionStorage> out(spec.projections.size());
    std::vector<double> bytes(out.size());
    const double budget = spec.simulation.storage_budget;
    for (std::size_t j = 0; j < out.size(); ++j) {
        const ProjectionSpec& pr = spec.projections[j];
        const ProjectionGenerator& gen = generators[j];
        ProjectionStorage& st = out[j];
        if (pr.plasticity.enabled && !chip_run) {
            // Learned weights live in their own array of levels, so the rungs differ only in where the
            // connectivity comes from: a table (drawn initial values regenerated, not stored beside the
            // levels) or regenerated rows, which auto takes within the delivery budget (by default).
            const StorageKind table =
                values_drawn(pr) ? StorageKind::procedural_weights : StorageKind::packed;
            const bool rows = (pr.storage.kind == StorageKind::procedural && gen.rows_regenerable()) ||
                              (pr.storage.kind == StorageKind::automatic && auto_regenerates(pr, gen) &&
                               plastic_row_cost(gen) <= budget);
            st.kind = rows ? StorageKind::procedural : table;
            st.reason = fmt::format("plastic{}: weights learned in their own {}-bit levels, connectivity {}",
                                    pr.storage.kind == StorageKind::automatic ? " (auto)" : "",
                                    pr.plasticity.weight_bits, rows ? "regenerated" : "in a packed table");
            if (pr.storage.kind == StorageKind::quantised)
                st.reason += " (quantised applies to static weights)";
            else if (pr.storage.kind == StorageKind::procedural && !rows)
                st.reason += " (this rule's rows cannot be regenerated)";
        } else if (chip_run) {
            st.reason = "chip run: values stored as the chip rounds them";
        } else if (pr.storage.kind == StorageKind::automatic) {
            // The least memory among exact rungs within the delivery budget.
            for (const StorageKind k : exact_rungs(pr, gen)) {
                const StorageCost c = predict_storage_cost(spec, gen, k, partitions);
                if (c.delivery <= budget) st.kind = k;
            }
            const StorageKind next = [&] {
                const auto r = exact_rungs(pr, gen);
                const auto it = std::find(r.begin(), r.end(), st.kind);
                return it + 1 != r.end() ? *(it + 1) : st.kind;
            }();
            st.reason =
                next == st.kind
                    ? "auto: the leanest exact rung"
                    : fmt::format("auto: {} would cost {:.1f}x delivery (budget {:.1f}x)", to_string(next),
                                  predict_storage_cost(spec, gen, next, partitions).delivery, budget);
        } else if (pr.storage.kind == StorageKind::procedural_weights && !values_drawn(pr)) {
            st.reason = "configured procedural_weights, but no value is drawn: the same as packed";
        } else if (pr.storage.kind == StorageKind::procedural && !gen.rows_regenerable()) {
            // The loader refuses the rules that never regenerate; this is a fixed_indegree past the
            // slot rows' 2^48 slots.
            st.kind = StorageKind::procedural_weights;
            st.reason = "configured procedural, but these rows cannot be regenerated";
        } else {
            st.kind = pr.storage.kind;
            st.reason = "configured";
        }
        if (st.kind == StorageKind::quantised) {
            st.bits = pr.storage.bits;
            const auto [lo, hi] = gen.weight_range();
            st.grid_low = lo;
            st.grid_step = hi > lo ? (hi - lo) / static_cast<double>((1u << st.bits) - 1) : 0.0;
        }
        bytes[j] = predict_storage_cost(spec, gen, st.kind, partitions).table_bytes;
    }
    if (memory_limit == 0 || chip_run) return out;
    // Short of memory: step automatic projections down the ladder, the largest table first.
    for (;;) {
        double total = static_cast<double>(fixed_bytes);
        for (double b : bytes) total += b;
        if (total <= static_cast<double>(memory_limit)) break;
        std::size_t best = out.size();
        for (std::size_t j = 0; j < out.size(); ++j) {
            if (spec.projections[j].storage.kind != StorageKind::automatic) continue;
            const auto r = exact_rungs(spec.projections[j], generators[j]);
            if (r.back() != out[j].kind && (best == out.size() || bytes[j] > bytes[best])) best = j;
        }
        if (best == out.size()) break; // nothing left to shed; the memory guard will refuse
        const auto r = exact_rungs(spec.projections[best], generators[best]);
        out[best].kind = *(std::find(r.begin(), r.end(), out[best].kind) + 1);
        out[best].reason = "auto: stepped down to fit the memory limit";
        bytes[best] = predict_storage_cost(spec, generators[best], out[best].kind, partitions).table_bytes;
    }
    return out;
}

} // namespace nmsim
