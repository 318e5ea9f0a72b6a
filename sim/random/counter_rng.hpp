// Counter-based random numbers (Random123 Philox4x32-10), keyed by ids, never by thread:
// a draw depends only on (seed, purpose, object ids, counter), so results are identical for any
// thread count or partitioning.
#pragma once
#include <Random123/philox.h>
#include <array>
#include <cmath>
#include <cstdint>

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
    stdp_rounding = 14   // stochastic rounding of a plastic weight: keyed by (projection, synapse, step)
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

// The counter words philox_block uses for (purpose, sub_id, object_id, counter).
inline std::array<std::uint32_t, 4> philox_counter(RngPurpose purpose, std::uint32_t sub_id,
                                                   std::uint64_t object_id, std::uint64_t counter) {
    return {static_cast<std::uint32_t>(counter), static_cast<std::uint32_t>(counter >> 32),
            static_cast<std::uint32_t>(object_id),
            (static_cast<std::uint32_t>(purpose) << 24) ^ (sub_id & 0xFFFFFFu) ^
                (static_cast<std::uint32_t>(object_id >> 32) << 12)};
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

// A sequential stream of draws for one object (a target neuron, a source row, ...).
class RandomStream {
public:
    RandomStream(std::uint64_t seed, RngPurpose purpose, std::uint32_t sub_id, std::uint64_t object_id)
        : seed_(seed), purpose_(purpose), sub_id_(sub_id), object_id_(object_id) {}

    std::uint32_t next_u32() {
        if (lane_ == 4) {
            block_ = philox_block(seed_, purpose_, sub_id_, object_id_, counter_++);
            lane_ = 0;
        }
        return block_[lane_++];
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
    std::uint32_t below32(std::uint32_t n) {
        std::uint64_t m = static_cast<std::uint64_t>(next_u32()) * n;
        if (static_cast<std::uint32_t>(m) < n) {
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
    std::array<std::uint32_t, 4> block_{};
    int lane_ = 4;
};

} // namespace nmsim
