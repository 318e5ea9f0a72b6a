// Connectivity generation: enumerates the synapses of one projection, drawing every random number
// from streams keyed by (seed, projection, neuron ids), so the same synapses come out for any
// partitioning or thread count and can be regenerated at will: per pass of the builder, or per
// spike at delivery for procedural storage.
//
// Two families of rules:
// - target-driven (fixed_indegree, all_to_all, one_to_one): each target draws its sources, except
//   that fixed_indegree with multapses (and autapses, where the source is among the targets), as in
//   NEST's defaults, is laid out as "slot rows" so its rows can be regenerated too: the K slots of
//   every target are numbered q = target_index * K + k, M of them; a keyed permutation pi of a
//   domain [0, P), P >= M (SlotPermutation) and a split of the P positions over the sources
//   (multinomial, by a binomial tree keyed per node) give source s the positions [start_s,
//   start_s+1), and its row is { pi(r) / K : r in its positions, pi(r) < M }. Target t's sources are
//   the owners of pi^-1(tK + k). Each slot's source is then uniform and independent of the others',
//   which is fixed_indegree with multapses exactly (dropping the P - M unused positions samples an urn
//   of i.i.d. colours without replacement). The targets are cut into up to 16 groups, each laid out
//   so on its own (its permutation, its split of positions over the sources), so that a partition
//   evaluates only the groups its targets fall in: each slot still has a uniform, independent source.
//   Rows come out in group then position order, not target order (the table builder sorts them); a
//   pair's multapses, alike but for their values, take the ordinals 0, 1, ... in whatever order each
//   enumeration meets them;
// - source-driven rows (fixed_outdegree, fixed_total_number, pairwise_bernoulli): each source row is
//   laid out over blocks of 1024 targets. A row's synapse count is split over the blocks by a binary
//   tree of binomial (with multapses) or hypergeometric (without) draws, each node keyed by
//   (projection, source, node); a block's targets come from a stream keyed by (projection, source,
//   block). So the part of a row inside any target range is generated at the cost of that part,
//   whoever asks: a thread's partition, the footprint mapper's target block, or a spike at delivery.
// Weights and delays are drawn per synapse from a stream keyed by (projection, source, target,
// ordinal), the ordinal counting earlier synapses of the same pair (multapses), so stored and
// regenerated values agree bit for bit.
#pragma once
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "sim/build/conv_connector.hpp"
#include "sim/build/distance_rule.hpp"
#include "sim/random/counter_rng.hpp"
#include "sim/random/distributions.hpp"
#include "sim/random/slot_permutation.hpp"
#include "sim/spec/network_spec.hpp"

namespace nmsim {

// Draws one value (initial states); distribution draws are rounded to float32 (see ValueSpec).
double draw_value(const ValueSampler& v, RandomStream& rng);

// Delay in ms -> whole steps: nearest, halves up, at least 1 (floor, not llround: inlined on the
// build's hot path).
inline std::uint32_t delay_to_steps(double delay_ms, double dt) {
    const double steps = std::floor(delay_ms / dt + 0.5);
    return steps < 1.0 ? 1u : static_cast<std::uint32_t>(steps);
}

// Lava's Dense (bit-accurate) weight handling for projections into loihi_lif
// (lava/utils/weightutils.py): the sign mode follows the weights (all >= 0 excitatory, all <= 0
// inhibitory, else mixed); weights become int32 (toward zero), are clipped to 8 bits (mixed [-256, 255],
// else magnitudes [0, 255]) and lose their 8 - num_weight_bits (+ 1 if mixed) lowest bits (arithmetic
// shift, on magnitudes for inhibitory matrices).
struct DenseWeightClip {
    bool on = false, inhibitory = false;
    std::int64_t lo = 0, hi = 255;
    int drop = 0;
    DenseWeightClip() = default;
    DenseWeightClip(double lowest, double highest, int num_weight_bits) : on(true) {
        const bool mixed = lowest < 0.0 && highest > 0.0;
        inhibitory = !mixed && lowest < 0.0;
        lo = mixed ? -256 : 0;
        drop = 8 - num_weight_bits + (mixed ? 1 : 0);
    }
    double operator()(double w) const {
        auto x = static_cast<std::int64_t>(w); // numpy astype(int32): toward zero
        if (inhibitory) x = -x;
        x = std::clamp(x, lo, hi);
        x = (x >> drop) * (std::int64_t{1} << drop); // >> then <<: floor to the kept bits
        return static_cast<double>(inhibitory ? -x : x);
    }
};

// The weight and delay of every synapse of one projection, as a pure function of its ids.
class SynapseValues {
public:
    SynapseValues(const NetworkSpec& spec, const ProjectionSpec& projection);

    bool weight_drawn() const { return weight_drawn_; }
    bool delay_drawn() const { return delay_drawn_; }
    bool drawn() const { return weight_drawn_ || delay_drawn_; }
    double weight_constant() const { return weight_constant_; }
    std::uint32_t delay_constant() const { return delay_constant_; }
    // The range of delays (steps) the draws can reach; constants give one value.
    std::uint32_t min_delay_steps() const { return min_delay_; }
    std::uint32_t max_delay_steps() const { return max_delay_; }
    // The range of weights the draws can reach.
    double lowest_weight() const {
        return weight_drawn_ ? clip(float_of(weight_.lowest())) : weight_constant_;
    }
    double highest_weight() const {
        return weight_drawn_ ? clip(float_of(weight_.highest())) : weight_constant_;
    }
    // Projections into loihi_lif: every weight as Lava's Dense holds it, from here on.
    void clip_as_lava_dense(double lowest, double highest, int num_weight_bits) {
        dense_ = DenseWeightClip(lowest, highest, num_weight_bits);
        weight_constant_ = dense_(weight_constant_);
    }
    double clip(double w) const { return dense_.on ? dense_(w) : w; }

