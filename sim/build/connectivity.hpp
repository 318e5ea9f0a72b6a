// Connectivity generation: enumerates the synapses of one projection whose targets lie in a
// range, drawing every random number from streams keyed by (seed, projection, neuron id), so the
// same synapses come out for any partitioning or thread count and can be regenerated per pass.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <unordered_set>
#include <vector>

#include "sim/random/counter_rng.hpp"
#include "sim/spec/network_spec.hpp"

namespace nmsim {

// Draws one value; distribution draws are rounded to float32 (see ValueSpec).
double draw_value(const ValueSpec& v, RandomStream& rng);

// Delay in ms -> whole steps (nearest, at least 1).
std::uint32_t delay_to_steps(double delay_ms, double dt);

class ProjectionGenerator {
public:
    // Loads and checks a from_file edge list once (ConfigError naming file:line on bad rows).
    ProjectionGenerator(const NetworkSpec& spec, const ProjectionSpec& projection);

    // Calls emit(source_local, target_global, weight, delay_steps) for every synapse whose target
    // lies in [t_begin, t_end); each source row's targets arrive in non-decreasing order.
    template <class Emit> void generate(std::uint64_t t_begin, std::uint64_t t_end, Emit&& emit) const;

    // Source-driven rules (fixed_outdegree, from_file) enumerate sources, not targets: their synapses
    // from sources [s_begin, s_end) only, in ascending source order, targets in [t_begin, t_end).
    bool source_driven() const {
        return pr_.connector.rule == ConnectorRule::fixed_outdegree ||
               pr_.connector.rule == ConnectorRule::from_file;
    }
    template <class Emit>
    void generate_from_sources(std::uint64_t s_begin, std::uint64_t s_end, std::uint64_t t_begin,
                               std::uint64_t t_end, Emit&& emit) const;

    // Exact synapse count for deterministic rules, the expectation for pairwise_bernoulli.
    double expected_synapses() const;
    std::uint64_t source_size() const { return n_src_; }
    std::uint64_t target_size() const { return n_tgt_; } // over all target populations

private:
    struct Segment {
        std::uint64_t first, size, index_offset; // global first id, size, offset in the target index space
    };
    struct FileEdge {
        std::uint64_t source, target; // source local, target global
        double weight, delay_ms;
    };

    std::uint64_t target_index_to_global(std::uint64_t idx) const {
        for (const auto& s : segments_)
            if (idx < s.index_offset + s.size) return s.first + (idx - s.index_offset);
        return 0;
    }
    void draw_distinct(RandomStream& rng, std::uint64_t n, std::uint64_t k,
                       std::vector<std::uint64_t>& out) const;
    // The connector's degree of partners from [0, n): independent draws with multapses, distinct without.
    void draw_degree(RandomStream& rng, std::uint64_t n, std::vector<std::uint64_t>& picks) const {
        if (!pr_.connector.allow_multapses) return draw_distinct(rng, n, pr_.connector.degree, picks);
        picks.resize(pr_.connector.degree);
        for (auto& p : picks) p = rng.below(n);
    }

    template <class Emit>
    void emit_one(Emit& emit, std::uint64_t s, std::uint64_t t, RandomStream& wrng,
                  RandomStream& drng) const {
        const double w = weight_const_ ? pr_.weight.value : draw_value(pr_.weight, wrng);
        const std::uint32_t d =
            delay_const_ ? delay_steps_const_ : delay_to_steps(draw_value(pr_.delay, drng), dt_);
        emit(s, t, w, d);
    }

