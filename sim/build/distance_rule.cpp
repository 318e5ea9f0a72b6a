#include "sim/build/distance_rule.hpp"

#include <algorithm>
#include <atomic>
#include <memory>
#include <muParser.h>
#include <stdexcept>
#include <unordered_map>

namespace nmsim {
namespace {

std::atomic<std::uint64_t> next_id{1};

struct CompiledExpression {
    mu::Parser parser;
    double d = 0.0;
    std::map<std::string, double> vars; // the parser holds pointers into these
};

std::unique_ptr<CompiledExpression> compile(const std::string& expression,
                                            const std::map<std::string, double>& vars) {
    auto c = std::make_unique<CompiledExpression>();
    c->vars = vars;
    for (auto& [name, value] : c->vars) c->parser.DefineVar(name, &value);
    c->parser.DefineVar("d", &c->d);
    c->parser.SetExpr(expression);
    return c;
}

} // namespace

void check_distance_expression(const std::string& expression, const std::map<std::string, double>& vars) {
    try {
        auto c = compile(expression, vars);
        c->parser.Eval();
    } catch (const mu::Parser::exception_type& e) {
        throw std::invalid_argument(e.GetMsg());
    }
}

DistanceProbability::DistanceProbability(const std::string& expression,
                                         const std::map<std::string, double>& vars)
    : expression_(expression), vars_(vars), id_(next_id++) {
    check_distance_expression(expression, vars);
}

double DistanceProbability::operator()(double d) const {
    // muparser's evaluation writes to the parser's stack: one parser per thread and function
    thread_local std::unordered_map<std::uint64_t, std::unique_ptr<CompiledExpression>> cache;
    auto& c = cache[id_];
    if (!c) c = compile(expression_, vars_);
    c->d = d;
    const double p = c->parser.Eval();
    return std::isnan(p) ? 0.0 : std::clamp(p, 0.0, 1.0);
}

} // namespace nmsim