    // Synapse (source, target, ordinal), global ids; weights are float32 values when drawn.
    void operator()(std::uint64_t source, std::uint64_t target, std::uint32_t ordinal, double& weight,
                    std::uint32_t& delay_steps) const {
        if (!drawn()) {
            weight = weight_constant_;
            delay_steps = delay_constant_;
            return;
        }
        Philox::key_type key = {{static_cast<std::uint32_t>(seed_), static_cast<std::uint32_t>(seed_ >> 32)}};
        Philox::ctr_type ctr = {
            {static_cast<std::uint32_t>(source), static_cast<std::uint32_t>(target), ordinal, tag_}};
        const auto r = Philox()(ctr, key);
        weight = weight_drawn_ ? clip(float_of(weight_(RandomStream::open_uniform_from(r[0], r[1]))))
                               : weight_constant_;
        delay_steps = delay_drawn_ ? drawn_delay(RandomStream::cell_from(r[2], r[3])) : delay_constant_;
    }

    // operator() for n <= batch synapses of one source at once: the Philox blocks and the inverse
    // CDFs as vectorised loops. Bitwise the same values (a unit test checks).
    static constexpr int batch = 16;
    void draw_batch(std::uint64_t source, int n, const std::uint64_t* targets, const std::uint32_t* ordinals,
                    double* weight, std::uint32_t* delay_steps) const;

    // A drawn delay in steps from its uniform's cell: delay_to_steps(float32(F^-1(u))), a step
    // function of the cell, read from the cells where it steps up (found once, by bisection) instead
    // of a quantile per synapse (delays were a sixth of PD14's build). Same values.
    std::uint32_t drawn_delay(std::uint64_t cell) const {
        if (delay_guide_.empty()) return delay_at_cell(cell);
        std::uint32_t k = delay_guide_[cell >> delay_guide_shift];
        while (k < delay_change_.size() && cell >= delay_change_[k]) ++k;
        return min_delay_ + k;
    }
    std::uint32_t delay_at_cell(std::uint64_t cell) const {
        return delay_to_steps(float_of(delay_(RandomStream::open_uniform_of_cell(cell))), dt_);
    }

private:
    static double float_of(double x) { return static_cast<double>(static_cast<float>(x)); }
    void tabulate_delays();

    std::uint64_t seed_;
    std::uint32_t tag_;
    double dt_;
    bool weight_drawn_, delay_drawn_;
    ValueSampler weight_, delay_;
    double weight_constant_;
    std::uint32_t delay_constant_, min_delay_, max_delay_;
    // drawn_delay: delay_change_[k] is the first cell with delay > min_delay_ + k; delay_guide_ holds,
    // per 2^42 cells, how many changes lie at or below its first cell.
    static constexpr unsigned delay_guide_shift = 42;
    std::vector<std::uint64_t> delay_change_;
    std::vector<std::uint32_t> delay_guide_;
    DenseWeightClip dense_;
};

class ProjectionGenerator {
public:
    // Loads and checks a from_file edge list once (ConfigError naming file:line on bad rows).
    ProjectionGenerator(const NetworkSpec& spec, const ProjectionSpec& projection);

    // Calls emit(source_local, target_global, weight, delay_steps) for every synapse whose target
    // lies in [t_begin, t_end); each source row's targets arrive in non-decreasing order.
    template <class Emit> void generate(std::uint64_t t_begin, std::uint64_t t_end, Emit&& emit) const;

    // Source-driven rules (fixed_outdegree, fixed_total_number, pairwise_bernoulli, from_file) enumerate
    // sources, not targets: their synapses from sources [s_begin, s_end), in ascending source order,
    // targets in [t_begin, t_end).
    bool source_driven() const {
        const auto r = pr_.connector.rule;
        return r == ConnectorRule::fixed_outdegree || r == ConnectorRule::fixed_total_number ||
               r == ConnectorRule::pairwise_bernoulli || r == ConnectorRule::from_file ||
               r == ConnectorRule::distance_dependent || r == ConnectorRule::conv;
    }
    template <class Emit>
    void generate_from_sources(std::uint64_t s_begin, std::uint64_t s_end, std::uint64_t t_begin,
                               std::uint64_t t_end, Emit&& emit) const;

    // Connectivity only, emit(source_local, target_global, ordinal), in the order generate() emits;
    // ordinals are computed only when asked (values drawn per synapse need them).
    template <class Emit>
    void connect(std::uint64_t t_begin, std::uint64_t t_end, bool ordinals, Emit&& emit) const;
    template <class Emit>
    void connect_from_sources(std::uint64_t s_begin, std::uint64_t s_end, std::uint64_t t_begin,
                              std::uint64_t t_end, Emit&& emit) const;

