// Sweep files: a base config plus the values to vary (grid, zip, random, repeats), expanded into
// points. Validated as strictly as configs; every point is also checked against the base config.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace nmsim {

struct RandomRange {
    std::string key;
    bool log_uniform = false;
    double low = 0, high = 0;
};

struct SweepSpec {
    std::string file, base;      // base resolved against the sweep file's folder
    std::string text, base_text; // for the hash and provenance
    std::vector<std::pair<std::string, std::vector<std::string>>> grid; // key -> values (YAML scalars)
    std::vector<std::pair<std::string, std::vector<std::string>>> zip;  // paired lists
    std::uint64_t random_n = 0, random_seed = 0;
    std::vector<RandomRange> random;
    std::uint64_t repeats = 1;
    std::vector<std::string> fixed;   // "key=value" applied to every point
    std::vector<std::string> metrics; // mean_rate, cv_isi, fano, table_bytes, wall_s
    std::string output;               // resolved against the current folder
    std::string hash;                 // of sweep text + base text (hex)
};

struct SweepPoint {
    std::uint64_t index = 0;
    std::string id;                                          // "000012"
    std::vector<std::pair<std::string, std::string>> values; // swept key -> value
    std::uint64_t repeat = 0;
    std::uint64_t seed = 0;
    std::vector<std::string> overrides() const; // fixed + values as key=value
};

SweepSpec load_sweep(const std::string& path);
// All points in order: grid axes (first key slowest), then zip, then random samples, repeats innermost.
std::vector<SweepPoint> expand_sweep(const SweepSpec& spec, std::uint64_t base_seed);
// Names of the swept keys in point order.
std::vector<std::string> swept_keys(const SweepSpec& spec);

const std::vector<std::string>& known_metrics();
std::string fnv1a_hex(const std::string& text);

} // namespace nmsim
