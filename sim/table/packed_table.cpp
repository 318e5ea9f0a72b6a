#include "sim/table/packed_table.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "sim/spec/errors.hpp"
#include "sim/table/row_blocks.hpp"

namespace nmsim {

const char* to_string(FieldMode m) {
    switch (m) {
    case FieldMode::absent:
        return "absent";
    case FieldMode::lookup:
        return "lookup";
    default:
        return "value";
    }
}

std::uint64_t PackedTable::bytes() const {
    return words_.size() * sizeof(std::uint64_t) + row_word_.size() * sizeof(std::uint64_t) +
           row_entries_.size() * sizeof(std::uint32_t) + weight_lut_.size() * sizeof(double) +
           delay_lut_.size() * sizeof(std::uint32_t);
}

std::uint32_t PackedTable::decode_targets(std::uint64_t row, std::uint64_t base, std::uint32_t* targets,
                                          std::uint32_t* delays) const {
#if NMSIM_ROW_BLOCKS
    if (widths_.entry() <= RowBlocks::max_entry_bits)
        return decode_targets_blocks(row, base, targets, delays);
#endif
    std::uint32_t k = 0;
    for_each_synapse(row, [targets, delays, base, &k](std::uint64_t t, double, std::uint32_t d) {
        targets[k] = static_cast<std::uint32_t>(t - base);
        delays[k++] = d;
    });
    return k;
}

#if NMSIM_ROW_BLOCKS
std::uint32_t PackedTable::decode_targets_blocks(std::uint64_t row, std::uint64_t base,
                                                 std::uint32_t* targets, std::uint32_t* delays) const {
    const unsigned tb = widths_.target, db = widths_.delay, delay_shift = tb + widths_.weight;
    const void* first = words_.data() + row_word_[row];
    const std::uint32_t n = row_entries_[row];
    prefetch_row(row); // all its lines at once: the block loads waited on them one after another (perf)
    // The running target local to `base` (wraps like the 64-bit one; results are below 2^32).
    RowBlocks blocks(first, tb, widths_.entry(), static_cast<std::uint32_t>(target_base_ - base));
    const __m512i delay_mask = _mm512_set1_epi32(static_cast<int>(bits::mask(db)));
    const __m512i delay_constant = _mm512_set1_epi32(static_cast<int>(delay_constant_));
    const __m128i delay_shift_count = _mm_cvtsi32_si128(static_cast<int>(delay_shift));
    const FieldMode dm = widths_.delay_mode;
    std::uint32_t out = 0;
    for (std::uint32_t i = 0; i < n; i += 16) {
        __m512i e, target;
        const __mmask16 synapse = blocks.next(i / 16, std::min<std::uint32_t>(16, n - i), e, target);
        _mm512_storeu_si512(targets + out, _mm512_maskz_compress_epi32(synapse, target));
        __m512i d = delay_constant;
        if (dm != FieldMode::absent) {
            d = _mm512_and_si512(_mm512_maskz_srl_epi32(0xFFFF, e, delay_shift_count), delay_mask);
            if (dm == FieldMode::lookup)
                d = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), synapse, d, delay_lut_.data(), 4);
            d = _mm512_maskz_compress_epi32(synapse, d);
        }
        _mm512_storeu_si512(delays + out, d);
        out += static_cast<std::uint32_t>(std::popcount(static_cast<unsigned>(synapse)));
    }
    return out;
}
#endif

bool PackedTable::weights_are_float32() const {
    auto exact = [](double w) { return static_cast<double>(static_cast<float>(w)) == w; };
    switch (widths_.weight_mode) {
    case FieldMode::value:
        return true;
    case FieldMode::lookup:
        return std::all_of(weight_lut_.begin(), weight_lut_.end(), exact);
    default:
        return exact(weight_constant_);
    }
}

int PackedTable::weight_sign() const {
    const auto sign_of = [](bool none_negative, bool all_negative) {
        return none_negative ? 1 : all_negative ? -1 : 0;
    };
    switch (widths_.weight_mode) {
    case FieldMode::value:
        if (widths_.weight == 32) return 0; // both signs: all 32 bits stored
        // one sign: magnitudes from weight_base_bits_ up (a magnitude of 0 is -0.0, not < 0)
        return sign_of(weight_sign_bit_ == 0, weight_base_bits_ > 0);
    case FieldMode::lookup:
        return sign_of(std::none_of(weight_lut_.begin(), weight_lut_.end(), [](double w) { return w < 0.0; }),
                       std::all_of(weight_lut_.begin(), weight_lut_.end(), [](double w) { return w < 0.0; }));
    default:
        return weight_constant_ < 0.0 ? -1 : 1;
    }
}