    const ProjectionSpec& pr_;
    std::uint64_t seed_;
    double dt_;
    std::uint64_t src_first_, n_src_, n_tgt_ = 0;
    std::vector<Segment> segments_; // target populations, ascending by global id
    bool weight_const_, delay_const_;
    std::uint32_t delay_steps_const_;
    std::vector<FileEdge> file_edges_; // from_file only, sorted by (source, target)
};

template <class Emit>
void ProjectionGenerator::generate(std::uint64_t t_begin, std::uint64_t t_end, Emit&& emit) const {
    const auto& c = pr_.connector;
    const std::uint32_t proj = pr_.index;
    std::vector<std::uint64_t> picks;
    // Target-driven rules: visit targets in ascending order, so every row grows in target order.
    auto for_targets = [&](auto&& per_target) {
        for (const auto& seg : segments_) {
            const std::uint64_t a = std::max(t_begin, seg.first), b = std::min(t_end, seg.first + seg.size);
            for (std::uint64_t t = a; t < b; ++t) {
                // The source's own local id when this target is in the source population.
                const bool same = seg.first == src_first_;
                const std::uint64_t self = same && !c.allow_autapses ? t - src_first_ : ~0ull;
                RandomStream wrng(seed_, RngPurpose::weight, proj, t),
                    drng(seed_, RngPurpose::delay, proj, t);
                per_target(t, self, wrng, drng);
            }
        }
    };
    switch (c.rule) {
    case ConnectorRule::fixed_indegree:
        for_targets([&](std::uint64_t t, std::uint64_t self, RandomStream& wrng, RandomStream& drng) {
            RandomStream rng(seed_, RngPurpose::connect, proj, t);
            const std::uint64_t n = n_src_ - (self != ~0ull ? 1 : 0);
            draw_degree(rng, n, picks);
            for (auto s : picks) emit_one(emit, s >= self ? s + 1 : s, t, wrng, drng);
        });
        break;
    case ConnectorRule::pairwise_bernoulli:
        for_targets([&](std::uint64_t t, std::uint64_t self, RandomStream& wrng, RandomStream& drng) {
            if (c.probability <= 0.0) return;
            if (c.probability >= 1.0) {
                for (std::uint64_t s = 0; s < n_src_; ++s)
                    if (s != self) emit_one(emit, s, t, wrng, drng);
                return;
            }
            // Geometric skipping: the gap to the next connected source is Geometric(p).
            RandomStream rng(seed_, RngPurpose::connect, proj, t);
            const double inv_log_q = 1.0 / std::log1p(-c.probability);
            for (std::uint64_t s = 0;; ++s) {
                // (0, 1] from one 32-bit draw: the smallest value still allows skips of 22 / p.
                const double u = (static_cast<double>(rng.next_u32()) + 1.0) * 0x1.0p-32;
                const double skip = std::floor(std::log(u) * inv_log_q);
                if (skip >= static_cast<double>(n_src_ - s)) break;
                s += static_cast<std::uint64_t>(skip);
                if (s != self) emit_one(emit, s, t, wrng, drng);
            }
        });
        break;
    case ConnectorRule::all_to_all:
        for_targets([&](std::uint64_t t, std::uint64_t self, RandomStream& wrng, RandomStream& drng) {
            for (std::uint64_t s = 0; s < n_src_; ++s)
                if (s != self) emit_one(emit, s, t, wrng, drng);
        });
        break;
    case ConnectorRule::one_to_one:
        for_targets([&](std::uint64_t t, std::uint64_t self, RandomStream& wrng, RandomStream& drng) {
            std::uint64_t s = t;
            for (const auto& seg : segments_)
                if (t >= seg.first && t < seg.first + seg.size) s = t - seg.first;
            if (s != self) emit_one(emit, s, t, wrng, drng);
        });
        break;
    case ConnectorRule::fixed_outdegree:
    case ConnectorRule::from_file:
        generate_from_sources(0, n_src_, t_begin, t_end, emit);
        break;
    }
}

template <class Emit>
void ProjectionGenerator::generate_from_sources(std::uint64_t s_begin, std::uint64_t s_end,
                                                std::uint64_t t_begin, std::uint64_t t_end,
                                                Emit&& emit) const {
    const auto& c = pr_.connector;
    const std::uint32_t proj = pr_.index;
    std::vector<std::uint64_t> picks;
    switch (c.rule) {
    case ConnectorRule::fixed_outdegree: {
        // Source-driven: each source draws its targets, sorted, and keeps those in range.
        const bool self_possible =
            !c.allow_autapses && std::any_of(segments_.begin(), segments_.end(),
                                             [&](const Segment& s) { return s.first == src_first_; });
        std::uint64_t self_offset = 0;
        for (const auto& seg : segments_)
            if (seg.first == src_first_) self_offset = seg.index_offset;
        for (std::uint64_t s = s_begin; s < std::min(s_end, n_src_); ++s) {
            const std::uint64_t g = src_first_ + s;
            RandomStream rng(seed_, RngPurpose::connect, proj, g);
            const std::uint64_t self = self_possible ? self_offset + s : ~0ull;
            const std::uint64_t n = n_tgt_ - (self != ~0ull ? 1 : 0);
            draw_degree(rng, n, picks);
            for (auto& p : picks) p = target_index_to_global(p >= self ? p + 1 : p);
            std::sort(picks.begin(), picks.end());
            RandomStream wrng(seed_, RngPurpose::weight, proj, g), drng(seed_, RngPurpose::delay, proj, g);
            for (auto t : picks) {
                // Draw for every synapse so values do not depend on the range asked for.
                const double w = weight_const_ ? pr_.weight.value : draw_value(pr_.weight, wrng);
                const std::uint32_t d =
                    delay_const_ ? delay_steps_const_ : delay_to_steps(draw_value(pr_.delay, drng), dt_);
                if (t >= t_begin && t < t_end) emit(s, t, w, d);
            }
        }
        break;
    }
    case ConnectorRule::from_file: {
        auto e = std::lower_bound(file_edges_.begin(), file_edges_.end(), s_begin,
                                  [](const FileEdge& x, std::uint64_t s) { return x.source < s; });
        for (; e != file_edges_.end() && e->source < s_end; ++e)
            if (e->target >= t_begin && e->target < t_end)
                emit(e->source, e->target, e->weight, delay_to_steps(e->delay_ms, dt_));
        break;
    }
    default:
        break;
    }
}

} // namespace nmsim