    // Rules whose rows can be regenerated from the source alone (procedural storage): all but
    // from_file and a fixed_indegree whose targets draw distinct sources or avoid themselves.
    bool rows_regenerable() const {
        const auto r = pr_.connector.rule;
        return r != ConnectorRule::from_file && (r != ConnectorRule::fixed_indegree || slot_rows());
    }
    // fixed_indegree laid out as slot rows (see the top of this file).
    bool slot_rows() const { return !slot_groups_.empty(); }
    // The connectivity of one row: f(target_global, ordinal) for each synapse of source `s` (local)
    // with target in [t_begin, t_end), targets ascending (slot rows: in group, then position order), a pair's
    // multapses adjacent in the tables and in ordinal order everywhere. ordinals = false: slot rows
    // pass 0 instead of counting (callers that draw no values per synapse).
    template <class F>
    void row(std::uint64_t s, std::uint64_t t_begin, std::uint64_t t_end, F&& f, bool ordinals = true) const;
    // Slot rows: row()'s targets minus `base` straight into out (room for the row's synapses in
    // [t_begin, t_end) + 16); returns how many.
    std::uint32_t slot_row_targets(std::uint64_t s, std::uint64_t t_begin, std::uint64_t t_end,
                                   std::uint64_t base, std::uint32_t* out) const;
    // The table builder enumerates rows (source-driven rules, and fixed_indegree's slot rows, which it
    // sorts: cheaper than finding each slot's owner, one random access per synapse) instead of targets.
    bool builds_by_sources() const { return source_driven() || slot_rows(); }
    // Slot rows: the positions of source s, a bound on its synapses in any target range.
    std::uint64_t slot_row_positions(std::uint64_t s) const {
        std::uint64_t n = 0;
        for (std::size_t g = 0; g < slot_groups_.size(); ++g)
            n += slot_start_[g * slot_stride_ + s + 1] - slot_start_[g * slot_stride_ + s];
        return n;
    }
    // Slot rows: `buffer` grown to hold any part of source s's row (+ 16 for the compress's whole-vector
    // stores); its data. The positions are summed over the groups once per call.
    std::uint32_t* slot_row_buffer(std::vector<std::uint32_t>& buffer, std::uint64_t s) const {
        const std::uint64_t room = slot_row_positions(s) + 16;
        if (buffer.size() < room) buffer.resize(room);
        return buffer.data();
    }
    // conv: f(target_global, weight, delay_steps) for the synapses of source `s` (local) with target in
    // [t_begin, t_end), targets ascending, the weights the shared kernel's.
    bool has_kernel() const { return pr_.connector.rule == ConnectorRule::conv; }
    template <class F>
    void kernel_row(std::uint64_t s, std::uint64_t t_begin, std::uint64_t t_end, F&& f) const {
        const std::uint64_t ia = index_lower_bound(t_begin), ib = index_lower_bound(t_end);
        const std::uint32_t d = values_.delay_constant();
        pr_.connector.conv->row(s, [&](std::uint64_t idx, double w) {
            if (idx >= ia && idx < ib) f(index_to_global(idx), values_.clip(w), d);
        });
    }

    const SynapseValues& values() const { return values_; }
    const ProjectionSpec& projection() const { return pr_; }
    // Bytes of per-source state that row regeneration reads (fixed_total_number's row lengths, slot
    // rows' starts and guide). conv: the shared kernel.
    std::uint64_t row_state_bytes() const {
        return row_counts_.size() * sizeof(std::uint64_t) + slot_start_.size() * sizeof(std::uint64_t) +
               slot_guide_.size() * sizeof(std::uint32_t) +
               (has_kernel() ? pr_.connector.conv->kernel_bytes() : 0);
    }
    // Lowest and highest weight the projection can hold (the edge list's, or the draws' reachable range).
    std::pair<double, double> weight_range() const;
    // Exact synapse count for deterministic rules, the expectation for pairwise_bernoulli.
    double expected_synapses() const;
    std::uint64_t source_size() const { return n_src_; }
    std::uint64_t source_first() const { return src_first_; }
    std::uint64_t target_size() const { return n_tgt_; } // over all target populations
    // The targets of this projection within global ids [begin, end): [first, last + 1), empty if none;
    // tables count gaps from `first`, not from the partition's start.
    std::pair<std::uint64_t, std::uint64_t> targets_within(std::uint64_t begin, std::uint64_t end) const {
        const std::uint64_t a = index_lower_bound(begin), b = index_lower_bound(end);
        if (a >= b) return {begin, begin};
        return {index_to_global(a), index_to_global(b - 1) + 1};
    }

private:
    struct Segment {
        std::uint64_t first, size, index_offset; // global first id, size, offset in the target index space
    };
    struct FileEdge {
        std::uint64_t source, target; // source local, target global
        double weight;
        std::uint32_t delay_steps;
        std::uint32_t ordinal; // earlier edges of the same pair
    };

    static constexpr unsigned block_shift = 10; // 1024 targets per block of a source-driven row
    static constexpr std::uint64_t block_size = std::uint64_t{1} << block_shift;

