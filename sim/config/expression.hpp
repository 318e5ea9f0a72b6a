// Arithmetic expressions over named scalars (`vars`), evaluated once at load time (muparser).
#pragma once
#include <map>
#include <string>

namespace nmsim {

// Evaluates `expr` with `vars` as constants (muparser syntax; rint rounds halves to even); throws
// std::invalid_argument with muparser's message.
double evaluate_expression(const std::string& expr, const std::map<std::string, double>& vars);

// True for names usable as variables: [A-Za-z_][A-Za-z0-9_]*.
bool is_identifier(const std::string& name);

} // namespace nmsim