PackedTableBuilder::PackedTableBuilder(std::uint64_t rows, std::uint64_t target_base,
                                       std::uint64_t target_end)
    : target_end_(target_end), last_target_(rows, target_base),
      gap_histogram_(target_end - target_base + 1, 0) {
    table_.target_base_ = target_base;
    table_.row_entries_.assign(rows, 0);
    pass_ = 1;
}

std::uint64_t PackedTableBuilder::gap_to(std::uint64_t row, std::uint64_t target) {
    const std::uint64_t last = last_target_[row];
    if (target < last || target >= target_end_)
        throw std::logic_error("PackedTableBuilder: targets of a row must be non-decreasing and in range");
    last_target_[row] = target;
    return target - last;
}

void PackedTableBuilder::observe(std::uint64_t row, std::uint64_t target, double weight,
                                 std::uint32_t delay_steps) {
    ++gap_histogram_[gap_to(row, target)];
    if (table_.synapses_ == 0 || weight < value_lo_) value_lo_ = weight;
    if (table_.synapses_ == 0 || weight > value_hi_) value_hi_ = weight;
    ++table_.synapses_;
    // One value past the lookup limit is enough to know the table stores values; runs of the same
    // weight (constant weights) skip the hash.
    if (weights_.size() <= PackedTable::max_lookup_values && (weights_.empty() || weight != last_weight_))
        weights_.try_emplace(weight, 0); // try_emplace: no node allocated when present
    last_weight_ = weight;
    // Delays are few small integers: a direct-indexed table, no hash (distribution delays change at
    // every synapse).
    if (delay_steps >= delay_index_.size()) delay_index_.resize(delay_steps + 1u, unseen_delay);
    delay_index_[delay_steps] = 0;
    max_delay_ = std::max(max_delay_, delay_steps);
}

void PackedTableBuilder::preset_weight_constant(double weight) {
    weights_ = {{weight, 0}};
    last_weight_ = weight;
}

void PackedTableBuilder::preset_weight_values(double lowest, double highest) {
    weight_preset_ = WeightPreset::values;
    value_lo_ = lowest;
    value_hi_ = highest;
}

void PackedTableBuilder::preset_weight_levels(const std::vector<double>& levels) {
    if (levels.size() > PackedTable::max_lookup_values)
        throw std::logic_error("more weight levels than a lookup holds");
    weights_.clear();
    for (double v : levels) weights_.try_emplace(v, 0);
    weight_preset_ = WeightPreset::levels;
}

void PackedTableBuilder::preset_weight_grid(double low, double step, std::uint32_t levels) {
    std::vector<double> values;
    for (std::uint32_t k = 0; k < levels; ++k) values.push_back(low + k * step);
    preset_weight_levels(values);
    grid_low_ = low;
    grid_step_ = step;
}

void PackedTableBuilder::preset_delays(std::uint32_t lo, std::uint32_t hi) {
    delay_index_.assign(hi + 1u, unseen_delay);
    std::fill(delay_index_.begin() + lo, delay_index_.end(), 0u);
    max_delay_ = hi;
}

