// Loads a YAML config into a NetworkSpec with strict validation: any unknown key, wrong type,
// out-of-range value or dangling name raises ConfigError naming file:line:col and the key path.
#pragma once
#include <string>
#include <vector>

#include "sim/spec/capacity.hpp"
#include "sim/spec/network_spec.hpp"

namespace nmsim {

// `overrides` are "key.path=value" strings (the CLI's --set), applied before validation.
NetworkSpec load_config(const std::string& path, const std::vector<std::string>& overrides = {});

// Same, from text; `file_label` names the source in messages; relative paths resolve against base_dir.
NetworkSpec load_config_text(const std::string& text, const std::string& file_label,
                             const std::vector<std::string>& overrides = {},
                             const std::string& base_dir = ".");

} // namespace nmsim
