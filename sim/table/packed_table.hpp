// PackedTable: a bit-packed, source-indexed synaptic table (CSR). Each synapse stores only what
// varies, at the narrowest width this table needs, chosen from the data by PackedTableBuilder.
#pragma once
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/spec/capacity.hpp"
#include "sim/table/bit_io.hpp"
#include "sim/table/zero_page_allocator.hpp"

namespace nmsim {

// How weight and delay are stored: not at all (one value for the table), as an index into a
// lookup table, or as the value itself (weight: float32 bits; delay: steps).
enum class FieldMode : std::uint8_t { absent, lookup, value };
const char* to_string(FieldMode m);

// Entry layout, least significant bit first: [target gap | weight | delay]. A gap field equal to
// all ones is an escape: it advances the target by that much and carries no synapse.
struct FieldWidths {
    unsigned target = 1;
    unsigned weight = 0;
    unsigned delay = 0;
    FieldMode weight_mode = FieldMode::absent;
    FieldMode delay_mode = FieldMode::absent;
    unsigned entry() const { return target + weight + delay; }
};

class PackedTable {
public:
    // Limits (sim/spec/capacity.hpp, docs/capacity.md).
    static constexpr unsigned max_field_bits = max_table_field_bits;
    static constexpr std::uint64_t max_row_entries = max_table_row_entries;
    static constexpr std::size_t max_lookup_values = max_table_lookup_values;

    std::uint64_t rows() const { return row_entries_.size(); }
    std::uint64_t synapses() const { return synapses_; }
    const FieldWidths& widths() const { return widths_; }
    std::uint64_t target_base() const { return target_base_; }
    std::uint64_t escapes() const { return escapes_; }
    std::uint32_t max_delay_steps() const { return max_delay_; }
    // Every synapse's delay when the table stores none (delay mode absent).
    std::uint32_t delay_constant() const { return delay_constant_; }
    // The smallest delay written (~0u for a table without synapses; 0 when not known).
    std::uint32_t min_delay_steps() const { return min_delay_; }
    // Bytes held: packed words, row index, lookup tables.
    std::uint64_t bytes() const;
    // True when every weight the table can return is exactly a float32 (values are by construction).
    bool weights_are_float32() const;
    // +1: no weight is negative (w < 0.0 holds for none), -1: every weight is, 0: mixed.
    int weight_sign() const;

    // Calls f(target, weight, delay_steps) for every synapse of a row, targets ascending; returns
    // how many. f is copied once per row (keep state in references): a closure that holds its
    // values, not references to them, then lives in registers through the hot loop.
    template <class F> std::uint32_t for_each_synapse(std::uint64_t row, F&& f) const {
        // Entries of 17..57 bits are read by one unaligned load each: the bit-buffer refill would
        // branch unpredictably every entry or two (PD14's 44-bit entries: 2x slower delivery).
        const unsigned eb = widths_.entry();
        if (eb > 16 && eb <= 57) return dispatch<true>(row, f);
        return dispatch<false>(row, f);
    }

    // A row's targets minus `base` (as 32 bits) and delays into arrays with room for its synapses + 16
    // (the vector path stores whole blocks of 16), in for_each_synapse's order; returns the synapses.
    // Entries of up to 25 bits are decoded 16 at a time with AVX-512 VBMI where the build has it.
    std::uint32_t decode_targets(std::uint64_t row, std::uint64_t base, std::uint32_t* targets,
                                 std::uint32_t* delays) const;

    // Asks for a row's lines ahead of its decoding.
    void prefetch_row(std::uint64_t row) const {
        const auto* p = reinterpret_cast<const char*>(words_.data() + row_word_[row]);
        const std::uint64_t bytes = (std::uint64_t{row_entries_[row]} * widths_.entry() + 7) / 8;
        for (std::uint64_t k = 0; k < bytes; k += 64) __builtin_prefetch(p + k);
    }

private:
    friend class PackedTableBuilder;
    std::uint32_t decode_targets_blocks(std::uint64_t row, std::uint64_t base, std::uint32_t* targets,
                                        std::uint32_t* delays) const;

