// Decoding a packed row sixteen entries at a time with AVX-512 VBMI (PackedTable::decode_targets uses it
// for entries of up to 25 bits where the build has the instructions). A row starts on a word, and 16
// entries of eb bits span exactly 2 eb bytes, so every block puts lane i at the same byte (i eb / 8)
// and bit (i eb % 8) of its first byte: one byte permutation brings each lane its entry's four bytes,
// one variable shift aligns it (eb + 7 <= 32 bits), a prefix sum over the gaps gives the targets, and
// the caller compresses away the escapes.
#pragma once
#include <cstdint>

#include "sim/table/bit_io.hpp"

#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
#define NMSIM_ROW_BLOCKS 1
#include <immintrin.h>

namespace nmsim {

class RowBlocks {
public:
    static constexpr unsigned max_entry_bits = 25;
    // `bytes`: the row's first word; tb, eb: gap and entry widths; start: the running target before
    // the row's first gap (32 bits, relative to whatever base the caller chose; wraps like it).
    RowBlocks(const void* bytes, unsigned tb, unsigned eb, std::uint32_t start)
        : bytes_(static_cast<const std::uint8_t*>(bytes)), eb_(eb) {
        const __m512i lane_bit =
            _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                               _mm512_set1_epi32(static_cast<int>(eb)));
        // Byte k of lane i: its entry's first byte + k (k = 0..3).
        const __m512i first = _mm512_maskz_srli_epi32(all, lane_bit, 3);
        lane_bytes_ =
            _mm512_add_epi8(_mm512_or_si512(_mm512_or_si512(first, _mm512_maskz_slli_epi32(all, first, 8)),
                                            _mm512_or_si512(_mm512_maskz_slli_epi32(all, first, 16),
                                                            _mm512_maskz_slli_epi32(all, first, 24))),
                            _mm512_set1_epi32(0x03020100));
        lane_shift_ = _mm512_and_si512(lane_bit, _mm512_set1_epi32(7));
        gap_mask_ = _mm512_set1_epi32(static_cast<int>(bits::mask(tb)));
        running_ = _mm512_set1_epi32(static_cast<int>(start));
    }

    // The block of entries [16 b, 16 b + m), m <= 16: each lane's entry (bits above eb hold the next
    // ones) and running target; returns the lanes that are synapses (not escapes, not past m).
    __mmask16 next(std::uint32_t b, std::uint32_t m, __m512i& entry, __m512i& target) {
        // The bytes the block's lanes read: within the row, the next row or the table's padding word.
        const unsigned need = ((m - 1) * eb_ >> 3) + 4;
        const __mmask64 load = need >= 64 ? ~__mmask64{0} : (__mmask64{1} << need) - 1;
        const __m512i raw = _mm512_maskz_loadu_epi8(load, bytes_ + std::uint64_t{b} * 2 * eb_);
        entry = _mm512_maskz_srlv_epi32(all, _mm512_maskz_permutexvar_epi8(~__mmask64{0}, lane_bytes_, raw),
                                        lane_shift_);
        const __mmask16 valid = static_cast<__mmask16>((1u << m) - 1);
        __m512i gap = _mm512_maskz_and_epi32(valid, entry, gap_mask_);
        const __mmask16 synapse = _mm512_mask_cmpneq_epu32_mask(valid, gap, gap_mask_); // all ones: escape
        const __m512i zero = _mm512_setzero_si512();
        gap = _mm512_add_epi32(gap, _mm512_maskz_alignr_epi32(all, gap, zero, 15));
        gap = _mm512_add_epi32(gap, _mm512_maskz_alignr_epi32(all, gap, zero, 14));
        gap = _mm512_add_epi32(gap, _mm512_maskz_alignr_epi32(all, gap, zero, 12));
        gap = _mm512_add_epi32(gap, _mm512_maskz_alignr_epi32(all, gap, zero, 8));
        target = _mm512_add_epi32(gap, running_);
        running_ = _mm512_maskz_permutexvar_epi32(all, _mm512_set1_epi32(15), target);
        return synapse;
    }

private:
    // (maskz forms throughout: the unmasked ones trip GCC 12's -Wuninitialized on _mm512_undefined)
    static constexpr __mmask16 all = 0xFFFF;
    const std::uint8_t* bytes_;
    unsigned eb_;
    __m512i lane_bytes_, lane_shift_, gap_mask_, running_;
};

} // namespace nmsim
#endif
