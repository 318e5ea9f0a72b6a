#include "sim/build/connectivity.hpp"

#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include "sim/io/sonata.hpp"
#include "sim/spec/errors.hpp"

namespace nmsim {

double draw_value(const ValueSampler& v, RandomStream& rng) {
    if (v.is_constant()) return v(0.5);
    return static_cast<double>(static_cast<float>(v(rng.open_uniform())));
}

SynapseValues::SynapseValues(const NetworkSpec& spec, const ProjectionSpec& pr)
    : seed_(spec.simulation.seed),
      tag_((static_cast<std::uint32_t>(RngPurpose::synapse_value) << 24) ^ pr.index), dt_(spec.simulation.dt),
      weight_drawn_(!pr.weight.is_constant()), delay_drawn_(!pr.delay.is_constant()), weight_(pr.weight),
      delay_(pr.delay), weight_constant_(pr.weight.value),
      delay_constant_(delay_to_steps(pr.delay.value, dt_)) {
    min_delay_ = delay_drawn_ ? delay_to_steps(float_of(delay_.lowest()), dt_) : delay_constant_;
    max_delay_ = delay_drawn_ ? delay_to_steps(float_of(delay_.highest()), dt_) : delay_constant_;
    if (delay_drawn_) tabulate_delays();
}

void SynapseValues::tabulate_delays() {
    constexpr std::uint64_t cells = std::uint64_t{1} << 52;
    const std::uint32_t lo = delay_at_cell(0), hi = delay_at_cell(cells - 1);
    min_delay_ = std::min(lo, hi);
    max_delay_ = std::max(lo, hi);
    // Decreasing (a mirrored truncation) or too many steps for a small table: quantiles per draw.
    if (lo > hi || hi - lo > 4096) return;
    for (std::uint32_t k = lo + 1; k <= hi; ++k) { // first cell whose delay reaches k
        std::uint64_t a = 0, b = cells - 1;        // delay(a) < k <= delay(b)
        while (b - a > 1) {
            const std::uint64_t m = a + (b - a) / 2;
            (delay_at_cell(m) >= k ? b : a) = m;
        }
        delay_change_.push_back(b);
    }
    delay_guide_.resize((cells >> delay_guide_shift) + 1);
    for (std::size_t g = 0; g < delay_guide_.size(); ++g) {
        const std::uint64_t first = static_cast<std::uint64_t>(g) << delay_guide_shift;
        delay_guide_[g] = static_cast<std::uint32_t>(
            std::upper_bound(delay_change_.begin(), delay_change_.end(), first) - delay_change_.begin());
    }
}

void SynapseValues::draw_batch(std::uint64_t source, int n, const std::uint64_t* targets,
                               const std::uint32_t* ordinals, double* weight,
                               std::uint32_t* delay_steps) const {
    std::uint32_t c[4][batch];
    for (int i = 0; i < batch; ++i) {
        c[0][i] = static_cast<std::uint32_t>(source);
        c[1][i] = static_cast<std::uint32_t>(i < n ? targets[i] : 0);
        c[2][i] = i < n ? ordinals[i] : 0;
        c[3][i] = tag_;
    }
    philox_batch(seed_, c);
    double u[batch] = {}, x[batch];
    if (weight_drawn_) {
        for (int i = 0; i < n; ++i) u[i] = RandomStream::open_uniform_from(c[0][i], c[1][i]);
        weight_.batch(u, x, n);
        for (int i = 0; i < n; ++i) weight[i] = clip(float_of(x[i]));
    } else {
        for (int i = 0; i < n; ++i) weight[i] = weight_constant_;
    }
    if (delay_drawn_) {
        for (int i = 0; i < n; ++i) delay_steps[i] = drawn_delay(RandomStream::cell_from(c[2][i], c[3][i]));
    } else {
        for (int i = 0; i < n; ++i) delay_steps[i] = delay_constant_;
    }
}

ProjectionGenerator::ProjectionGenerator(const NetworkSpec& spec, const ProjectionSpec& projection)
    : pr_(projection), seed_(spec.simulation.seed), dt_(spec.simulation.dt), values_(spec, projection) {
    const PopulationSpec* src = spec.find_population(pr_.source);
    src_first_ = src->first_id;
    n_src_ = src->size;
    for (const auto& name : pr_.targets) {
        const PopulationSpec* t = spec.find_population(name);
        segments_.push_back({t->first_id, t->size, 0});
        n_tgt_ += t->size;
    }
    // The target index space goes by ascending global id, so index order is target order.
    std::sort(segments_.begin(), segments_.end(),
              [](const Segment& a, const Segment& b) { return a.first < b.first; });
    std::uint64_t offset = 0;
    for (auto& seg : segments_) {
        seg.index_offset = offset;
        offset += seg.size;
        if (seg.first == src_first_) {
            self_target_ = true;
            if (!pr_.connector.allow_autapses) self_offset_ = seg.index_offset;
        }
    }
    if (pr_.connector.rule == ConnectorRule::fixed_total_number)
        row_counts_ = split_over_sources(pr_.connector.degree, RngPurpose::connect_total);
    if (pr_.connector.rule == ConnectorRule::fixed_indegree && pr_.connector.allow_multapses &&
        self_offset_ == ~0ull)
        lay_out_slots();
    if (pr_.connector.rule == ConnectorRule::distance_dependent) {
        const auto& c = pr_.connector;
        distance_p_ = DistanceProbability(c.distance_p, spec.vars);
        geometry_.period = c.period;
        geometry_.axes = c.axes;
        geometry_.scale = c.scale_factor;
        geometry_.offset = c.offset;
        src_pos_ = spec.find_population(pr_.source)->positions;
        for (const auto& seg : segments_) // index order: ascending global id
            for (const auto& p : spec.populations)
                if (p.first_id == seg.first)
                    tgt_pos_.insert(tgt_pos_.end(), p.positions.begin(), p.positions.end());
    }
    if (pr_.connector.rule == ConnectorRule::conv) {
        const ConvConnector& conv = *pr_.connector.conv;
        if (conv.source_size() != n_src_ || conv.target_size() != n_tgt_)
            throw ConfigError(
                spec.source_file, 0, 0, "projections." + pr_.name + ".connector",
                fmt::format("the kernel maps {} sources to {} targets; the populations have {} and {}",
                            conv.source_size(), conv.target_size(), n_src_, n_tgt_));
        conv_synapses_ = conv.synapse_count();
    }
    if (pr_.connector.rule != ConnectorRule::from_file) {
        clip_as_lava_dense(spec);
        return;
    }
    // Edge list: "source,target[,weight[,delay]]", ids local; target indexes the listed targets in order.
    std::vector<Segment> listed;
    std::uint64_t off = 0;
    for (const auto& name : pr_.targets) {
        const PopulationSpec* t = spec.find_population(name);
        listed.push_back({t->first_id, t->size, off});
        off += t->size;
    }
    const std::string& path = pr_.connector.file;
    const std::string key = "projections." + pr_.name + ".connector.file";
    // One row: source, target[, weight[, delay]] (n columns), `line` for messages.
    auto add = [&](const double* v, std::size_t n, int line) {
        auto bad = [&](const std::string& what) { throw ConfigError(path, line, 1, key, what); };
        auto text = [](double x) { return fmt::format("{:g}", x); };
        if (v[0] < 0 || v[0] >= static_cast<double>(n_src_) || v[0] != std::floor(v[0]))
            bad("source id " + text(v[0]) + " is not in 0.." + std::to_string(n_src_ - 1));
        if (v[1] < 0 || v[1] >= static_cast<double>(n_tgt_) || v[1] != std::floor(v[1]))
            bad("target id " + text(v[1]) + " is not in 0.." + std::to_string(n_tgt_ - 1));
        FileEdge e;
        e.source = static_cast<std::uint64_t>(v[0]);
        const auto idx = static_cast<std::uint64_t>(v[1]);
        for (const auto& s : listed)
            if (idx >= s.index_offset && idx < s.index_offset + s.size)
                e.target = s.first + (idx - s.index_offset);
        // Columns absent: NaN marks values to draw once the edges are sorted (their ordinals known).
        e.weight = n > 2 ? v[2] : std::nan("");
        e.delay_steps = 0;
        if (n > 3) {
            if (v[3] < dt_ * (1 - 1e-9)) bad("delay " + text(v[3]) + " ms is below dt");
            e.delay_steps = delay_to_steps(v[3], dt_);
        }
        if (!pr_.connector.allow_autapses && e.target == src_first_ + e.source) return;
        file_edges_.push_back(e);
    };
    if (pr_.connector.edge_list) {
        std::size_t row = 0;
        for (const ListedEdge& e : *pr_.connector.edge_list) {
            const double v[4] = {static_cast<double>(e.source), static_cast<double>(e.target), e.weight,
                                 e.delay_ms};
            add(v, 4, static_cast<int>(++row));
        }
    } else if (path.size() > 3 && path.compare(path.size() - 3, 3, ".h5") == 0) {
        // SONATA edges, as nmsim's weights recorder writes them: /edges/<group>/{source,target}_node_id,
        // 0/syn_weight, 0/delay; "row" in messages is the edge's index + 1.
        const std::string group = "/edges/" + (pr_.connector.edges.empty() ? pr_.name : pr_.connector.edges);
        std::vector<double> cols[4];
        try {
            cols[0] = read_double_dataset(path, group + "/source_node_id");
            cols[1] = read_double_dataset(path, group + "/target_node_id");
            cols[2] = read_double_dataset(path, group + "/0/syn_weight");
            cols[3] = read_double_dataset(path, group + "/0/delay");
        } catch (const std::exception& e) {
            throw ConfigError(path, 0, 0, key, std::string("no SONATA edges at ") + group + ": " + e.what());
        }
        for (int c = 1; c < 4; ++c)
            if (cols[c].size() != cols[0].size())
                throw ConfigError(path, 0, 0, key, group + ": edge datasets differ in length");
        for (std::size_t i = 0; i < cols[0].size(); ++i) {
            const double v[4] = {cols[0][i], cols[1][i], cols[2][i], cols[3][i]};
            add(v, 4, static_cast<int>(i + 1));
        }
    } else {
        std::ifstream in(path);
        if (!in) throw ConfigError(path, 0, 0, key, "cannot read");
        std::string line;
        int lineno = 0;
        while (std::getline(in, line)) {
            ++lineno;
            if (line.empty() || line[0] == '#') continue;
            std::vector<std::string> cols;
            std::stringstream ss(line);
            for (std::string c; std::getline(ss, c, ',');) cols.push_back(c);
            if (lineno == 1 && !cols.empty() && !cols[0].empty() &&
                !std::isdigit(static_cast<unsigned char>(cols[0][0])))
                continue; // header
            if (cols.size() < 2 || cols.size() > 4)
                throw ConfigError(path, lineno, 1, key, "expected source,target[,weight[,delay]]");
            double v[4] = {0, 0, 0, 0};
            for (std::size_t i = 0; i < cols.size(); ++i) {
                char* end = nullptr;
                v[i] = std::strtod(cols[i].c_str(), &end);
                if (end == cols[i].c_str())
                    throw ConfigError(path, lineno, 1, key,
                                      "column " + std::to_string(i + 1) + " is not a number");
            }
            add(v, cols.size(), lineno);
        }
    }
    std::stable_sort(file_edges_.begin(), file_edges_.end(), [](const FileEdge& a, const FileEdge& b) {
        return a.source != b.source ? a.source < b.source : a.target < b.target;
    });
    if (!pr_.connector.allow_multapses)
        file_edges_.erase(std::unique(file_edges_.begin(), file_edges_.end(),
                                      [](const FileEdge& a, const FileEdge& b) {
                                          return a.source == b.source && a.target == b.target;
                                      }),
                          file_edges_.end());
    // Values not in the file are drawn per synapse, keyed like every other rule's.
    std::uint32_t ordinal = 0;
    for (std::size_t i = 0; i < file_edges_.size(); ++i) {
        FileEdge& e = file_edges_[i];
        const bool repeat =
            i > 0 && file_edges_[i - 1].source == e.source && file_edges_[i - 1].target == e.target;
        ordinal = repeat ? ordinal + 1 : 0;
        double w;
        std::uint32_t d;
        values_(src_first_ + e.source, e.target, ordinal, w, d);
        if (std::isnan(e.weight)) e.weight = w;
        if (e.delay_steps == 0) e.delay_steps = d;
        e.ordinal = ordinal;
    }
    clip_as_lava_dense(spec);
    for (FileEdge& e : file_edges_) e.weight = values_.clip(e.weight);
}

void ProjectionGenerator::clip_as_lava_dense(const NetworkSpec& spec) {
    for (const auto& t : pr_.targets)
        if (spec.find_population(t)->model != "loihi_lif") return;
    // Sign mode from the weights: the edges', the kernel's, or what the draws can reach (a matrix's
    // zeros change no sign mode: all >= 0 is excitatory, all <= 0 inhibitory).
    const auto [lo, hi] = weight_range();
    values_.clip_as_lava_dense(lo, hi, pr_.num_weight_bits);
}

std::vector<std::uint64_t> ProjectionGenerator::split_over_sources(std::uint64_t total, RngPurpose purpose,
                                                                   std::uint64_t salt) const {
    // The synapses spread uniformly over the (source, target) pairs: per source a multinomial
    // (binomial splits down a tree over source ranges) or, without multapses, a multivariate
    // hypergeometric. Every source has the same number of targets available.
    const std::uint64_t per_source = n_tgt_ - (self_offset_ != ~0ull ? 1 : 0);
    std::vector<std::uint64_t> counts(n_src_, 0);
    auto split = [&](auto&& self, std::uint64_t node, std::uint64_t lo, std::uint64_t hi,
                     std::uint64_t n) -> void {
        if (n == 0) return;
        if (hi - lo == 1) {
            counts[lo] = n;
            return;
        }
        const std::uint64_t mid = lo + (hi - lo) / 2;
        RandomStream rng(seed_, purpose, pr_.index, node + salt);
        const double u = rng.uniform();
        const std::uint64_t left =
            pr_.connector.allow_multapses
                ? sample_binomial(n, static_cast<double>(mid - lo) / static_cast<double>(hi - lo), u)
                : sample_hypergeometric(n, (mid - lo) * per_source, (hi - lo) * per_source, u);
        self(self, 2 * node, lo, mid, left);
        self(self, 2 * node + 1, mid, hi, n - left);
    };
    if (n_src_ > 0) split(split, 1, 0, n_src_, total);
    return counts;
}

void ProjectionGenerator::lay_out_slots() {
    const std::uint64_t k_in = pr_.connector.degree, slots = n_tgt_ * k_in;
    if (slots > (std::uint64_t{1} << 48) || n_src_ == 0 || n_tgt_ == 0) return; // too large: targets draw
    // Target groups, each its own slot-row layout over all sources (so each target's K slots still
    // come from independent uniform sources): a partition evaluates only the groups its targets fall
    // in, not every row whole. Up to 16 groups, each a row part of ~256 positions or more: each group
    // part costs a call, its tail vector and its division pass, and at 64 positions (Brunel E->E: 15
    // groups) that overhead ate the saving (procedural Brunel, 1 thread: 1.33 -> 1.78 s; 2 threads:
    // 256 gave 1.04 s, 128 1.17 s, one group 1.33 s). One group where rows are short: the layout (and
    // realisation) of before groups.
    const std::uint64_t per_row = slots / n_src_;
    const std::uint64_t groups =
        std::clamp<std::uint64_t>(per_row / 256, 1, std::min<std::uint64_t>(16, n_tgt_));
    slot_group_size_ = (n_tgt_ + groups - 1) / groups;
    slot_stride_ = n_src_ + 1 + 8; // + 8 sentinels past each group's end for slot_owner_from
    std::uint64_t largest = 0;
    for (std::uint64_t first = 0, g = 0; first < n_tgt_; first += slot_group_size_, ++g) {
        SlotGroup grp;
        grp.first = first;
        grp.size = std::min(slot_group_size_, n_tgt_ - first);
        // Group 0's keys and splits are those of the single layout before groups.
        const auto k0 = philox_block(seed_, RngPurpose::connect_slots, pr_.index, g, 0),
                   k1 = philox_block(seed_, RngPurpose::connect_slots, pr_.index, g, 1);
        grp.perm = SlotPermutation(grp.size * k_in, {k0[0], k0[1], k0[2], k0[3], k1[0], k1[1]});
        grp.fit32 = !grp.perm.wide() && grp.size * k_in + k_in <= (std::uint64_t{1} << 32);
        slot_groups_.push_back(grp);
        largest = std::max(largest, grp.perm.size());
    }
    slot_start_.assign(slot_groups_.size() * slot_stride_, ~0ull);
    for (std::size_t g = 0; g < slot_groups_.size(); ++g) {
        const auto counts = split_over_sources(slot_groups_[g].perm.size(), RngPurpose::connect_slots,
                                               static_cast<std::uint64_t>(g) << 48);
        std::uint64_t* start = slot_start_.data() + g * slot_stride_;
        start[0] = 0;
        for (std::uint64_t s = 0; s < n_src_; ++s) start[s + 1] = start[s] + counts[s];
    }
    // Guide: per group at most n_src_ / 8 buckets of 2^guide_shift_ positions, each naming the owner of
    // its first: small enough to stay in cache (0.5 B per source and group), a walk of ~8 starts.
    guide_shift_ = 0;
    while (((largest - 1) >> guide_shift_) >= std::max<std::uint64_t>(1, n_src_ / 8)) ++guide_shift_;
    guide_stride_ = ((largest - 1) >> guide_shift_) + 1;
    slot_guide_.assign(slot_groups_.size() * guide_stride_, 0);
    for (std::size_t g = 0; g < slot_groups_.size(); ++g) {
        const std::uint64_t* start = slot_start_.data() + g * slot_stride_;
        std::uint64_t s = 0;
        for (std::uint64_t b = 0; b < guide_stride_; ++b) {
            const std::uint64_t r = b << guide_shift_;
            while (s < n_src_ && start[s + 1] <= r) ++s;
            slot_guide_[g * guide_stride_ + b] = static_cast<std::uint32_t>(std::min(s, n_src_ - 1));
        }
    }
}

void ProjectionGenerator::slot_sources(std::uint64_t idx, std::uint64_t* positions,
                                       std::uint64_t* owners) const {
    const std::size_t g = idx / slot_group_size_;
    const SlotGroup& grp = slot_groups_[g];
    const std::uint64_t k_in = pr_.connector.degree, first = (idx - grp.first) * k_in;
    std::uint64_t k = 0;
#if defined(__AVX512F__)
    if (grp.fit32) {
        // The K consecutive slots, 64 per step, inverted 16 lanes at a time.
        constexpr int lanes_n = 4;
        alignas(64) std::uint32_t pre[16 * lanes_n];
        const std::uint64_t* start = slot_start_.data() + g * slot_stride_;
        for (; k < k_in; k += 16 * lanes_n) {
            __m512i ll[lanes_n], rr[lanes_n];
            grp.perm.parts16(first + k, ll, rr);
            grp.perm.inverse16(ll, rr);
            for (int j = 0; j < lanes_n; ++j) _mm512_store_si512(pre + 16 * j, ll[j]);
            // The owners' starts are random places in a large array (8 MB for 1 M sources): all 64
            // asked for before the walks.
            const auto m = static_cast<std::uint32_t>(std::min<std::uint64_t>(16 * lanes_n, k_in - k));
            std::uint32_t guess[16 * lanes_n];
            for (std::uint32_t i = 0; i < m; ++i) {
                guess[i] = slot_guess(g, pre[i]);
                __builtin_prefetch(start + guess[i] + 1);
            }
            for (std::uint32_t i = 0; i < m; ++i) {
                positions[k + i] = pre[i];
                owners[k + i] = slot_owner_from(g, guess[i], pre[i]);
            }
        }
        return;
    }
#endif
    for (; k < k_in; ++k) {
        positions[k] = grp.perm.inverse(first + k);
        owners[k] = slot_owner_from(g, slot_guess(g, positions[k]), positions[k]);
    }
}

std::uint32_t ProjectionGenerator::slot_row_indices(std::uint64_t s, std::uint64_t ia, std::uint64_t ib,
                                                    std::uint32_t* out, const IndexShift& shift) const {
    // The groups [ia, ib) reaches, each over its part of the row.
    std::uint32_t n = 0;
    constexpr std::uint64_t chunk = 1024;
    for (std::size_t g = ia / slot_group_size_; g < slot_groups_.size() && slot_groups_[g].first < ib; ++g) {
        const SlotGroup& grp = slot_groups_[g];
        const std::uint64_t lo = std::max(ia, grp.first) - grp.first,
                            hi = std::min(ib, grp.first + grp.size) - grp.first;
        const std::uint64_t* start = slot_start_.data() + g * slot_stride_;
        for (std::uint64_t r = start[s], end = start[s + 1]; r < end; r += chunk)
            n += slot_targets(grp, r, static_cast<std::uint32_t>(std::min(chunk, end - r)), lo, hi, shift,
                              out + n);
    }
    return n;
}

ProjectionGenerator::IndexShift ProjectionGenerator::index_shift(std::uint64_t base) const {
    IndexShift sh;
    if (segments_.size() > sh.from.size()) return sh; // mapped one by one (to_targets)
    for (const Segment& seg : segments_) {
        sh.from[sh.count] = static_cast<std::uint32_t>(seg.index_offset);
        sh.add[sh.count++] = static_cast<std::uint32_t>(seg.first - seg.index_offset - base);
    }
    return sh;
}

void ProjectionGenerator::to_targets(const IndexShift& shift, std::uint64_t base, std::uint32_t* out,
                                     std::uint32_t n) const {
    if (shift.count == 0)
        for (std::uint32_t i = 0; i < n; ++i)
            out[i] = static_cast<std::uint32_t>(index_to_global(out[i]) - base);
}

std::uint32_t ProjectionGenerator::slot_row_targets(std::uint64_t s, std::uint64_t t_begin,
                                                    std::uint64_t t_end, std::uint64_t base,
                                                    std::uint32_t* out) const {
    const std::uint64_t ia = index_lower_bound(t_begin), ib = index_lower_bound(t_end);
    if (ia >= ib) return 0;
    const IndexShift shift = index_shift(base);
    const std::uint32_t n = slot_row_indices(s, ia, ib, out, shift);
    to_targets(shift, base, out, n);
    return n;
}

std::uint32_t ProjectionGenerator::slot_targets(const SlotGroup& grp, std::uint64_t r, std::uint32_t n,
                                                std::uint64_t ia, std::uint64_t ib, const IndexShift& shift,
                                                std::uint32_t* out) const {
    // The slots of [ia, ib) are [ia K, ib K): those of the positions' images inside it are kept
    // (compressed without a branch), then divided by K and shifted to targets in registers.
    const std::uint64_t k_in = pr_.connector.degree, lo = ia * k_in, width = (ib - ia) * k_in;
    std::uint32_t kept = 0;
    if (k_in == 0) return 0; // indegree 0: positions but no slots
#if defined(__AVX512F__)
    if (grp.fit32) {
        constexpr __mmask16 all = 0xFFFF;
        const __m512i one = _mm512_set1_epi32(1), vlo = _mm512_set1_epi32(static_cast<int>(lo)),
                      vwidth = _mm512_set1_epi32(static_cast<int>(width)),
                      vk = _mm512_set1_epi32(static_cast<int>(k_in));
        const __m512d vinv = _mm512_set1_pd(1.0 / static_cast<double>(k_in));
        // q / K in doubles: exact after one correction each way (q < 2^32, q + K <= 2^32).
        const auto divide = [&](__m512i q) {
            const auto half = [&](int h) {
                return _mm512_maskz_cvttpd_epu32(
                    0xFF,
                    _mm512_mul_pd(_mm512_maskz_cvtepu32_pd(0xFF, _mm512_maskz_extracti64x4_epi64(0xFF, q, h)),
                                  vinv));
            };
            __m512i t =
                _mm512_maskz_inserti64x4(0xFF, _mm512_maskz_broadcast_i64x4(0xFF, half(0)), half(1), 1);
            t = _mm512_mask_sub_epi32(t, _mm512_cmpgt_epu32_mask(_mm512_maskz_mullo_epi32(all, t, vk), q), t,
                                      one);
            const __m512i next = _mm512_add_epi32(t, one);
            return _mm512_mask_mov_epi32(
                t, _mm512_cmple_epu32_mask(_mm512_maskz_mullo_epi32(all, next, vk), q), next);
        };
        // N vectors per step (latency hiding): 4, and at the end only as many as positions are left
        // (a group's part of a row is often ~70 positions: 4 + 1 vectors, not 4 + 4).
        const auto step = [&]<int N>(std::uint32_t i) {
            __m512i ll[N], rr[N];
            grp.perm.parts16(r + i, ll, rr);
            grp.perm.forward16(ll, rr);
            for (int j = 0; j < N; ++j) {
                const std::uint32_t at = i + 16 * j;
                const __mmask16 lanes = n - at >= 16 ? all : static_cast<__mmask16>((1u << (n - at)) - 1);
                const __mmask16 keep = lanes & _mm512_cmplt_epu32_mask(_mm512_sub_epi32(ll[j], vlo), vwidth);
                _mm512_storeu_si512(out + kept, _mm512_maskz_compress_epi32(keep, ll[j]));
                kept += static_cast<std::uint32_t>(std::popcount(static_cast<unsigned>(keep)));
            }
        };
        std::uint32_t done = 0;
        for (; done + 48 < n; done += 64) step.template operator()<4>(done);
        const std::uint32_t left = done < n ? n - done : 0;
        if (left > 32)
            step.template operator()<3>(done);
        else if (left > 16)
            step.template operator()<2>(done);
        else if (left > 0)
            step.template operator()<1>(done);
        // The kept slots only divided (a partition keeps its share of the row), made indices, shifted.
        const __m512i vfirst = _mm512_set1_epi32(static_cast<int>(grp.first));
        for (std::uint32_t i = 0; i < kept; i += 16)
            _mm512_storeu_si512(out + i,
                                shift.apply16(_mm512_add_epi32(divide(_mm512_loadu_si512(out + i)), vfirst)));
        return kept;
    }
#endif
    for (std::uint32_t i = 0; i < n; ++i) {
        const std::uint64_t q = grp.perm(r + i);
        out[kept] = shift.apply(static_cast<std::uint32_t>(q / k_in + grp.first));
        kept += q - lo < width;
    }
    return kept;
}

void ProjectionGenerator::draw_distinct(RandomStream& rng, std::uint64_t n, std::uint64_t k,
                                        std::vector<std::uint64_t>& out) const {
    // Floyd's algorithm: k distinct values of [0, n) in O(k), then sorted for a stable order.
    std::unordered_set<std::uint64_t> chosen;
    chosen.reserve(k * 2);
    out.clear();
    for (std::uint64_t j = n - k; j < n; ++j) {
        const std::uint64_t t = rng.below(j + 1);
        const std::uint64_t v = chosen.insert(t).second ? t : j;
        if (v == j) chosen.insert(j);
        out.push_back(v);
    }
    std::sort(out.begin(), out.end());
}

std::pair<double, double> ProjectionGenerator::weight_range() const {
    if (has_kernel()) {
        const ConvConnector& c = *pr_.connector.conv;
        double lo = 0.0, hi = 0.0;
        bool any = false;
        for (double w : c.weights())
            if (w != 0.0) {
                lo = any ? std::min(lo, w * c.pool_scale) : w * c.pool_scale;
                hi = any ? std::max(hi, w * c.pool_scale) : w * c.pool_scale;
                any = true;
            }
        return {lo, hi};
    }
    if (pr_.connector.rule != ConnectorRule::from_file)
        return {values_.lowest_weight(), values_.highest_weight()};
    if (file_edges_.empty()) return {0.0, 0.0};
    const auto [lo, hi] =
        std::minmax_element(file_edges_.begin(), file_edges_.end(),
                            [](const FileEdge& a, const FileEdge& b) { return a.weight < b.weight; });
    return {lo->weight, hi->weight};
}

double ProjectionGenerator::expected_synapses() const {
    const auto& c = pr_.connector;
    bool self = false;
    for (const auto& s : segments_) self = self || s.first == src_first_;
    const double no_self = (self && !c.allow_autapses) ? 1.0 : 0.0;
    switch (c.rule) {
    case ConnectorRule::fixed_indegree:
        return static_cast<double>(c.degree) * static_cast<double>(n_tgt_);
    case ConnectorRule::fixed_outdegree:
        return static_cast<double>(c.degree) * static_cast<double>(n_src_);
    case ConnectorRule::fixed_total_number:
        return static_cast<double>(c.degree);
    case ConnectorRule::pairwise_bernoulli:
        return c.probability * (static_cast<double>(n_src_) * static_cast<double>(n_tgt_) - no_self * n_src_);
    case ConnectorRule::all_to_all:
        return static_cast<double>(n_src_) * static_cast<double>(n_tgt_) - no_self * n_src_;
    case ConnectorRule::one_to_one:
        return static_cast<double>(n_tgt_) - no_self * n_src_;
    case ConnectorRule::from_file:
        return static_cast<double>(file_edges_.size());
    case ConnectorRule::distance_dependent:
        return distance_expectation();
    case ConnectorRule::conv:
        return static_cast<double>(conv_synapses_);
    }
    return 0.0;
}

double ProjectionGenerator::distance_expectation() const {
    // Exact over all pairs up to 4e6 of them, else over a fixed lattice of 4e6 pairs (memory estimates).
    const double pairs = static_cast<double>(n_src_) * static_cast<double>(n_tgt_);
    const std::uint64_t stride = pairs <= 4e6 ? 1 : static_cast<std::uint64_t>(pairs / 4e6) | 1;
    double sum = 0.0;
    std::uint64_t visited = 0;
    for (std::uint64_t k = 0; k < n_src_ * n_tgt_; k += stride, ++visited) {
        const std::uint64_t s = k / n_tgt_, idx = k % n_tgt_;
        if (idx == self_index(s)) continue;
        sum += distance_p_(geometry_.distance(&src_pos_[3 * s], &tgt_pos_[3 * idx]));
    }
    return visited ? sum * (pairs / static_cast<double>(visited)) : 0.0;
}

} // namespace nmsim