    template <bool Unaligned, class F> std::uint32_t dispatch(std::uint64_t row, F& f) const {
        switch (static_cast<int>(widths_.weight_mode) * 3 + static_cast<int>(widths_.delay_mode)) {
        case 0:
            return decode<FieldMode::absent, FieldMode::absent, Unaligned>(row, f);
        case 1:
            return decode<FieldMode::absent, FieldMode::lookup, Unaligned>(row, f);
        case 2:
            return decode<FieldMode::absent, FieldMode::value, Unaligned>(row, f);
        case 3:
            return decode<FieldMode::lookup, FieldMode::absent, Unaligned>(row, f);
        case 4:
            return decode<FieldMode::lookup, FieldMode::lookup, Unaligned>(row, f);
        case 5:
            return decode<FieldMode::lookup, FieldMode::value, Unaligned>(row, f);
        case 6:
            return decode<FieldMode::value, FieldMode::absent, Unaligned>(row, f);
        case 7:
            return decode<FieldMode::value, FieldMode::lookup, Unaligned>(row, f);
        default:
            return decode<FieldMode::value, FieldMode::value, Unaligned>(row, f);
        }
    }

    // The hot loop. Entries are read through a 64-bit bit buffer refilled one word at a time, or
    // (Unaligned, entries <= 57 bits) by an unaligned 64-bit load at the entry's byte; table
    // constants are copied to locals so stores through f cannot force reloads.
    template <FieldMode WM, FieldMode DM, bool Unaligned, class F>
    std::uint32_t decode(std::uint64_t row, F& f) const {
        // A functor that can bind a delay (the ring's slot for it) is bound once per row when the
        // delay is the table's constant: its per-event lookup would be a load GCC cannot hoist (it
        // sits behind the escape branch).
        if constexpr (DM == FieldMode::absent && requires { f.bind_delay(std::uint32_t{}); }) {
            auto bound = f.bind_delay(delay_constant_);
            return decode_entries<WM, DM, Unaligned>(row, bound);
        } else
            return decode_entries<WM, DM, Unaligned>(row, f);
    }

    template <FieldMode WM, FieldMode DM, bool Unaligned, class F>
    std::uint32_t decode_entries(std::uint64_t row, F& f) const {
        F fn = f; // see for_each_synapse
        const std::uint64_t* words = words_.data() + row_word_[row];
        const std::uint32_t n = row_entries_[row];
        const unsigned tb = widths_.target, wb = widths_.weight, db = widths_.delay, eb = tb + wb + db;
        const std::uint64_t escape = bits::mask(tb);
        // absent fields have no bits: the entry is its gap (GCC then masks once per entry, not twice)
        const std::uint64_t entry_mask =
            WM == FieldMode::absent && DM == FieldMode::absent ? escape : bits::mask(eb);
        const double weight_constant = weight_constant_;
        // offset + base never carries into the sign bit (magnitudes < 2^31): one add sets both
        const std::uint32_t weight_bits = weight_base_bits_ | weight_sign_bit_;
        const std::uint32_t delay_constant = delay_constant_;
        const double* weight_lut = weight_lut_.data();
        const std::uint32_t* delay_lut = delay_lut_.data();
        std::uint64_t target = target_base_;
        std::uint64_t buffer = words[0];
        unsigned have = 64; // valid bits left in buffer
        const unsigned char* bytes = reinterpret_cast<const unsigned char*>(words);
        std::uint64_t bit = 0;
        std::uint32_t escapes = 0;
        for (std::uint32_t i = 0; i < n; ++i) {
            std::uint64_t e;
            if constexpr (Unaligned) {
                std::uint64_t x;
                std::memcpy(&x, bytes + (bit >> 3), sizeof x); // the padding word keeps this in bounds
                e = (x >> (bit & 7)) & entry_mask;
                bit += eb;
            } else if (have >= eb) [[likely]] {
                e = buffer & entry_mask;
                buffer = eb < 64 ? buffer >> eb : 0;
                have -= eb;
            } else {
                const std::uint64_t next = *++words;
                e = (buffer | (next << have)) & entry_mask; // have < eb <= 64, so the shift is defined
                const unsigned used = eb - have;
                buffer = used < 64 ? next >> used : 0;
                have = 64 - used;
            }
            const std::uint64_t gap = e & escape;
            target += gap;
            if (gap == escape) [[unlikely]] {
                ++escapes;
                continue;
            }
            double w;
            if constexpr (WM == FieldMode::absent)
                w = weight_constant;
            else if constexpr (WM == FieldMode::lookup)
                w = weight_lut[(e >> tb) & bits::mask(wb)];
            else
                w = std::bit_cast<float>(static_cast<std::uint32_t>((e >> tb) & bits::mask(wb)) +
                                         weight_bits);
            std::uint32_t d;
            if constexpr (DM == FieldMode::absent)
                d = delay_constant;
            else if constexpr (DM == FieldMode::lookup)
                d = delay_lut[e >> (tb + wb)]; // the top field
            else                               // the top field: e holds no bits above it
                d = static_cast<std::uint32_t>(e >> (tb + wb));
            fn(target, w, d);
        }
        return n - escapes;
    }

