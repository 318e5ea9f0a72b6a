// Reading and writing bit fields of any width 1..64 at any bit position of a 64-bit word array.
// Readers need one readable word past the last field (PackedTable keeps a padding word).
#pragma once
#include <cstdint>

namespace nmsim::bits {

constexpr std::uint64_t mask(unsigned width) {
    return width >= 64 ? ~0ull : (1ull << width) - 1;
}

// Bits needed to hold values 0..max_value (at least 1).
constexpr unsigned width_for(std::uint64_t max_value) {
    unsigned w = 1;
    while (w < 64 && (max_value >> w) != 0) ++w;
    return w;
}

// Value of `width` bits starting at `bit`; two loads, no branch on straddling.
inline std::uint64_t read(const std::uint64_t* words, std::uint64_t bit, unsigned width) {
    const std::uint64_t w = bit >> 6;
    const unsigned s = static_cast<unsigned>(bit & 63);
    const std::uint64_t lo = words[w] >> s;
    const std::uint64_t hi = (words[w + 1] << 1) << (63 - s); // s == 0 shifts the high word out entirely
    return (lo | hi) & mask(width);
}

// ORs `value` (already < 2^width) into zeroed bits.
inline void write(std::uint64_t* words, std::uint64_t bit, unsigned width, std::uint64_t value) {
    const std::uint64_t w = bit >> 6;
    const unsigned s = static_cast<unsigned>(bit & 63);
    words[w] |= value << s;
    if (s + width > 64) words[w + 1] |= value >> (64 - s);
}

} // namespace nmsim::bits
