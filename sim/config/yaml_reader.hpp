// Strict reading of YAML mappings shared by every nmsim file format (configs, chip profiles,
// sweeps): unknown or duplicate keys are errors, and every error names file:line:col and the key path.
#pragma once
#include <algorithm>
#include <set>
#include <string>
#include <vector>
#include <yaml-cpp/yaml.h>

#include "sim/spec/errors.hpp"

namespace nmsim {

// Where values came from, to build messages; overridden paths are reported as "--set".
struct Source {
    std::string file;
    std::set<std::string> overridden;
};

[[noreturn]] inline void fail(const Source& src, const YAML::Node& node, const std::string& path,
                              const std::string& what) {
    for (const auto& o : src.overridden)
        if (path == o || path.rfind(o + ".", 0) == 0) throw ConfigError("--set " + o, 0, 0, path, what);
    int line = 0, col = 0;
    if (node.IsDefined() && node.Mark().line >= 0) {
        line = node.Mark().line + 1;
        col = node.Mark().column + 1;
    }
    throw ConfigError(src.file, line, col, path, what);
}

inline std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
}

// Reads one YAML mapping, remembering which keys were used so unknown keys are errors.
class MapReader {
public:
    MapReader(const Source& src, const YAML::Node& node, std::string path, std::vector<std::string> allowed)
        : src_(src), node_(node), path_(std::move(path)), allowed_(std::move(allowed)) {
        if (!node.IsMap()) fail(src, node, path_, "must be a mapping");
        std::set<std::string> seen;
        for (const auto& kv : node) {
            const std::string key = kv.first.Scalar();
            if (!seen.insert(key).second) fail(src, kv.first, sub(key), "duplicate key");
            if (std::find(allowed_.begin(), allowed_.end(), key) == allowed_.end())
                fail(src, kv.first, sub(key), "unknown key (allowed: " + join(allowed_) + ")");
        }
    }
    YAML::Node get(const std::string& key) const { return node_[key]; }
    bool has(const std::string& key) const { return node_[key].IsDefined() && !node_[key].IsNull(); }
    YAML::Node require(const std::string& key) const {
        if (node_[key].IsDefined() && node_[key].IsNull())
            fail(src_, node_[key], sub(key), "must have a value");
        if (!has(key)) fail(src_, node_, sub(key), "required key is missing");
        return node_[key];
    }
    std::string sub(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
    const YAML::Node& node() const { return node_; }

private:
    const Source& src_;
    YAML::Node node_;
    std::string path_;
    std::vector<std::string> allowed_;
};

} // namespace nmsim
