#include "sim/config/expression.hpp"

#include <cctype>
#include <cmath>
#include <muParser.h>
#include <stdexcept>

namespace nmsim {

bool is_identifier(const std::string& name) {
    if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
    return true;
}

double evaluate_expression(const std::string& expr, const std::map<std::string, double>& vars) {
    try {
        mu::Parser parser;
        // muparser's rint rounds halves up; ours rounds them to even, as C's rint and NumPy's round do,
        // so counts derived in configs match the models' reference scripts.
        parser.DefineFun(
            "rint", +[](double x) { return std::nearbyint(x); });
        for (const auto& [name, value] : vars) parser.DefineConst(name, value);
        parser.SetExpr(expr);
        const double v = parser.Eval();
        if (!std::isfinite(v)) throw std::invalid_argument("expression '" + expr + "' is not finite");
        return v;
    } catch (const mu::Parser::exception_type& e) {
        throw std::invalid_argument("cannot evaluate '" + expr + "': " + e.GetMsg());
    }
}

} // namespace nmsim