    FieldWidths widths_;
    // Rows, each starting on a word; one padding word at the end. Zeroed lazily (ZeroPageAllocator).
    std::vector<std::uint64_t, ZeroPageAllocator<std::uint64_t>> words_;
    std::vector<std::uint64_t> row_word_;    // first word of each row
    std::vector<std::uint32_t> row_entries_; // entries (synapses + escapes) per row
    std::uint64_t target_base_ = 0;
    std::uint64_t synapses_ = 0;
    std::uint64_t escapes_ = 0;
    double weight_constant_ = 0.0;
    // value mode: float32 weights of one sign as offsets of their magnitude bits from the table's
    // smallest (PD14: 25 bits instead of 32); bit-exact.
    std::uint32_t weight_base_bits_ = 0, weight_sign_bit_ = 0;
    std::vector<double> weight_lut_;
    std::uint32_t delay_constant_ = 0;
    std::vector<std::uint32_t> delay_lut_;
    std::uint32_t max_delay_ = 1;
    std::uint32_t min_delay_ = 0;
};

// Builds a PackedTable in three streaming passes over the same synapse sequence, so no edge list
// is held: observe (statistics) -> choose widths -> count (row sizes) -> write. Within each row the
// targets must arrive in non-decreasing order; rows may interleave freely.
class PackedTableBuilder {
public:
    PackedTableBuilder(std::uint64_t rows, std::uint64_t target_base, std::uint64_t target_end);

    void observe(std::uint64_t row, std::uint64_t target, double weight, std::uint32_t delay_steps);
    // Layouts known before any synapse is seen, so the statistics pass needs no values: one weight
    // for the table, float32 values (continuous distributions: all distinct), or a lookup over fixed
    // levels (a quantisation grid); delays anywhere in [lo, hi] steps (the draws' reachable range).
    void preset_weight_constant(double weight);
    // (float32 values within [lowest, highest], the reachable range of the draws)
    void preset_weight_values(double lowest, double highest);
    void preset_weight_levels(const std::vector<double>& levels);
    // Levels low + k step, k < levels: write() finds a weight's index arithmetically, not by hashing.
    void preset_weight_grid(double low, double step, std::uint32_t levels);
    void preset_delays(std::uint32_t lo, std::uint32_t hi);
    // observe() for connectivity only, once weights and delays are preset.
    void observe_target(std::uint64_t row, std::uint64_t target) {
        gap_histogram_[gap_to(row, target)] += sample_weight_;
        table_.synapses_ += sample_weight_;
    }
    // observe_target() will see one row in `every`: each gap counts `every` times, so the width choice
    // and the size estimate stand for the whole table (write() counts the synapses exactly).
    void sample_rows(unsigned every) { sample_weight_ = every; }
    // Picks the widths minimising total bits. force_target_bits (1..32) overrides the gap width.
    void choose_widths(unsigned force_target_bits = 0);
    void count(std::uint64_t row, std::uint64_t target);
    void allocate();
    // Instead of count() + allocate(), when write() will visit rows in ascending order (source-driven
    // rules): each row is laid out as it is written, so the count pass is not needed. Same table.
    void allocate_rows_in_order();
    void write(std::uint64_t row, std::uint64_t target, double weight, std::uint32_t delay_steps);
    // allocate() holds writes in a FIFO for tables above defer_writes_above bytes; tests force it.
    void defer_writes(bool on) { defer_writes_ = on; }
    PackedTable finish();

