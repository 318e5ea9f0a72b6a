#include "sim/sweep/sweep_spec.hpp"

#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "sim/config/yaml_reader.hpp"
#include "sim/random/counter_rng.hpp"

namespace nmsim {

const std::vector<std::string>& known_metrics() {
    static const std::vector<std::string> m = {"mean_rate", "cv_isi", "fano", "table_bytes", "wall_s"};
    return m;
}

std::string fnv1a_hex(const std::string& text) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
    return fmt::format("{:016x}", h);
}

std::vector<std::string> SweepPoint::overrides() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : values) out.push_back(k + "=" + v);
    return out;
}

namespace {

std::string read_file(const std::string& path, const std::string& what) {
    std::ifstream in(path);
    if (!in) throw ConfigError(path, 0, 0, "", "cannot read the " + what);
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

std::vector<std::string> scalar_list(const Source& src, const YAML::Node& n, const std::string& path) {
    if (!n.IsSequence() || n.size() == 0) fail(src, n, path, "must be a non-empty list of values");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n.size(); ++i) {
        if (!n[i].IsScalar()) fail(src, n[i], path + "[" + std::to_string(i) + "]", "must be a single value");
        out.push_back(n[i].Scalar());
    }
    return out;
}

double number(const Source& src, const YAML::Node& n, const std::string& path) {
    char* end = nullptr;
    if (n.IsScalar()) {
        const double v = std::strtod(n.Scalar().c_str(), &end);
        if (end != n.Scalar().c_str() && *end == '\0' && std::isfinite(v)) return v;
    }
    fail(src, n, path, "must be a number");
}

std::uint64_t count(const Source& src, const YAML::Node& n, const std::string& path, std::uint64_t lo,
                    std::uint64_t hi) {
    const double v = number(src, n, path);
    if (v != std::floor(v) || v < static_cast<double>(lo) || v > static_cast<double>(hi))
        fail(src, n, path, fmt::format("must be a whole number from {} to {}", lo, hi));
    return static_cast<std::uint64_t>(v);
}

} // namespace

SweepSpec load_sweep(const std::string& path) {
    SweepSpec s;
    s.file = path;
    s.text = read_file(path, "sweep file");
    Source src{path, {}};
    YAML::Node root;
    try {
        root = YAML::Load(s.text);
    } catch (const YAML::ParserException& e) {
        throw ConfigError(path, e.mark.line + 1, e.mark.column + 1, "", "malformed YAML: " + e.msg);
    }
    if (!root.IsDefined() || root.IsNull()) throw ConfigError(path, 1, 1, "", "empty sweep file");
    MapReader top(src, root, "",
                  {"sweep", "base", "grid", "zip", "random", "repeats", "set", "metrics", "output"});
    const YAML::Node version = top.require("sweep");
    if (!version.IsScalar() || version.Scalar() != "1")
        fail(src, version, "sweep", "sweep file version must be 1");
    const YAML::Node base = top.require("base");
    if (!base.IsScalar()) fail(src, base, "base", "must be a config path");
    std::filesystem::path b = base.Scalar();
    if (b.is_relative()) b = std::filesystem::path(path).parent_path() / b;
    if (!std::filesystem::is_regular_file(b)) fail(src, base, "base", "no such config: " + b.string());
    s.base = b.lexically_normal().string();
    s.base_text = read_file(s.base, "base config");

    auto key_lists = [&](const char* section, auto& out) {
        if (!top.has(section)) return;
        const YAML::Node n = top.get(section);
        if (!n.IsMap() || n.size() == 0)
            fail(src, n, section, "must map config key paths to lists of values");
        MapReader dup(src, n, section, [&] {
            std::vector<std::string> k;
            for (const auto& kv : n) k.push_back(kv.first.Scalar());
            return k;
        }()); // rejects duplicate keys
        for (const auto& kv : n)
            out.emplace_back(kv.first.Scalar(),
                             scalar_list(src, kv.second, std::string(section) + "." + kv.first.Scalar()));
    };
    key_lists("grid", s.grid);
    key_lists("zip", s.zip);
    for (const auto& [k, v] : s.zip)
        if (v.size() != s.zip.front().second.size())
            fail(src, top.get("zip")[k], "zip." + k,
                 fmt::format("has {} values but zip.{} has {}: zipped lists pair up", v.size(),
                             s.zip.front().first, s.zip.front().second.size()));
    if (top.has("random")) {
        MapReader r(src, top.get("random"), "random", {"n", "seed", "ranges"});
        s.random_n = count(src, r.require("n"), "random.n", 1, 1000000);
        s.random_seed = r.has("seed") ? count(src, r.get("seed"), "random.seed", 0, 1ull << 53) : 1;
        const YAML::Node ranges = r.require("ranges");
        if (!ranges.IsMap() || ranges.size() == 0)
            fail(src, ranges, "random.ranges", "must map keys to {uniform|log_uniform: [low, high]}");
        for (const auto& kv : ranges) {
            const std::string key = kv.first.Scalar(), p = "random.ranges." + key;
            MapReader d(src, kv.second, p, {"uniform", "log_uniform"});
            if (kv.second.size() != 1) fail(src, kv.second, p, "give exactly one of uniform, log_uniform");
            RandomRange rr;
            rr.key = key;
            rr.log_uniform = d.has("log_uniform");
            const std::string dk = rr.log_uniform ? "log_uniform" : "uniform";
            const YAML::Node lh = d.get(dk);
            if (!lh.IsSequence() || lh.size() != 2) fail(src, lh, p + "." + dk, "must be [low, high]");
            rr.low = number(src, lh[0], p + "." + dk + "[0]");
            rr.high = number(src, lh[1], p + "." + dk + "[1]");
            if (!(rr.low < rr.high)) fail(src, lh, p + "." + dk, "low must be < high");
            if (rr.log_uniform && rr.low <= 0) fail(src, lh, p + "." + dk, "log_uniform needs low > 0");
            s.random.push_back(rr);
        }
    }
    if (s.grid.empty() && s.zip.empty() && s.random.empty())
        fail(src, root, "grid", "a sweep needs at least one of grid, zip or random");
    // A key may be swept once.
    std::vector<std::string> keys = swept_keys(s);
    for (std::size_t i = 0; i < keys.size(); ++i)
        for (std::size_t j = i + 1; j < keys.size(); ++j)
            if (keys[i] == keys[j]) fail(src, root, keys[i], "is swept twice (in grid, zip or random)");
    if (top.has("repeats")) s.repeats = count(src, top.get("repeats"), "repeats", 1, 100000);
    if (top.has("set")) {
        const YAML::Node set = top.get("set");
        if (!set.IsMap()) fail(src, set, "set", "must map config key paths to values fixed for every point");
        for (const auto& kv : set) {
            if (!kv.second.IsScalar())
                fail(src, kv.second, "set." + kv.first.Scalar(), "must be a single value");
            s.fixed.push_back(kv.first.Scalar() + "=" + kv.second.Scalar());
        }
    }
    s.metrics = known_metrics();
    if (top.has("metrics")) {
        s.metrics = scalar_list(src, top.get("metrics"), "metrics");
        for (std::size_t i = 0; i < s.metrics.size(); ++i)
            if (std::find(known_metrics().begin(), known_metrics().end(), s.metrics[i]) ==
                known_metrics().end())
                fail(src, top.get("metrics")[i], "metrics[" + std::to_string(i) + "]",
                     "unknown metric '" + s.metrics[i] + "' (known: " + join(known_metrics()) + ")");
    }
    const YAML::Node out = top.require("output");
    if (!out.IsScalar() || out.Scalar().empty()) fail(src, out, "output", "must be a folder path");
    s.output = out.Scalar();
    s.hash = fnv1a_hex(s.text + '\0' + s.base_text);
    return s;
}