    // Target index space: the target populations by ascending global id, so index order is id order.
    std::uint64_t index_to_global(std::uint64_t idx) const {
        for (const auto& s : segments_)
            if (idx < s.index_offset + s.size) return s.first + (idx - s.index_offset);
        return 0;
    }
    // First index whose global id is >= g.
    std::uint64_t index_lower_bound(std::uint64_t g) const {
        for (const auto& s : segments_) {
            if (g < s.first) return s.index_offset;
            if (g < s.first + s.size) return s.index_offset + (g - s.first);
        }
        return n_tgt_;
    }
    // The index of source s among the targets when autapses are excluded, else ~0.
    std::uint64_t self_index(std::uint64_t s) const {
        return self_offset_ == ~0ull ? ~0ull : self_offset_ + s;
    }
    std::uint64_t block_end(std::uint64_t b) const { return std::min(n_tgt_, (b + 1) << block_shift); }
    // Targets available to source s in blocks [b_lo, b_hi).
    std::uint64_t available(std::uint64_t s, std::uint64_t b_lo, std::uint64_t b_hi) const {
        const std::uint64_t lo = b_lo << block_shift, hi = block_end(b_hi - 1), self = self_index(s);
        return hi - lo - (self >= lo && self < hi ? 1 : 0);
    }
    void draw_distinct(RandomStream& rng, std::uint64_t n, std::uint64_t k,
                       std::vector<std::uint64_t>& out) const;
    // The connector's degree of partners from [0, n): independent draws with multapses, distinct without.
    void draw_degree(RandomStream& rng, std::uint64_t n, std::vector<std::uint64_t>& picks) const {
        if (!pr_.connector.allow_multapses) return draw_distinct(rng, n, pr_.connector.degree, picks);
        picks.resize(pr_.connector.degree);
        for (auto& p : picks) p = rng.below(n);
    }
    // Splits `total` over the sources (multinomial, or multivariate hypergeometric without multapses),
    // each tree node's draw keyed by (purpose, node).
    std::vector<std::uint64_t> split_over_sources(std::uint64_t total, RngPurpose purpose,
                                                  std::uint64_t salt = 0) const;
    void lay_out_slots();
    // Target index -> target minus a base: per target segment a shift (indices ascend with the targets'
    // ids), selected by compares in registers as the indices come out. A second pass mapping each index
    // through index_to_global's segment walk took 29 % of a procedural Brunel run (perf; its branches
    // mispredict where a row targets E and I). count 0 (more segments than kept here): indices
    // unchanged, mapped afterwards by to_targets.
    struct IndexShift {
        std::array<std::uint32_t, 4> from{}, add{};
        int count = 0;
        std::uint32_t apply(std::uint32_t idx) const {
            std::uint32_t a = 0;
            for (int k = 0; k < count; ++k) a = idx >= from[k] ? add[k] : a;
            return idx + a;
        }
#if defined(__AVX512F__)
        __m512i apply16(__m512i idx) const {
            if (count == 0) return idx;
            __m512i a = _mm512_set1_epi32(static_cast<int>(add[0]));
            for (int k = 1; k < count; ++k)
                a = _mm512_mask_mov_epi32(
                    a, _mm512_cmpge_epu32_mask(idx, _mm512_set1_epi32(static_cast<int>(from[k]))),
                    _mm512_set1_epi32(static_cast<int>(add[k])));
            return _mm512_add_epi32(idx, a);
        }
#endif
    };
    IndexShift index_shift(std::uint64_t base) const;
    void to_targets(const IndexShift& shift, std::uint64_t base, std::uint32_t* out, std::uint32_t n) const;
    // Slot rows: the source whose positions in group g hold r, from a guess at or before it (the
    // guide's): the starts after the guess that are <= r, counted 8 at a time (each group's starts end
    // in 8 sentinels); a branch per step of the walk mispredicted on its varying length (perf, build).
    std::uint64_t slot_owner_from(std::size_t g, std::uint64_t s, std::uint64_t r) const {
        const std::uint64_t* start = slot_start_.data() + g * slot_stride_;
#if defined(__AVX512F__)
        const __m512i vr = _mm512_set1_epi64(static_cast<long long>(r));
        for (;;) {
            const __mmask8 le = _mm512_cmple_epu64_mask(_mm512_loadu_si512(start + s + 1), vr);
            s += static_cast<std::uint64_t>(std::popcount(static_cast<unsigned>(le)));
            if (le != 0xFF) return s;
        }
#else
        while (start[s + 1] <= r) ++s;
        return s;
#endif
    }
    std::uint32_t slot_guess(std::size_t g, std::uint64_t r) const {
        return slot_guide_[g * guide_stride_ + (r >> guide_shift_)];
    }
    template <class F>
    void slot_row(std::uint64_t s, std::uint64_t ia, std::uint64_t ib, bool ordinals, F& f) const;
    // row(), but a slot row in target order (a pair's multapses in ordinal order), as tables store it.
    template <class F>
    void ascending_row(std::uint64_t s, std::uint64_t t_begin, std::uint64_t t_end, F&& f) const;
    // Slot rows: the target indices of a group's positions [r, r + n) that are slots (< its M) with
    // group-local index in [ia, ib), shifted, in position order, into out (room for n + 16); returns
    // how many.
    struct SlotGroup;
    std::uint32_t slot_targets(const SlotGroup& group, std::uint64_t r, std::uint32_t n, std::uint64_t ia,
                               std::uint64_t ib, const IndexShift& shift, std::uint32_t* out) const;
    // Slot rows: slot_targets over all of source s's positions (out: room for them + 16).
    std::uint32_t slot_row_indices(std::uint64_t s, std::uint64_t ia, std::uint64_t ib, std::uint32_t* out,
                                   const IndexShift& shift) const;
    // Slot rows: the positions of target index idx's K slots and their owners (the sources), in slot
    // order.
    void slot_sources(std::uint64_t idx, std::uint64_t* positions, std::uint64_t* owners) const;
    // from_file: f(edge) for the edges from sources [s_begin, s_end) to targets [t_begin, t_end).
    template <class F>
    void file_edges_in(std::uint64_t s_begin, std::uint64_t s_end, std::uint64_t t_begin, std::uint64_t t_end,
                       F&& f) const {
        auto e = std::lower_bound(file_edges_.begin(), file_edges_.end(), s_begin,
                                  [](const FileEdge& x, std::uint64_t s) { return x.source < s; });
        for (; e != file_edges_.end() && e->source < s_end; ++e)
            if (e->target >= t_begin && e->target < t_end) f(*e);
    }
    std::uint64_t row_count(std::uint64_t s) const {
        return pr_.connector.rule == ConnectorRule::fixed_total_number ? row_counts_[s]
                                                                       : pr_.connector.degree;
    }
    // Splits `n` synapses of row s over blocks [b_lo, b_hi) (tree node `node`), visiting only
    // blocks that overlap [qa, qb); calls block(b, count) in ascending block order.
    template <class Block>
    void split_row(std::uint64_t s, std::uint64_t node, std::uint64_t b_lo, std::uint64_t b_hi,
                   std::uint64_t n, std::uint64_t qa, std::uint64_t qb, Block& block) const;
    // The `count` targets of row s inside block b (uniform over the block, distinct without multapses),
    // ascending, f(index, ordinal) for those with index in [ia, ib).
    template <class F>
    void block_targets(std::uint64_t s, std::uint64_t b, std::uint64_t count, std::uint64_t ia,
                       std::uint64_t ib, F& f) const;
    template <class F>
    void bernoulli_block(std::uint64_t s, std::uint64_t b, std::uint64_t ia, std::uint64_t ib, F& f) const;
    // distance_dependent: each pair of row s with index in [ia, ib) by its own keyed uniform.
    template <class F> void distance_row(std::uint64_t s, std::uint64_t ia, std::uint64_t ib, F& f) const;
    double distance_expectation() const;