    const FieldWidths& widths() const { return table_.widths_; }
    // Exact bytes the finished table will hold, known after count() / allocate().
    std::uint64_t planned_bytes() const;
    // Bytes estimated right after choose_widths(), without the count pass: exact entries, rows
    // assumed to waste half a word to alignment on average.
    std::uint64_t estimated_bytes() const;

private:
    std::uint64_t gap_to(std::uint64_t row, std::uint64_t target);
    // Rows-in-order writing: closes rows [open_row_, row) and opens `row`.
    void advance_to_row(std::uint64_t row);
    void write_now(std::uint64_t row, std::uint64_t target, double weight, std::uint32_t delay_steps);
    void flush_pending();

    // Writes into rows in any order (target-driven rules) wait `write_lookahead` writes in a FIFO, so
    // that each row's cursor and words are prefetched before they are written: a write per synapse
    // into a random row of a table larger than the caches otherwise waits on three misses
    // (configs/sparse_1m.yaml, 100 MB table: build 9.8-10.1 -> 5.5-5.8 s). The FIFO keeps the order
    // of the writes, so the table is the same.
    static constexpr std::size_t write_lookahead = 16;
    struct PendingWrite {
        std::uint64_t row, target;
        double weight;
        std::uint32_t delay_steps;
    };
    std::array<PendingWrite, write_lookahead> pending_{};
    std::size_t pending_next_ = 0, pending_size_ = 0;               // the oldest; how many wait
    static constexpr std::uint64_t defer_writes_above = 8ull << 20; // table bytes
    bool defer_writes_ = false; // allocate(): rows in any order, and a table larger than the above

    PackedTable table_;
    std::uint64_t target_end_;
    std::vector<std::uint64_t> last_target_; // per row, reset at the start of each pass
    std::vector<std::uint64_t> row_bit_;     // write cursor per row
    std::vector<std::uint64_t> gap_histogram_;
    std::unordered_map<double, std::uint32_t> weights_;
    // By delay in steps: unseen_delay, or seen (0 until choose_widths assigns its lookup index).
    static constexpr std::uint32_t unseen_delay = ~std::uint32_t{0};
    std::vector<std::uint32_t> delay_index_;
    std::uint32_t max_delay_ = 0;
    double last_weight_ = 0.0;
    enum class WeightPreset : std::uint8_t { none, values, levels } weight_preset_ = WeightPreset::none;
    double grid_low_ = 0.0, grid_step_ = 0.0; // preset_weight_grid: index = nearbyint((w - low) / step)
    double value_lo_ = 0.0, value_hi_ = 0.0;  // float32 values seen or preset, for the offset encoding
    bool weight_one_sign_ = false;            // value mode stores magnitude offsets
    std::uint32_t written_max_delay_ = 0, written_min_delay_ = ~0u;
    std::uint64_t sample_weight_ = 1;
    bool in_order_ = false;       // allocate_rows_in_order(): rows laid out as they are written
    std::uint64_t open_row_ = 0;  // in order: the row being written
    double chosen_entries_ = 0.0; // entries (synapses + escapes) at the chosen gap width
    int pass_ = 0;
};

} // namespace nmsim
