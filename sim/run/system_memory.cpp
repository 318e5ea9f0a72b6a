#include "sim/run/system_memory.hpp"

#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <sys/resource.h>
#include <unistd.h>

#include "sim/spec/errors.hpp"

namespace nmsim {

std::uint64_t peak_rss_bytes() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<std::uint64_t>(u.ru_maxrss) * 1024;
}

std::uint64_t current_rss_bytes() {
    std::ifstream in("/proc/self/statm");
    std::uint64_t size = 0, resident = 0;
    in >> size >> resident;
    return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

std::uint64_t available_ram_bytes() {
    std::ifstream in("/proc/meminfo");
    std::string key;
    std::uint64_t kb = 0;
    std::string unit;
    while (in >> key >> kb >> unit)
        if (key == "MemAvailable:") return kb * 1024;
    return static_cast<std::uint64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
}

std::uint64_t parse_byte_size(const std::string& text) {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || v <= 0 || !std::isfinite(v))
        throw UsageError("--max-memory: expected a size like 512M or 2G, got '" + text + "'");
    const std::string suffix(end);
    double scale = 1;
    if (suffix == "K" || suffix == "k" || suffix == "KB")
        scale = 1024.0;
    else if (suffix == "M" || suffix == "MB")
        scale = 1024.0 * 1024;
    else if (suffix == "G" || suffix == "GB")
        scale = 1024.0 * 1024 * 1024;
    else if (!suffix.empty())
        throw UsageError("--max-memory: unknown unit '" + suffix + "' (use K, M or G)");
    return static_cast<std::uint64_t>(v * scale);
}

std::string format_bytes(std::uint64_t b) {
    if (b >= (1ull << 30)) return fmt::format("{:.2f} GB", b / 1073741824.0);
    if (b >= (1ull << 20)) return fmt::format("{:.1f} MB", b / 1048576.0);
    return fmt::format("{:.1f} KB", b / 1024.0);
}

} // namespace nmsim