    const ProjectionSpec& pr_;
    std::uint64_t seed_;
    double dt_;
    std::uint64_t src_first_, n_src_, n_tgt_ = 0;
    std::uint64_t self_offset_ =
        ~0ull;                      // index of the source population's first neuron, if autapses are excluded
    bool self_target_ = false;      // the source population is among the targets
    std::vector<Segment> segments_; // target populations, ascending by global id
    void clip_as_lava_dense(const NetworkSpec& spec);

    SynapseValues values_;
    std::vector<std::uint64_t> row_counts_; // fixed_total_number: synapses per source
    // slot rows (see the top of this file), in target groups: per group its targets (an index range),
    // its permutation and whether it takes the 16-lane path (a domain up to 2^32, M + K <= 2^32); per
    // group and source the first position of the source's part (n_src_ + 1 starts, then 8 sentinels:
    // slot_stride_ entries per group) and, per 2^guide_shift_ positions of a group, the owner of the
    // first (guide_stride_ entries per group).
    struct SlotGroup {
        std::uint64_t first = 0, size = 0;
        SlotPermutation perm;
        bool fit32 = false;
    };
    std::vector<SlotGroup> slot_groups_;
    std::uint64_t slot_group_size_ = 0, slot_stride_ = 0, guide_stride_ = 0;
    std::vector<std::uint64_t> slot_start_;
    std::vector<std::uint32_t> slot_guide_;
    unsigned guide_shift_ = 0;
    std::vector<FileEdge> file_edges_; // from_file only, sorted by (source, target)
    // distance_dependent: p(d), the geometry, positions (x, y, z) of sources and of targets by index
    DistanceProbability distance_p_;
    DistanceGeometry geometry_;
    std::vector<double> src_pos_, tgt_pos_;
    std::uint64_t conv_synapses_ = 0; // conv: non-zero synapses
};

template <class Block>
void ProjectionGenerator::split_row(std::uint64_t s, std::uint64_t node, std::uint64_t b_lo,
                                    std::uint64_t b_hi, std::uint64_t n, std::uint64_t qa, std::uint64_t qb,
                                    Block& block) const {
    if (n == 0 || b_hi <= qa || b_lo >= qb) return;
    if (b_hi - b_lo == 1) return block(b_lo, n);
    const std::uint64_t mid = b_lo + (b_hi - b_lo) / 2;
    const std::uint64_t left = available(s, b_lo, mid), all = available(s, b_lo, b_hi);
    // One uniform per tree node, keyed by (source, node): node ids are < 2^23 (blocks < 2^22).
    RandomStream rng(seed_, RngPurpose::connect_tree, pr_.index, ((src_first_ + s) << 23) | node);
    const double u = rng.uniform();
    const std::uint64_t n_left =
        pr_.connector.allow_multapses
            ? sample_binomial(n, static_cast<double>(left) / static_cast<double>(all), u)
            : sample_hypergeometric(n, left, all, u);
    split_row(s, 2 * node, b_lo, mid, n_left, qa, qb, block);
    split_row(s, 2 * node + 1, mid, b_hi, n - n_left, qa, qb, block);
}

template <class F>
void ProjectionGenerator::block_targets(std::uint64_t s, std::uint64_t b, std::uint64_t count,
                                        std::uint64_t ia, std::uint64_t ib, F& f) const {
    const std::uint64_t first = b << block_shift, size = block_end(b) - first, self = self_index(s);
    const bool has_self = self >= first && self < first + size;
    const std::uint64_t avail = size - (has_self ? 1 : 0), self_pos = has_self ? self - first : ~0ull;
    RandomStream16 rng(seed_, RngPurpose::connect_block, pr_.index, ((src_first_ + s) << 23) | b);
    // Positions of [0, avail) are sorted by a bitmap (blocks hold 1024 targets), multiplicities
    // counted aside; position p is target first + p, or first + p + 1 past the excluded self.
    std::uint64_t bitmap[block_size / 64] = {};
    std::uint32_t times[block_size]; // valid where the bitmap is set
    auto mark = [&](std::uint64_t p) {
        const std::uint64_t bit = std::uint64_t{1} << (p & 63);
        if (bitmap[p >> 6] & bit) return false;
        bitmap[p >> 6] |= bit;
        times[p] = 1;
        return true;
    };
    if (pr_.connector.allow_multapses) {
        for (std::uint64_t k = 0; k < count; ++k) {
            const std::uint64_t p = rng.below32(static_cast<std::uint32_t>(avail));
            if (!mark(p)) ++times[p];
        }
    } else {
        // Floyd's algorithm: `count` distinct positions of [0, avail) in `count` draws.
        for (std::uint64_t j = avail - count; j < avail; ++j)
            if (!mark(rng.below32(static_cast<std::uint32_t>(j + 1)))) mark(j);
    }
    for (std::uint64_t w = 0; w < block_size / 64; ++w)
        for (std::uint64_t bits = bitmap[w]; bits; bits &= bits - 1) {
            const std::uint64_t p = w * 64 + static_cast<std::uint64_t>(std::countr_zero(bits));
            const std::uint64_t idx = first + p + (p >= self_pos ? 1 : 0);
            if (idx < ia || idx >= ib) continue;
            const std::uint64_t t = index_to_global(idx);
            for (std::uint32_t k = 0; k < times[p]; ++k) f(t, k);
        }
}

template <class F>
void ProjectionGenerator::bernoulli_block(std::uint64_t s, std::uint64_t b, std::uint64_t ia,
                                          std::uint64_t ib, F& f) const {
    const double p = pr_.connector.probability;
    const std::uint64_t first = b << block_shift, end = block_end(b), self = self_index(s);
    if (p <= 0.0) return;
    if (p >= 1.0) {
        for (std::uint64_t idx = std::max(first, ia); idx < std::min(end, ib); ++idx)
            if (idx != self) f(index_to_global(idx), 0u);
        return;
    }
    // Geometric skipping over the block's available positions: the gap to the next one is Geometric(p).
    RandomStream rng(seed_, RngPurpose::connect_block, pr_.index, ((src_first_ + s) << 23) | b);
    const double inv_log_q = 1.0 / std::log1p(-p);
    const bool has_self = self >= first && self < end;
    const std::uint64_t avail = end - first - (has_self ? 1 : 0);
    for (std::uint64_t pos = 0;; ++pos) {
        const double skip = std::floor(std::log(rng.open_uniform()) * inv_log_q);
        if (skip >= static_cast<double>(avail - pos)) break;
        pos += static_cast<std::uint64_t>(skip);
        const std::uint64_t idx = first + pos + (has_self && first + pos >= self ? 1 : 0);
        if (idx >= ib) break;
        if (idx >= ia) f(index_to_global(idx), 0u);
    }
}

template <class F>
void ProjectionGenerator::distance_row(std::uint64_t s, std::uint64_t ia, std::uint64_t ib, F& f) const {
    const std::uint64_t self = self_index(s);
    const double* a = &src_pos_[3 * s];
    for (std::uint64_t idx = ia; idx < ib; ++idx) {
        if (idx == self) continue;
        const double p = distance_p_(geometry_.distance(a, &tgt_pos_[3 * idx]));
        if (p <= 0.0) continue;
        const auto r = philox_block(seed_, RngPurpose::connect_pair, pr_.index, src_first_ + s, idx);
        if (p >= 1.0 || RandomStream::open_uniform_from(r[0], r[1]) < p) f(index_to_global(idx), 0u);
    }
}

template <class F>
void ProjectionGenerator::slot_row(std::uint64_t s, std::uint64_t ia, std::uint64_t ib, bool ordinals,
                                   F& f) const {
    const std::uint64_t span = ib - ia;
    thread_local std::vector<std::uint32_t> buffer;
    std::uint32_t* idx = slot_row_buffer(buffer, s);
    const std::uint32_t n = slot_row_indices(s, ia, ib, idx, IndexShift{});
    // Ordinals: a bitmap of the targets seen in this row (per thread, cleared afterwards) and the
    // few repeated ones with their counts.
    thread_local std::vector<std::uint64_t> seen;
    thread_local std::vector<std::uint64_t> visited;
    thread_local std::vector<std::pair<std::uint64_t, std::uint32_t>> repeats;
    if (ordinals) {
        if (seen.size() < (span + 63) / 64) seen.resize((span + 63) / 64);
        visited.clear();
        repeats.clear();
    }
    for (std::uint32_t i = 0; i < n; ++i) {
        std::uint32_t ordinal = 0;
        if (ordinals) {
            const std::uint64_t o = idx[i] - ia, bit = std::uint64_t{1} << (o & 63);
            if (seen[o >> 6] & bit) {
                auto it =
                    std::find_if(repeats.begin(), repeats.end(), [&](const auto& x) { return x.first == o; });
                if (it == repeats.end()) it = repeats.insert(repeats.end(), {o, 0u});
                ordinal = ++it->second;
            } else {
                seen[o >> 6] |= bit;
                visited.push_back(o);
            }
        }
        f(index_to_global(idx[i]), ordinal);
    }
    if (ordinals)
        for (const std::uint64_t o : visited) seen[o >> 6] = 0;
}

template <class F>
void ProjectionGenerator::ascending_row(std::uint64_t s, std::uint64_t t_begin, std::uint64_t t_end,
                                        F&& f) const {
    if (!slot_rows()) return row(s, t_begin, t_end, f);
    const std::uint64_t ia = index_lower_bound(t_begin), ib = index_lower_bound(t_end);
    if (ia >= ib) return;
    thread_local std::vector<std::uint32_t> buffer;
    thread_local std::vector<std::uint64_t> keys;
    std::uint32_t* idx = slot_row_buffer(buffer, s);
    const std::uint32_t n = slot_row_indices(s, ia, ib, idx, IndexShift{});
    const std::uint64_t span = ib - ia;
    if (span <= 64 * std::uint64_t{n}) {
        // Dense (Brunel: ~500 of 6,250 targets): a bitmap over the range, read in order, and the
        // repeats of a target counted aside (a pair's multapses are alike but for their ordinal).
        thread_local std::vector<std::uint64_t> bits;
        thread_local std::vector<std::uint32_t> repeats;
        const std::uint64_t words = (span + 63) / 64;
        if (bits.size() < words) bits.resize(words, 0);
        if (repeats.size() < span) repeats.resize(span, 0);
        for (std::uint32_t i = 0; i < n; ++i) {
            const std::uint64_t o = idx[i] - ia, bit = std::uint64_t{1} << (o & 63);
            if (bits[o >> 6] & bit) ++repeats[o];
            bits[o >> 6] |= bit;
        }
        for (std::uint64_t w = 0; w < words; ++w) {
            for (std::uint64_t b = bits[w]; b; b &= b - 1) {
                const std::uint64_t o = w * 64 + static_cast<std::uint64_t>(std::countr_zero(b));
                const std::uint64_t t = index_to_global(ia + o);
                for (std::uint32_t k = 0; k <= repeats[o]; ++k) f(t, k);
                repeats[o] = 0;
            }
            bits[w] = 0;
        }
        return;
    }
    // Sparse: (target, position order) keys sorted; equal targets keep the order row() gives them
    // ordinals in.
    keys.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) keys[i] = (std::uint64_t{idx[i]} << 32) | i;
    std::sort(keys.begin(), keys.end());
    std::uint32_t ordinal = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
        const std::uint64_t t = keys[i] >> 32;
        ordinal = i > 0 && (keys[i - 1] >> 32) == t ? ordinal + 1 : 0;
        f(index_to_global(t), ordinal);
    }
}