void PackedTableBuilder::choose_widths(unsigned force_target_bits) {
    FieldWidths& w = table_.widths_;
    // Weight: absent if one value, a lookup index if few, else the float32 value itself.
    std::vector<double> distinct_w;
    distinct_w.reserve(weights_.size());
    for (const auto& kv : weights_) distinct_w.push_back(kv.first);
    std::sort(distinct_w.begin(), distinct_w.end());
    auto value_mode = [&] {
        // float32 values: when all have one sign, store their magnitude bits as offsets from the
        // smallest magnitude's (positive floats order like their bits); else all 32 bits.
        w.weight_mode = FieldMode::value;
        const float lo = static_cast<float>(value_lo_), hi = static_cast<float>(value_hi_);
        const bool one_sign =
            (lo >= 0.0f && !std::signbit(lo)) || hi < 0.0f || (hi == 0.0f && std::signbit(hi));
        weight_one_sign_ = one_sign;
        if (!one_sign) {
            w.weight = 32;
            return;
        }
        const bool negative = std::signbit(hi);
        const std::uint32_t a = std::bit_cast<std::uint32_t>(std::fabs(lo)),
                            b = std::bit_cast<std::uint32_t>(std::fabs(hi));
        table_.weight_base_bits_ = std::min(a, b);
        table_.weight_sign_bit_ = negative ? 0x80000000u : 0u;
        w.weight = bits::width_for(std::max(a, b) - std::min(a, b));
    };
    if (weight_preset_ == WeightPreset::values) {
        value_mode();
    } else if (distinct_w.size() <= 1) {
        w.weight_mode = FieldMode::absent;
        w.weight = 0;
        table_.weight_constant_ = distinct_w.empty() ? 0.0 : distinct_w[0];
    } else if (weight_preset_ == WeightPreset::levels ||
               (distinct_w.size() <= PackedTable::max_lookup_values &&
                // the lookup table itself costs 8 B a value: use it only where it saves bytes overall
                table_.synapses_ * bits::width_for(distinct_w.size() - 1) / 8.0 + distinct_w.size() * 8.0 <
                    table_.synapses_ * 4.0)) {
        w.weight_mode = FieldMode::lookup;
        w.weight = bits::width_for(distinct_w.size() - 1);
        table_.weight_lut_ = distinct_w;
        for (std::size_t i = 0; i < distinct_w.size(); ++i)
            weights_[distinct_w[i]] = static_cast<std::uint32_t>(i);
    } else {
        value_mode(); // float32: distribution draws are float32 by construction
    }
    // Delay: absent if one value, else the narrower of a lookup index and the step count.
    std::vector<std::uint32_t> distinct_d; // ascending
    for (std::uint32_t steps = 0; steps < delay_index_.size(); ++steps)
        if (delay_index_[steps] != unseen_delay) distinct_d.push_back(steps);
    const unsigned value_bits = bits::width_for(max_delay_);
    if (distinct_d.size() <= 1) {
        w.delay_mode = FieldMode::absent;
        w.delay = 0;
        table_.delay_constant_ = distinct_d.empty() ? 1 : distinct_d[0];
    } else if (distinct_d.size() <= PackedTable::max_lookup_values &&
               bits::width_for(distinct_d.size() - 1) < value_bits) {
        w.delay_mode = FieldMode::lookup;
        w.delay = bits::width_for(distinct_d.size() - 1);
        table_.delay_lut_ = distinct_d;
        for (std::size_t i = 0; i < distinct_d.size(); ++i)
            delay_index_[distinct_d[i]] = static_cast<std::uint32_t>(i);
    } else {
        w.delay_mode = FieldMode::value;
        w.delay = value_bits;
    }
    // Target gap width: minimise sum over gaps g of (1 + g / escape) entries of (tb + wb + db) bits.
    const unsigned payload = w.weight + w.delay;
    const unsigned max_tb = std::min<unsigned>(PackedTable::max_field_bits, 64 - payload);
    if (force_target_bits) {
        if (force_target_bits > max_tb) throw std::logic_error("forced target width too large");
        w.target = force_target_bits;
    } else {
        // Fewest bits among widths whose escapes are at most 1 entry in 64: escapes are unpredictable
        // branches in delivery, and scripts/bench microbench measured 4-bit Brunel gaps (30% escapes)
        // decoding 3x slower than 6-bit ones for 5% fewer bytes.
        double best = std::numeric_limits<double>::infinity(), best_any = best;
        unsigned any_tb = 1;
        for (unsigned tb = 1; tb <= max_tb; ++tb) {
            const std::uint64_t escape = bits::mask(tb);
            double entries = 0.0, escapes = 0.0;
            for (std::uint64_t g = 0; g < gap_histogram_.size(); ++g)
                if (gap_histogram_[g]) {
                    entries += static_cast<double>(gap_histogram_[g]) * (1 + g / escape);
                    escapes += static_cast<double>(gap_histogram_[g]) * static_cast<double>(g / escape);
                }
            const double cost = entries * (tb + payload);
            if (cost < best_any) {
                best_any = cost;
                any_tb = tb;
            }
            if (escapes * 64.0 <= entries && cost < best) {
                best = cost;
                w.target = tb;
            }
        }
        if (!std::isfinite(best)) w.target = any_tb; // gap width capped by a wide payload
    }
    const std::uint64_t escape = bits::mask(w.target);
    chosen_entries_ = 0.0;
    for (std::uint64_t g = 0; g < gap_histogram_.size(); ++g)
        chosen_entries_ += static_cast<double>(gap_histogram_[g]) * static_cast<double>(1 + g / escape);
    table_.max_delay_ = std::max<std::uint32_t>(1, max_delay_);
    gap_histogram_.clear();
    gap_histogram_.shrink_to_fit();
    std::fill(last_target_.begin(), last_target_.end(), table_.target_base_);
    pass_ = 2;
}

