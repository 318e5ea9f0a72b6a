// Exact samplers driven by one uniform number each, so every draw is a pure function of a
// counter-based stream and never loops without bound: truncated normal / lognormal / uniform values
// by inverse CDF, and binomial / hypergeometric counts by inversion from the mode.
#pragma once
#include <algorithm>
#include <cstdint>

#include "sim/spec/network_spec.hpp"

namespace nmsim {

// Standard normal CDF and its inverse (Wichura's AS241, relative accuracy ~1e-16).
double normal_cdf(double z);
double normal_quantile(double p); // p in (0, 1)
// AS241's central branch, valid for |p - 0.5| <= 0.425 (85% of the mass): a rational function, no log.
inline double normal_quantile_central(double p) {
    const double q = p - 0.5, r = 0.180625 - q * q;
    return q *
           (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r +
                45921.953931549871457) *
                   r +
               13731.693765509461125) *
                  r +
              1971.5909503065514427) *
                 r +
             133.14166789178437745) *
                r +
            3.387132872796366608) /
           (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r +
                21213.794301586595867) *
                   r +
               5394.1960214247511077) *
                  r +
              687.1870074920579083) *
                 r +
             42.313330701600911252) *
                r +
            1.0);
}

// A ValueSpec ready to sample: x = F^-1(F(min) + u (F(max) - F(min))) for u in (0, 1), so values
// always lie in [min, max] and cost one quantile evaluation, however little mass the interval has.
class ValueSampler {
public:
    ValueSampler() = default;
    explicit ValueSampler(const ValueSpec& spec);

    double operator()(double u) const;
    // out[i] = (*this)(u[i]) for n values: the central branch of the quantile vectorised, tails scalar.
    void batch(const double* u, double* out, int n) const;
    // Probability mass of the distribution inside [min, max] (1 for constants and uniforms).
    double mass() const { return mass_; }
    // The smallest and largest values the open uniforms of RandomStream (in [2^-53, 1 - 2^-53]) can
    // produce: the reachable range.
    double lowest() const { return std::min((*this)(0x1.0p-53), (*this)(1.0 - 0x1.0p-53)); }
    double highest() const { return std::max((*this)(0x1.0p-53), (*this)(1.0 - 0x1.0p-53)); }
    bool is_constant() const { return kind_ == ValueSpec::Kind::constant; }

private:
    ValueSpec::Kind kind_ = ValueSpec::Kind::constant;
    double value_ = 0.0;         // constant
    double a_ = 0.0, b_ = 0.0;   // uniform bounds; normal mean/std (lognormal: of the log)
    double lo_ = 0.0, hi_ = 0.0; // truncation in standard units, mirrored so that lo_ <= 0
    double cdf_lo_ = 0.0, cdf_hi_ = 1.0;
    double sign_ = 1.0; // -1 when the truncation lies in the upper tail and was mirrored
    double mass_ = 1.0;
};

// Binomial(n, p) from one uniform u in [0, 1): inversion starting at the mode, walking outward
// toward the more likely side, so the cost is O(standard deviation) and the result exact up to
// rounding in the probabilities (relative ~1e-12).
std::uint64_t sample_binomial(std::uint64_t n, double p, double u);

// Number of "good" items among `draws` taken without replacement from `total` items of which
// `good` are good (hypergeometric), by the same inversion.
std::uint64_t sample_hypergeometric(std::uint64_t draws, std::uint64_t good, std::uint64_t total, double u);

} // namespace nmsim