template <class F>
void ProjectionGenerator::row(std::uint64_t s, std::uint64_t t_begin, std::uint64_t t_end, F&& f,
                              bool ordinals) const {
    const auto& c = pr_.connector;
    const std::uint64_t ia = index_lower_bound(t_begin), ib = index_lower_bound(t_end);
    if (ia >= ib) return;
    switch (c.rule) {
    case ConnectorRule::fixed_outdegree:
    case ConnectorRule::fixed_total_number: {
        const std::uint64_t blocks = (n_tgt_ + block_size - 1) >> block_shift;
        auto block = [&](std::uint64_t b, std::uint64_t count) { block_targets(s, b, count, ia, ib, f); };
        split_row(s, 1, 0, blocks, row_count(s), ia >> block_shift, ((ib - 1) >> block_shift) + 1, block);
        break;
    }
    case ConnectorRule::pairwise_bernoulli:
        for (std::uint64_t b = ia >> block_shift; b <= (ib - 1) >> block_shift; ++b)
            bernoulli_block(s, b, ia, ib, f);
        break;
    case ConnectorRule::all_to_all: {
        const std::uint64_t self = self_index(s);
        for (std::uint64_t idx = ia; idx < ib; ++idx)
            if (idx != self) f(index_to_global(idx), 0u);
        break;
    }
    case ConnectorRule::one_to_one:
        for (const auto& seg : segments_) {
            const std::uint64_t t = seg.first + s;
            if (t >= t_begin && t < t_end && !(self_target_ && !c.allow_autapses && t == src_first_ + s))
                f(t, 0u);
        }
        break;
    case ConnectorRule::distance_dependent:
        distance_row(s, ia, ib, f);
        break;
    case ConnectorRule::conv:
        c.conv->row(s, [&](std::uint64_t idx, double) {
            if (idx >= ia && idx < ib) f(index_to_global(idx), 0u);
        });
        break;
    case ConnectorRule::fixed_indegree:
        if (slot_rows()) slot_row(s, ia, ib, ordinals, f);
        break; // else not regenerable by row
    case ConnectorRule::from_file:
        break; // not regenerable by row
    }
}

