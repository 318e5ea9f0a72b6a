// The one exception hierarchy of nmsim. Each failure kind has its own type; the CLI maps
// types to exit codes in exactly one place (sim/cli/exit_codes.hpp).
#pragma once
#include <stdexcept>
#include <string>

namespace nmsim {

// Base of every error nmsim reports to a user.
struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A configuration file (or --set override) is wrong. Carries where and which key.
struct ConfigError : Error {
    std::string file;     // config file path, or "--set" for an override
    int line = 0;         // 1-based; 0 when unknown
    int column = 0;       // 1-based; 0 when unknown
    std::string key_path; // e.g. "projections.IE.synapse.delay"
    std::string detail;   // what is wrong, without the location

    ConfigError(std::string file_, int line_, int column_, std::string key_path_, std::string detail_)
        : Error(format(file_, line_, column_, key_path_, detail_)), file(std::move(file_)), line(line_),
          column(column_), key_path(std::move(key_path_)), detail(std::move(detail_)) {}

    static std::string format(const std::string& f, int l, int c, const std::string& key,
                              const std::string& d) {
        std::string s = f;
        if (l > 0) s += ":" + std::to_string(l) + ":" + std::to_string(c);
        s += ": ";
        if (!key.empty()) s += key + ": ";
        return s + d;
    }
};

// The command line itself is wrong (unknown flag, bad value).
struct UsageError : Error {
    using Error::Error;
};

// The run would exceed a resource limit (memory guard) or a documented capacity limit.
struct ResourceError : Error {
    using Error::Error;
};

// Reading or writing a file failed.
struct IoError : Error {
    using Error::Error;
};

} // namespace nmsim
