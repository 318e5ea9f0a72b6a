// Counter-based random numbers (Random123 Philox4x32-10), keyed by ids, never by thread:
// a draw depends only on (seed, purpose, object ids, counter), so results are identical for any
// thread count or partitioning.
#pragma once
#include <Random123/philox.h>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <immintrin.h>

namespace nmsim {

// What a stream is used for; part of the key so streams never overlap.
enum class RngPurpose : std::uint32_t {
    connect = 1,
    weight = 2,
    delay = 3,
    initial = 4,
    poisson = 5,
    connect_total = 6,   // fixed_total_number: the split of N over sources
    connect_tree = 7,    // source-driven rules: the split of a row over target blocks
    connect_block = 8,   // source-driven rules: the targets of a row inside one block
    synapse_value = 9,   // weight and delay of one synapse, keyed by (source, target, ordinal)
    spike_source = 10,   // spike_source_poisson: keyed by (population, neuron / 4, step)
    noise_current = 11,  // noisy current source: keyed by (stimulus, neuron, interval)
    connect_pair = 12,   // distance_dependent: one uniform per (projection, source, target index)
    poisson_stream = 13, // sparse Poisson stimulus: keyed by (stimulus, neuron, arrival index)
    stdp_rounding = 14,  // stochastic rounding of a plastic weight: keyed by (projection, synapse, step)
    connect_slots = 15   // fixed_indegree slot rows: the permutation's keys (node 0), the split (nodes >= 1)
};

using Philox = r123::Philox4x32;
__extension__ typedef unsigned __int128 uint128_t; // GCC/Clang extension, for 64x64->128 multiply

// Philox4x32-10 of N counters at once, in structure-of-arrays form so the compiler vectorises the
// rounds across counters (AVX2: 8 multiplies per instruction pair); bitwise philox_block's output
// (a unit test checks). On entry c[0..3][i] hold counter i, on return its four output words.
template <int N> inline void philox_batch(std::uint64_t seed, std::uint32_t (&c)[4][N]) {
    std::uint32_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
    for (int round = 0; round < 10; ++round) {
        for (int i = 0; i < N; ++i) {
            const std::uint64_t p0 = std::uint64_t{0xD2511F53u} * c[0][i],
                                p1 = std::uint64_t{0xCD9E8D57u} * c[2][i];
            const std::uint32_t n0 = static_cast<std::uint32_t>(p1 >> 32) ^ c[1][i] ^ k0;
            const std::uint32_t n2 = static_cast<std::uint32_t>(p0 >> 32) ^ c[3][i] ^ k1;
            c[1][i] = static_cast<std::uint32_t>(p1);
            c[3][i] = static_cast<std::uint32_t>(p0);
            c[0][i] = n0;
            c[2][i] = n2;
        }
        k0 += 0x9E3779B9u; // Weyl key schedule
        k1 += 0xBB67AE85u;
    }
}

#if defined(__AVX512F__)
// Sixteen counters, one per 32-bit lane: the high and low halves of the 32x32-bit products from
// vpmuludq on the even and the odd lanes. GCC's vectorisation of the loop above widened every word
// to 64 bits, multiplied with vpmullq and narrowed back (3x the instructions; PoissonDraw).
inline void philox_rounds16(std::uint64_t seed, __m512i (&x)[4]) {
    __m512i x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
    const __m512i m0 = _mm512_set1_epi64(0xD2511F53u), m1 = _mm512_set1_epi64(0xCD9E8D57u);
    constexpr __mmask16 odd = 0xAAAA;
    // The zero-masked forms with a full mask: the plain ones pass an undefined vector that GCC 12
    // reports as uninitialised (-Werror); the same instructions.
    const auto mul = [](__m512i a, __m512i b) { return _mm512_maskz_mul_epu32(0xFF, a, b); };
    const auto shr = [](__m512i a, unsigned n) { return _mm512_maskz_srli_epi64(0xFF, a, n); };
    const auto shl = [](__m512i a, unsigned n) { return _mm512_maskz_slli_epi64(0xFF, a, n); };
    std::uint32_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
    for (int round = 0; round < 10; ++round) {
        const __m512i e0 = mul(x0, m0), o0 = mul(shr(x0, 32), m0);
        const __m512i e1 = mul(x2, m1), o1 = mul(shr(x2, 32), m1);
        const __m512i hi0 = _mm512_mask_blend_epi32(odd, shr(e0, 32), o0);
        const __m512i hi1 = _mm512_mask_blend_epi32(odd, shr(e1, 32), o1);
        const __m512i lo0 = _mm512_mask_blend_epi32(odd, e0, shl(o0, 32));
        const __m512i lo1 = _mm512_mask_blend_epi32(odd, e1, shl(o1, 32));
        // xor of three: vpternlogd 0x96
        x0 = _mm512_ternarylogic_epi32(hi1, x1, _mm512_set1_epi32(static_cast<int>(k0)), 0x96);
        x2 = _mm512_ternarylogic_epi32(hi0, x3, _mm512_set1_epi32(static_cast<int>(k1)), 0x96);
        x1 = lo1;
        x3 = lo0;
        k0 += 0x9E3779B9u; // Weyl key schedule
        k1 += 0xBB67AE85u;
    }
    x[0] = x0;
    x[1] = x1;
    x[2] = x2;
    x[3] = x3;
}

template <> inline void philox_batch<16>(std::uint64_t seed, std::uint32_t (&c)[4][16]) {
    __m512i x[4];
    for (int w = 0; w < 4; ++w) x[w] = _mm512_loadu_si512(c[w]);
    philox_rounds16(seed, x);
    for (int w = 0; w < 4; ++w) _mm512_storeu_si512(c[w], x[w]);
}
#endif

// The counter words philox_block uses for (purpose, sub_id, object_id, counter).
inline std::array<std::uint32_t, 4> philox_counter(RngPurpose purpose, std::uint32_t sub_id,
                                                   std::uint64_t object_id, std::uint64_t counter) {
    return {static_cast<std::uint32_t>(counter), static_cast<std::uint32_t>(counter >> 32),
            static_cast<std::uint32_t>(object_id),
            (static_cast<std::uint32_t>(purpose) << 24) ^ (sub_id & 0xFFFFFFu) ^
                (static_cast<std::uint32_t>(object_id >> 32) << 12)};
}

#if defined(__AVX512F__)
// Sixteen blocks, one per lane of x[0..3] (word w of block k in lane k of x[w]), stored in block order:
// out[4k + w].
inline void philox_store16(const __m512i (&x)[4], std::uint32_t* out) {
    constexpr __mmask16 all = 0xFFFF;
    const __m512i t0 = _mm512_maskz_unpacklo_epi32(all, x[0], x[1]),
                  t1 = _mm512_maskz_unpackhi_epi32(all, x[0], x[1]);
    const __m512i t2 = _mm512_maskz_unpacklo_epi32(all, x[2], x[3]),
                  t3 = _mm512_maskz_unpackhi_epi32(all, x[2], x[3]);
    // u_j holds object 4l + j in its 128-bit lane l; a 4x4 transpose of lanes puts objects in order.
    const __m512i u0 = _mm512_maskz_unpacklo_epi64(0xFF, t0, t2),
                  u1 = _mm512_maskz_unpackhi_epi64(0xFF, t0, t2);
    const __m512i u2 = _mm512_maskz_unpacklo_epi64(0xFF, t1, t3),
                  u3 = _mm512_maskz_unpackhi_epi64(0xFF, t1, t3);
    const __m512i v0 = _mm512_maskz_shuffle_i32x4(all, u0, u1, 0x44),
                  v1 = _mm512_maskz_shuffle_i32x4(all, u2, u3, 0x44);
    const __m512i v2 = _mm512_maskz_shuffle_i32x4(all, u0, u1, 0xEE),
                  v3 = _mm512_maskz_shuffle_i32x4(all, u2, u3, 0xEE);
    _mm512_storeu_si512(out, _mm512_maskz_shuffle_i32x4(all, v0, v1, 0x88));
    _mm512_storeu_si512(out + 16, _mm512_maskz_shuffle_i32x4(all, v0, v1, 0xDD));
    _mm512_storeu_si512(out + 32, _mm512_maskz_shuffle_i32x4(all, v2, v3, 0x88));
    _mm512_storeu_si512(out + 48, _mm512_maskz_shuffle_i32x4(all, v2, v3, 0xDD));
}
#endif

// Sixteen Philox blocks whose counter words are first's, except word Lo, which counts up by one per block,
// and word Hi, which is last's from the block where Lo wraps round: 16 consecutive objects (Lo 2, Hi 3)
// or 16 consecutive counters of one object (Lo 0, Hi 1). first and last: philox_counter of blocks 0
// and 15. Out in block order: out[4k + w] is word w of block k.
template <int Lo, int Hi>
inline void philox_sequence16(std::uint64_t seed, const std::array<std::uint32_t, 4>& first,
                              const std::array<std::uint32_t, 4>& last, std::uint32_t* out) {
#if defined(__AVX512F__)
    // Counters built and outputs transposed in registers: through memory, each vector load waited for
    // the 16 scalar stores before it to forward (12 % of the Poisson drive's samples).
    const auto broadcast = [](std::uint32_t v) { return _mm512_set1_epi32(static_cast<int>(v)); };
    const __m512i k = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    __m512i x[4] = {broadcast(first[0]), broadcast(first[1]), broadcast(first[2]), broadcast(first[3])};
    x[Lo] = _mm512_add_epi32(x[Lo], k);
    x[Hi] = _mm512_mask_mov_epi32(x[Hi], _mm512_cmplt_epu32_mask(x[Lo], broadcast(first[Lo])),
                                  broadcast(last[Hi]));
    philox_rounds16(seed, x);
    philox_store16(x, out);
#else
    std::uint32_t c[4][16];
    for (std::uint32_t k = 0; k < 16; ++k) {
        for (int i = 0; i < 4; ++i) c[i][k] = first[i];
        c[Lo][k] = first[Lo] + k;
        if (c[Lo][k] < first[Lo]) c[Hi][k] = last[Hi];
    }
    philox_batch(seed, c);
    for (int k = 0; k < 16; ++k)
        for (int w = 0; w < 4; ++w) out[4 * k + w] = c[w][k];
#endif
}

// The Philox outputs of the 16 objects first_object + k under one (purpose, sub_id, counter), in object
// order: out[4k + w] is word w of philox_block(seed, purpose, sub_id, first_object + k, counter).
inline void philox_consecutive16(std::uint64_t seed, RngPurpose purpose, std::uint32_t sub_id,
                                 std::uint64_t first_object, std::uint64_t counter, std::uint32_t* out) {
    philox_sequence16<2, 3>(seed, philox_counter(purpose, sub_id, first_object, counter),
                            philox_counter(purpose, sub_id, first_object + 15, counter), out);
}

// The Philox outputs of one object's 16 counters first_counter + k, in counter order: out[4k + w] is
// word w of philox_block(seed, purpose, sub_id, object_id, first_counter + k).
inline void philox_counters16(std::uint64_t seed, RngPurpose purpose, std::uint32_t sub_id,
                              std::uint64_t object_id, std::uint64_t first_counter, std::uint32_t* out) {
    philox_sequence16<0, 1>(seed, philox_counter(purpose, sub_id, object_id, first_counter),
                            philox_counter(purpose, sub_id, object_id, first_counter + 15), out);
}

// Four 32-bit words for one (key, counter).
inline std::array<std::uint32_t, 4> philox_block(std::uint64_t seed, RngPurpose purpose, std::uint32_t sub_id,
                                                 std::uint64_t object_id, std::uint64_t counter) {
    Philox::key_type key = {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
    const auto words = philox_counter(purpose, sub_id, object_id, counter);
    Philox::ctr_type ctr = {{words[0], words[1], words[2], words[3]}};
    Philox gen;
    auto r = gen(ctr, key);
    return {r[0], r[1], r[2], r[3]};
}

// A sequential stream of draws for one object (a target neuron, a source row, ...), its Philox blocks
// computed one at a time (RandomStream) or 16 at a time (RandomStream16: the same draws in the same
// order, for streams that use many, such as a source row's targets in a block).
template <int Blocks> class BasicRandomStream {
    static_assert(Blocks == 1 || Blocks == 16);

public:
    BasicRandomStream(std::uint64_t seed, RngPurpose purpose, std::uint32_t sub_id, std::uint64_t object_id)
        : seed_(seed), purpose_(purpose), sub_id_(sub_id), object_id_(object_id) {}

    // (forced inline: GCC called the 16-block form per draw from a block's loop)
    __attribute__((always_inline)) std::uint32_t next_u32() {
        if (pos_ == 4 * Blocks) [[unlikely]] {
            if constexpr (Blocks == 1) {
                const auto block = philox_block(seed_, purpose_, sub_id_, object_id_, counter_);
                std::copy(block.begin(), block.end(), words_);
            } else {
                philox_counters16(seed_, purpose_, sub_id_, object_id_, counter_, words_);
            }
            counter_ += Blocks;
            pos_ = 0;
        }
        return words_[pos_++];
    }
    // Uniform in [0, 1) with 53 random bits.
    double uniform() {
        std::uint64_t hi = next_u32() >> 5, lo = next_u32() >> 6;
        return static_cast<double>((hi << 26) | lo) * 0x1.0p-53;
    }
    // Uniform in (0, 1): the midpoint of one of 2^52 cells, exactly representable, so never 0 or 1
    // (inverse CDFs stay finite).
    double open_uniform() { return open_uniform_from(next_u32(), next_u32()); }
    static double open_uniform_from(std::uint32_t a, std::uint32_t b) {
        return open_uniform_of_cell(cell_from(a, b));
    }
    // The same uniform as its cell index in [0, 2^52) (monotone: a larger cell, a larger uniform).
    static std::uint64_t cell_from(std::uint32_t a, std::uint32_t b) {
        return (static_cast<std::uint64_t>(a >> 6) << 26) | (b >> 6);
    }
    static double open_uniform_of_cell(std::uint64_t cell) {
        return (static_cast<double>(cell) + 0.5) * 0x1.0p-52;
    }
    // Uniform integer in [0, n) for n < 2^32 from one 32-bit draw, exactly uniform (Lemire 2019: the
    // rare draw in the biased sliver, probability < n / 2^32, is redrawn).
    __attribute__((always_inline)) std::uint32_t below32(std::uint32_t n) {
        std::uint64_t m = static_cast<std::uint64_t>(next_u32()) * n;
        if (static_cast<std::uint32_t>(m) < n) [[unlikely]] {
            const std::uint32_t threshold = static_cast<std::uint32_t>(-n) % n;
            while (static_cast<std::uint32_t>(m) < threshold) m = static_cast<std::uint64_t>(next_u32()) * n;
        }
        return static_cast<std::uint32_t>(m >> 32);
    }
    // Uniform integer in [0, n) (Lemire's multiply-shift; bias < n / 2^64, negligible).
    std::uint64_t below(std::uint64_t n) {
        std::uint64_t x = (static_cast<std::uint64_t>(next_u32()) << 32) | next_u32();
        return static_cast<std::uint64_t>((static_cast<uint128_t>(x) * n) >> 64);
    }

private:
    std::uint64_t seed_;
    RngPurpose purpose_;
    std::uint32_t sub_id_;
    std::uint64_t object_id_;
    std::uint64_t counter_ = 0;
    std::uint32_t words_[4 * Blocks];
    int pos_ = 4 * Blocks;
};
using RandomStream = BasicRandomStream<1>;
using RandomStream16 = BasicRandomStream<16>;

} // namespace nmsim