template <class Emit>
void ProjectionGenerator::connect(std::uint64_t t_begin, std::uint64_t t_end, bool ordinals,
                                  Emit&& emit) const {
    const auto& c = pr_.connector;
    const std::uint32_t proj = pr_.index;
    if (source_driven()) return connect_from_sources(0, n_src_, t_begin, t_end, emit);
    // Target-driven rules: visit targets in ascending order, so every row grows in target order.
    std::vector<std::uint64_t> picks;
    std::vector<std::pair<std::uint64_t, std::uint32_t>> order; // (source, pick index)
    std::vector<std::uint64_t> positions;                       // slot rows: the K slots' positions
    std::vector<std::uint32_t> ordinal;
    for (const auto& seg : segments_) {
        const std::uint64_t a = std::max(t_begin, seg.first), b = std::min(t_end, seg.first + seg.size);
        // The source's own local id when this target is in the source population.
        const bool same = seg.first == src_first_;
        for (std::uint64_t t = a; t < b; ++t) {
            const std::uint64_t self = same && !c.allow_autapses ? t - src_first_ : ~0ull;
            switch (c.rule) {
            case ConnectorRule::fixed_indegree: {
                if (slot_rows()) { // the owners of the target's K slots
                    positions.resize(c.degree);
                    picks.resize(c.degree);
                    slot_sources(seg.index_offset + (t - seg.first), positions.data(), picks.data());
                } else {
                    RandomStream rng(seed_, RngPurpose::connect, proj, t);
                    const std::uint64_t n = n_src_ - (self != ~0ull ? 1 : 0);
                    draw_degree(rng, n, picks);
                    for (auto& s : picks) s += s >= self;
                }
                if (!c.allow_multapses || !ordinals) {
                    for (const auto s : picks) emit(s, t, 0u);
                    break;
                }
                // Multapses: the k-th pick of a source has ordinal k.
                order.resize(picks.size());
                for (std::size_t i = 0; i < picks.size(); ++i)
                    order[i] = {picks[i], static_cast<std::uint32_t>(i)};
                std::sort(order.begin(), order.end());
                ordinal.resize(picks.size());
                for (std::size_t i = 0; i < order.size(); ++i)
                    ordinal[order[i].second] =
                        i > 0 && order[i - 1].first == order[i].first ? ordinal[order[i - 1].second] + 1 : 0;
                for (std::size_t i = 0; i < picks.size(); ++i) emit(picks[i], t, ordinal[i]);
                break;
            }
            case ConnectorRule::all_to_all:
                for (std::uint64_t s = 0; s < n_src_; ++s)
                    if (s != self) emit(s, t, 0u);
                break;
            case ConnectorRule::one_to_one:
                if (t - seg.first != self) emit(t - seg.first, t, 0u);
                break;
            default:
                break;
            }
        }
    }
}

