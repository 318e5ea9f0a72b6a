// Process and machine memory figures for the memory guard and the run summary.
#pragma once
#include <cstdint>
#include <string>

namespace nmsim {

std::uint64_t peak_rss_bytes();      // high-water mark of this process
std::uint64_t current_rss_bytes();   // resident now
std::uint64_t available_ram_bytes(); // MemAvailable from /proc/meminfo
// "512M", "2G", "1500000" -> bytes; throws UsageError.
std::uint64_t parse_byte_size(const std::string& text);
std::string format_bytes(std::uint64_t bytes);

} // namespace nmsim
