// A keyed pseudo-random permutation of [0, a * b), evaluated pointwise in both directions: what lets
// fixed_indegree rows be regenerated from their source (sim/build/connectivity.hpp, "slot rows").
//
// A Feistel network over Z_a x Z_b (as format-preserving encryption does for numeral strings): x is
// the pair (L, R) = (x / b, x % b), and a round maps (L, R) to (R, (L + F(R)) mod m_L), so the parts
// swap moduli from round to round; every round is invertible whatever F is, and after an even number
// of rounds the pair is (L, R) in Z_a x Z_b again, x' = L * b + R. a ~ b ~ sqrt(size), so a domain
// just above the slot count needs no power of two (no unused half to skip). F is a 32-bit integer
// hash (two multiplies, three xor-shifts: "lowbias32") of R xor a round key, scaled to [0, m) by a
// multiply-shift; the keys come from Philox keyed by (seed, projection). Six rounds: four make a
// Feistel network with random round functions a strong pseudo-random permutation (Luby-Rackoff),
// two more for the hash standing in for them.
// Domains up to 2^32 use 16-bit moduli and ((h >> 16) * m) >> 16, 32-bit arithmetic that runs 16
// lanes at once (forward16); larger ones (h * m) >> 32 in 64 bits. Which one depends on the size
// only, so every path gives the same permutation.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <immintrin.h>

namespace nmsim {

class SlotPermutation {
public:
    static constexpr int rounds = 6;

    SlotPermutation() = default;
    // A permutation of [0, a * b) for a domain of at least `n` values (n <= 2^48); one key per round.
    SlotPermutation(std::uint64_t n, const std::array<std::uint32_t, rounds>& keys) : keys_(keys) {
        a_ = std::max<std::uint64_t>(
            64, static_cast<std::uint64_t>(std::ceil(std::sqrt(static_cast<double>(n)))));
        b_ = std::max<std::uint64_t>(64, (n + a_ - 1) / a_);
        if (a_ * b_ > (std::uint64_t{1} << 32))
            wide_ = true;
        else if (a_ > 65536 || b_ > 65536) { // a * b <= 2^32 with a part past 16 bits: square it up
            a_ = b_ = 65536;
        }
    }
    bool valid() const { return a_ != 0; }
    std::uint64_t size() const { return a_ * b_; }
    bool wide() const { return wide_; }

    std::uint64_t operator()(std::uint64_t x) const {
        std::uint64_t l = x / b_, r = x % b_, ml = a_, mr = b_;
        for (int i = 0; i < rounds; ++i) {
            const std::uint64_t nl = r,
                                nr =
                                    add_mod(l, scale(hash(static_cast<std::uint32_t>(r) ^ keys_[i]), ml), ml);
            l = nl;
            r = nr;
            std::swap(ml, mr);
        }
        return l * b_ + r;
    }
    std::uint64_t inverse(std::uint64_t y) const {
        // After an even number of rounds the moduli are (a, b) again; round i ran with L in Z_a for
        // even i, in Z_b for odd i.
        std::uint64_t l = y / b_, r = y % b_;
        for (int i = rounds - 1; i >= 0; --i) {
            const std::uint64_t ml = i % 2 == 0 ? a_ : b_; // the modulus of L before round i
            const std::uint64_t f = scale(hash(static_cast<std::uint32_t>(l) ^ keys_[i]), ml);
            const std::uint64_t pl = r >= f ? r - f : r + ml - f, pr = l;
            l = pl;
            r = pr;
        }
        return l * b_ + r;
    }

#if defined(__AVX512F__)
    // The 16 N consecutive values first, first + 1, ... as their parts (L, R), lane by lane (N <= 4:
    // b >= 64, so the lanes wrap R at most once).
    template <int N> void parts16(std::uint64_t first, __m512i (&l)[N], __m512i (&r)[N]) const {
        static_assert(N <= 4);
        const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        const __m512i vb = _mm512_set1_epi32(static_cast<int>(b_));
        const __m512i l0 = _mm512_set1_epi32(static_cast<int>(first / b_));
        const auto r0 = static_cast<std::uint32_t>(first % b_);
        for (int j = 0; j < N; ++j) {
            r[j] = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(r0 + 16 * j)), iota);
            const __mmask16 wrap = _mm512_cmpge_epu32_mask(r[j], vb);
            r[j] = _mm512_mask_sub_epi32(r[j], wrap, r[j], vb);
            l[j] = _mm512_mask_add_epi32(l0, wrap, l0, _mm512_set1_epi32(1));
        }
    }
    // N x 16 values of a domain up to 2^32 (!wide()), given as their parts (L, R); returns x' per lane
    // in l, the same as operator(). N independent vectors side by side hide the rounds' latency
    // (two multiplies and a dozen dependent steps each).
    template <int N> void forward16(__m512i (&l)[N], __m512i (&r)[N]) const {
        for (int k = 0; k < rounds; ++k) {
            const __m512i ml = modulus16(k), key = _mm512_set1_epi32(static_cast<int>(keys_[k]));
            for (int j = 0; j < N; ++j) {
                __m512i nr = _mm512_add_epi32(l[j], round16(r[j], key, ml));
                nr = _mm512_mask_sub_epi32(nr, _mm512_cmpge_epu32_mask(nr, ml), nr, ml);
                l[j] = r[j];
                r[j] = nr;
            }
        }
        join16(l, r);
    }
    // The inverse of forward16: N x 16 images as their parts (L, R) in, the preimages in l.
    template <int N> void inverse16(__m512i (&l)[N], __m512i (&r)[N]) const {
        for (int k = rounds - 1; k >= 0; --k) {
            const __m512i ml = modulus16(k), key = _mm512_set1_epi32(static_cast<int>(keys_[k]));
            for (int j = 0; j < N; ++j) {
                const __m512i f = round16(l[j], key, ml);
                __m512i pl = _mm512_sub_epi32(r[j], f);
                pl = _mm512_mask_add_epi32(pl, _mm512_cmplt_epu32_mask(r[j], f), pl, ml);
                r[j] = l[j];
                l[j] = pl;
            }
        }
        join16(l, r);
    }
