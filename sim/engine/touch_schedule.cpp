#include "sim/engine/touch_schedule.hpp"

#if defined(__AVX512VBMI2__) && defined(__AVX512BW__)
#include <immintrin.h>
#endif

namespace nmsim {

namespace {

// The positions of the set bits of bits[0, words) (bit b of word w is 64 w + b), ascending, into `out`,
// which has room for their count + 16; the words are cleared. Returns the count.
std::size_t take_set_bits(std::uint64_t* bits, std::uint64_t words, std::uint32_t* out) {
    std::uint32_t* o = out;
#if defined(__AVX512VBMI2__) && defined(__AVX512BW__)
    // A word's positions by one byte compress, without a branch per word: on a busy step about half the
    // words hold a mark, and the scalar loop's test of each word mispredicted that often.
    const __m512i iota =
        _mm512_set_epi8(63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43,
                        42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22,
                        21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    // maskz forms throughout: GCC 12 warns that the plain ones' undefined source may be uninitialised
    const __mmask16 all = 0xFFFF;
    for (std::uint64_t w = 0; w < words; ++w) {
        const std::uint64_t m = bits[w];
        bits[w] = 0;
        const __m512i pos = _mm512_maskz_compress_epi8(m, iota);
        const __m512i base = _mm512_set1_epi32(static_cast<int>(w * 64));
        // positions 16 Q .. 16 Q + 15, widened to 32 bits, stored whatever the count (the room past it)
        const auto put = [&]<int Q>() {
            _mm512_storeu_si512(
                o + 16 * Q,
                _mm512_add_epi32(
                    _mm512_maskz_cvtepu8_epi32(all, _mm512_maskz_extracti32x4_epi32(0xF, pos, Q)), base));
        };
        put.template operator()<0>();
        const int c = std::popcount(m);
        if (c > 16) [[unlikely]] { // rarely more than 16 of a word's 64 neurons at once
            put.template operator()<1>();
            if (c > 32) put.template operator()<2>();
            if (c > 48) put.template operator()<3>();
        }
        o += c;
    }
#else
    for (std::uint64_t w = 0; w < words; ++w)
        for (std::uint64_t word = std::exchange(bits[w], 0); word; word &= word - 1)
            *o++ = static_cast<std::uint32_t>(w * 64 + std::countr_zero(word));
#endif
    return static_cast<std::size_t>(o - out);
}

} // namespace

const std::vector<std::uint32_t>& TouchSchedule::take(std::uint64_t step) {
    const std::uint64_t s = step % slots_;
    std::uint64_t* bits = bits_.data() + s * words_;
    std::vector<std::uint32_t>& list = lists_[s];
    // Unless very few are marked, reading the bitmap in order is cheaper than sorting the list. Each
    // neuron is listed once per slot, so the list's length is the bitmap's count.
    if (list.size() * 16 > words_) {
        taken_.resize(list.size() + 16);
        taken_.resize(take_set_bits(bits, words_, taken_.data()));
        list.clear();
        return taken_;
    }
    taken_.swap(list);
    list.clear();
    if (!std::is_sorted(taken_.begin(), taken_.end())) std::sort(taken_.begin(), taken_.end());
    for (const std::uint32_t t : taken_) bits[t >> 6] = 0;
    return taken_;
}

} // namespace nmsim