void PackedTableBuilder::count(std::uint64_t row, std::uint64_t target) {
    const std::uint64_t escape = bits::mask(table_.widths_.target);
    const std::uint64_t entries = 1 + gap_to(row, target) / escape;
    const std::uint64_t total = table_.row_entries_[row] + entries;
    if (total > PackedTable::max_row_entries)
        throw ResourceError("a synaptic table row exceeds 2^32-1 entries (capacity limit)");
    table_.row_entries_[row] = static_cast<std::uint32_t>(total);
}

void PackedTableBuilder::allocate() {
    const unsigned eb = table_.widths_.entry();
    const std::uint64_t rows = table_.row_entries_.size();
    table_.row_word_.resize(rows + 1);
    std::uint64_t word = 0;
    for (std::uint64_t r = 0; r < rows; ++r) {
        table_.row_word_[r] = word;
        word += (static_cast<std::uint64_t>(table_.row_entries_[r]) * eb + 63) / 64;
    }
    table_.row_word_[rows] = word;
    // + padding word for the straddling reader. Fresh memory, default-constructed: zero, untouched.
    decltype(table_.words_)().swap(table_.words_);
    table_.words_.resize(word + 1);
    row_bit_.resize(rows);
    for (std::uint64_t r = 0; r < rows; ++r) row_bit_[r] = table_.row_word_[r] * 64;
    std::fill(last_target_.begin(), last_target_.end(), table_.target_base_);
    // Small tables stay in cache: there the FIFO only adds work (Brunel's 6 MB: 0.27 -> 0.29 s build).
    defer_writes_ = table_.words_.size() * sizeof(std::uint64_t) > defer_writes_above;
    pass_ = 3;
}

void PackedTableBuilder::allocate_rows_in_order() {
    const std::uint64_t rows = table_.row_entries_.size();
    table_.row_word_.assign(rows + 1, 0);
    // Reserved, not touched: the estimate (exact entries, half a word of alignment per row) keeps
    // growth rare, and untouched pages cost no memory.
    table_.words_ = {}; // fresh calloc'd words: zero past size() until the write pass grows into them
    table_.words_.reserve(estimated_bytes() / 8 + 2);
    row_bit_.assign(rows, 0);
    std::fill(last_target_.begin(), last_target_.end(), table_.target_base_);
    table_.synapses_ = 0; // counted as written: the statistics may have seen a sample of the rows
    in_order_ = true;
    defer_writes_ = false; // each row is written where it ends: nothing to prefetch
    open_row_ = 0;
    pass_ = 3;
}

void PackedTableBuilder::advance_to_row(std::uint64_t row) {
    const unsigned eb = table_.widths_.entry();
    for (; open_row_ < row; ++open_row_) {
        const std::uint64_t r = open_row_, start = table_.row_word_[r] * 64;
        const std::uint64_t entries = (row_bit_[r] - start) / eb;
        if (entries > PackedTable::max_row_entries)
            throw ResourceError("a synaptic table row exceeds 2^32-1 entries (capacity limit)");
        table_.row_entries_[r] = static_cast<std::uint32_t>(entries);
        table_.row_word_[r + 1] = table_.row_word_[r] + (entries * eb + 63) / 64;
        if (r + 1 < row_bit_.size()) row_bit_[r + 1] = table_.row_word_[r + 1] * 64;
    }
}

void PackedTableBuilder::write(std::uint64_t row, std::uint64_t target, double weight,
                               std::uint32_t delay_steps) {
    if (!defer_writes_) return write_now(row, target, weight, delay_steps);
    __builtin_prefetch(&last_target_[row], 1);
    __builtin_prefetch(&row_bit_[row], 1);
    if (pending_size_ == write_lookahead) {
        const PendingWrite oldest = pending_[pending_next_];
        // The words of a write halfway through the FIFO: its row's cursor has arrived by now (an
        // earlier pending write to the same row can only move it by a few bits).
        const PendingWrite& half = pending_[(pending_next_ + write_lookahead / 2) % write_lookahead];
        __builtin_prefetch(&table_.words_[row_bit_[half.row] / 64], 1);
        pending_[pending_next_] = {row, target, weight, delay_steps};
        pending_next_ = (pending_next_ + 1) % write_lookahead;
        write_now(oldest.row, oldest.target, oldest.weight, oldest.delay_steps);
        return;
    }
    pending_[(pending_next_ + pending_size_++) % write_lookahead] = {row, target, weight, delay_steps};
}