std::vector<std::string> swept_keys(const SweepSpec& spec) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : spec.grid) keys.push_back(k);
    for (const auto& [k, v] : spec.zip) keys.push_back(k);
    for (const auto& r : spec.random) keys.push_back(r.key);
    return keys;
}

std::vector<SweepPoint> expand_sweep(const SweepSpec& spec, std::uint64_t base_seed) {
    // Rows of values: grid (cartesian, first key slowest) x zip rows x random samples.
    std::vector<std::vector<std::pair<std::string, std::string>>> rows = {{}};
    for (const auto& [key, values] : spec.grid) {
        std::vector<std::vector<std::pair<std::string, std::string>>> next;
        for (const auto& row : rows)
            for (const auto& v : values) {
                next.push_back(row);
                next.back().emplace_back(key, v);
            }
        rows = std::move(next);
    }
    if (!spec.zip.empty()) {
        std::vector<std::vector<std::pair<std::string, std::string>>> next;
        for (const auto& row : rows)
            for (std::size_t i = 0; i < spec.zip.front().second.size(); ++i) {
                next.push_back(row);
                for (const auto& [key, values] : spec.zip) next.back().emplace_back(key, values[i]);
            }
        rows = std::move(next);
    }
    if (!spec.random.empty()) {
        std::vector<std::vector<std::pair<std::string, std::string>>> next;
        for (const auto& row : rows)
            for (std::uint64_t k = 0; k < spec.random_n; ++k) {
                next.push_back(row);
                RandomStream rng(spec.random_seed, RngPurpose::connect, 0xFFFFFF, k); // own stream per sample
                for (const auto& r : spec.random) {
                    const double u = rng.uniform();
                    const double v =
                        r.log_uniform ? std::exp(std::log(r.low) + u * (std::log(r.high) - std::log(r.low)))
                                      : r.low + u * (r.high - r.low);
                    next.back().emplace_back(r.key, fmt::format("{:.17g}", v));
                }
            }
        rows = std::move(next);
    }
    std::vector<SweepPoint> points;
    const std::size_t width = std::max<std::size_t>(6, std::to_string(rows.size() * spec.repeats).size());
    for (const auto& row : rows)
        for (std::uint64_t rep = 0; rep < spec.repeats; ++rep) {
            SweepPoint p;
            p.index = points.size();
            p.id = fmt::format("{:0{}}", p.index, width);
            p.values = row;
            p.repeat = rep;
            // Seeds derived from (base seed, point, repeat): a 53-bit draw of their own counter stream.
            const auto block = philox_block(base_seed, RngPurpose::initial, 0xFFFFFE, p.index, rep);
            p.seed = ((static_cast<std::uint64_t>(block[0]) << 32) | block[1]) & ((1ull << 53) - 1);
            points.push_back(std::move(p));
        }
    return points;
}

} // namespace nmsim
