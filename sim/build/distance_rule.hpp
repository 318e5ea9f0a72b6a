// distance_dependent connectivity (PyNN's DistanceDependentProbabilityConnector, NEST's spatial
// pairwise_bernoulli): each pair connects with probability p(d), d the distance between the source's
// position and the target's scaled and offset position (PyNN's Space: chosen axes, periodic
// boundaries, scale_factor and offset applied to the target side), decided by one uniform keyed by
// (projection, source, target index), so any partition draws the same pairs.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/spec/network_spec.hpp"

namespace nmsim {

// p(d) from a muparser expression in `d` (and the config's vars), clamped to [0, 1]. Evaluation is
// thread-safe (a parser per thread).
class DistanceProbability {
public:
    DistanceProbability() = default;
    DistanceProbability(const std::string& expression, const std::map<std::string, double>& vars);
    double operator()(double d) const;
    const std::string& expression() const { return expression_; }

private:
    std::string expression_;
    std::map<std::string, double> vars_;
    std::uint64_t id_ = 0; // identifies this function in the per-thread parser cache
};

// Throws std::invalid_argument with muparser's message when `expression` is not a function of d.
void check_distance_expression(const std::string& expression, const std::map<std::string, double>& vars);

struct DistanceGeometry {
    std::array<double, 3> period{0.0, 0.0, 0.0}; // 0: not periodic on that axis
    std::array<bool, 3> axes{true, true, true};
    double scale = 1.0, offset = 0.0;

    double distance(const double* a, const double* b) const {
        double s = 0.0;
        for (int k = 0; k < 3; ++k) {
            if (!axes[k]) continue;
            double diff = std::abs(a[k] - scale * (b[k] + offset));
            if (period[k] > 0.0) diff = std::min(diff, period[k] - diff);
            s += diff * diff;
        }
        return std::sqrt(s);
    }
};

} // namespace nmsim