void PackedTableBuilder::flush_pending() {
    for (; pending_size_ > 0; --pending_size_, pending_next_ = (pending_next_ + 1) % write_lookahead) {
        const PendingWrite& p = pending_[pending_next_];
        write_now(p.row, p.target, p.weight, p.delay_steps);
    }
    pending_next_ = 0;
}

void PackedTableBuilder::write_now(std::uint64_t row, std::uint64_t target, double weight,
                                   std::uint32_t delay_steps) {
    const FieldWidths& w = table_.widths_;
    const unsigned eb = w.entry();
    const std::uint64_t escape = bits::mask(w.target);
    std::uint64_t gap = gap_to(row, target);
    if (in_order_) {
        if (row < open_row_) throw std::logic_error("PackedTableBuilder: rows out of order");
        advance_to_row(row);
        // room for the escapes and the entry, plus the padding word the reader may touch
        const std::uint64_t end_bit = row_bit_[row] + (gap / escape + 1) * eb;
        auto& words = table_.words_;
        if (end_bit / 64 + 2 > words.size()) {
            if (end_bit / 64 + 2 > words.capacity()) words.reserve((end_bit / 64 + 2) * 9 / 8);
            // Default-constructed words are not written (ZeroPageAllocator): past size() they are
            // still calloc's zeros, so growing a word at a time costs no memset call.
            words.resize(end_bit / 64 + 2);
        }
    }
    std::uint64_t& bit = row_bit_[row];
    for (; gap >= escape; gap -= escape, bit += eb) {
        bits::write(table_.words_.data(), bit, eb, escape);
        ++table_.escapes_;
    }
    std::uint64_t entry = gap;
    if (w.weight_mode == FieldMode::lookup)
        entry |= static_cast<std::uint64_t>(grid_step_ > 0.0 ? static_cast<std::uint32_t>(std::nearbyint(
                                                                   (weight - grid_low_) / grid_step_))
                                                             : weights_.at(weight))
                 << w.target;
    else if (w.weight_mode == FieldMode::value) {
        const std::uint32_t raw = std::bit_cast<std::uint32_t>(static_cast<float>(weight));
        entry |= static_cast<std::uint64_t>(weight_one_sign_ ? (raw & 0x7FFFFFFFu) - table_.weight_base_bits_
                                                             : raw)
                 << w.target;
    }
    if (w.delay_mode == FieldMode::lookup)
        entry |= static_cast<std::uint64_t>(delay_index_.at(delay_steps)) << (w.target + w.weight);
    else if (w.delay_mode == FieldMode::value)
        entry |= static_cast<std::uint64_t>(delay_steps) << (w.target + w.weight);
    bits::write(table_.words_.data(), bit, eb, entry);
    bit += eb;
    written_max_delay_ = std::max(written_max_delay_, delay_steps);
    written_min_delay_ = std::min(written_min_delay_, delay_steps);
    if (in_order_) ++table_.synapses_;
}

PackedTable PackedTableBuilder::finish() {
    flush_pending();
    if (in_order_) { // close the remaining rows; the words end with one padding word
        advance_to_row(table_.row_entries_.size());
        table_.words_.resize(table_.row_word_.back() + 1, 0);
        in_order_ = false;
    }
    // The largest delay actually stored (a preset range may reach further than the draws did).
    if (pass_ == 3) {
        table_.max_delay_ = std::max<std::uint32_t>(1, written_max_delay_);
        table_.min_delay_ = written_min_delay_;
    }
    last_target_ = {};
    row_bit_ = {};
    weights_ = {};
    delay_index_ = {};
    pass_ = 0;
    return std::move(table_);
}

std::uint64_t PackedTableBuilder::estimated_bytes() const {
    const double rows = static_cast<double>(table_.row_entries_.size());
    return static_cast<std::uint64_t>(chosen_entries_ * table_.widths_.entry() / 8.0 + rows * (8 + 4 + 4) +
                                      16 + table_.weight_lut_.size() * 8.0 + table_.delay_lut_.size() * 4.0);
}

std::uint64_t PackedTableBuilder::planned_bytes() const {
    const std::uint64_t rows = table_.row_entries_.size();
    std::uint64_t bits_total = 0;
    for (std::uint64_t r = 0; r < rows; ++r)
        bits_total +=
            (static_cast<std::uint64_t>(table_.row_entries_[r]) * table_.widths_.entry() + 63) / 64 * 64;
    return bits_total / 8 + 8 + (rows + 1) * 8 + rows * 4 + table_.weight_lut_.size() * 8 +
           table_.delay_lut_.size() * 4;
}

} // namespace nmsim