template <class Emit>
void ProjectionGenerator::connect_from_sources(std::uint64_t s_begin, std::uint64_t s_end,
                                               std::uint64_t t_begin, std::uint64_t t_end,
                                               Emit&& emit) const {
    if (pr_.connector.rule == ConnectorRule::from_file)
        return file_edges_in(s_begin, s_end, t_begin, t_end,
                             [&](const FileEdge& e) { emit(e.source, e.target, e.ordinal); });
    for (std::uint64_t s = s_begin; s < std::min(s_end, n_src_); ++s)
        ascending_row(s, t_begin, t_end,
                      [&](std::uint64_t t, std::uint32_t ordinal) { emit(s, t, ordinal); });
}

template <class Emit>
void ProjectionGenerator::generate(std::uint64_t t_begin, std::uint64_t t_end, Emit&& emit) const {
    if (source_driven()) return generate_from_sources(0, n_src_, t_begin, t_end, emit);
    connect(t_begin, t_end, values_.drawn(), [&](std::uint64_t s, std::uint64_t t, std::uint32_t ordinal) {
        double w;
        std::uint32_t d;
        values_(src_first_ + s, t, ordinal, w, d);
        emit(s, t, w, d);
    });
}

template <class Emit>
void ProjectionGenerator::generate_from_sources(std::uint64_t s_begin, std::uint64_t s_end,
                                                std::uint64_t t_begin, std::uint64_t t_end,
                                                Emit&& emit) const {
    if (pr_.connector.rule == ConnectorRule::from_file)
        return file_edges_in(s_begin, s_end, t_begin, t_end,
                             [&](const FileEdge& e) { emit(e.source, e.target, e.weight, e.delay_steps); });
    if (has_kernel()) {
        for (std::uint64_t s = s_begin; s < std::min(s_end, n_src_); ++s)
            kernel_row(s, t_begin, t_end,
                       [&](std::uint64_t t, double w, std::uint32_t d) { emit(s, t, w, d); });
        return;
    }
    if (!values_.drawn()) {
        connect_from_sources(s_begin, s_end, t_begin, t_end,
                             [&](std::uint64_t s, std::uint64_t t, std::uint32_t) {
                                 emit(s, t, values_.weight_constant(), values_.delay_constant());
                             });
        return;
    }
    // Values in batches of one row's synapses (vectorised draws), emitted in the row's order.
    std::uint64_t targets[SynapseValues::batch];
    std::uint32_t ordinals[SynapseValues::batch], delays[SynapseValues::batch];
    double weights[SynapseValues::batch];
    int n = 0;
    std::uint64_t row_source = 0;
    auto flush = [&] {
        values_.draw_batch(src_first_ + row_source, n, targets, ordinals, weights, delays);
        for (int i = 0; i < n; ++i) emit(row_source, targets[i], weights[i], delays[i]);
        n = 0;
    };
    for (std::uint64_t s = s_begin; s < std::min(s_end, n_src_); ++s) {
        row_source = s;
        ascending_row(s, t_begin, t_end, [&](std::uint64_t t, std::uint32_t ordinal) {
            targets[n] = t;
            ordinals[n] = ordinal;
            if (++n == SynapseValues::batch) flush();
        });
        if (n) flush();
    }
}

} // namespace nmsim