#endif
    std::uint64_t part_modulus() const {
        return b_;
    } // x = L * b + R

    // F: lowbias32 (Chris Wellons' hash-prospector), a bijection of 32-bit words with good avalanche.
    static std::uint32_t hash(std::uint32_t x) {
        x ^= x >> 16;
        x *= 0x7feb352du;
        x ^= x >> 15;
        x *= 0x846ca68bu;
        x ^= x >> 16;
        return x;
    }

private:
#if defined(__AVX512F__)
    // The zero-masked forms with full masks: GCC 12 reports the plain ones' undefined source vector
    // (-Werror). F scaled to [0, m): ((hash(part ^ key) >> 16) * m) >> 16, as scale() for !wide().
    static __m512i mul16(__m512i x, __m512i y) {
        return _mm512_maskz_mullo_epi32(0xFFFF, x, y);
    }
    static __m512i srl16(__m512i x, unsigned n) {
        return _mm512_maskz_srli_epi32(0xFFFF, x, n);
    }
    static __m512i round16(__m512i part, __m512i key, __m512i m) {
        __m512i h = _mm512_xor_si512(part, key);
        h = mul16(_mm512_xor_si512(h, srl16(h, 16)), _mm512_set1_epi32(0x7feb352d));
        h = mul16(_mm512_xor_si512(h, srl16(h, 15)), _mm512_set1_epi32(static_cast<int>(0x846ca68bu)));
        h = _mm512_xor_si512(h, srl16(h, 16));
        return srl16(mul16(srl16(h, 16), m), 16);
    }
    // The modulus of L in round k: a for even rounds, b for odd.
    __m512i modulus16(int k) const {
        return _mm512_set1_epi32(static_cast<int>(k % 2 == 0 ? a_ : b_));
    }
    template <int N> void join16(__m512i (&l)[N], const __m512i (&r)[N]) const {
        for (int j = 0; j < N; ++j)
            l[j] = _mm512_add_epi32(mul16(l[j], _mm512_set1_epi32(static_cast<int>(b_))), r[j]);
    }
#endif
    std::uint64_t scale(std::uint32_t h, std::uint64_t m) const {
        return wide_ ? (std::uint64_t{h} * m) >> 32 : (std::uint64_t{h >> 16} * m) >> 16;
    }
    static std::uint64_t add_mod(std::uint64_t x, std::uint64_t f, std::uint64_t m) {
        const std::uint64_t s = x + f;
        return s >= m ? s - m : s;
    }

    std::uint64_t a_ = 0, b_ = 0;
    bool wide_ = false;
    std::array<std::uint32_t, rounds> keys_{};
};

} // namespace nmsim
