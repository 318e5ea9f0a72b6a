#include "sim/random/distributions.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nmsim {

double normal_cdf(double z) {
    return 0.5 * std::erfc(-z * M_SQRT1_2);
}

double normal_quantile(double p) {
    // Wichura (1988), Algorithm AS241 PPND16: three rational approximations, ~1e-16 relative.
    const double q = p - 0.5;
    if (std::abs(q) <= 0.425) return normal_quantile_central(p);
    double r = q < 0 ? p : 1.0 - p;
    if (r <= 0.0)
        return q < 0 ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    r = std::sqrt(-std::log(r));
    double value;
    if (r <= 5.0) {
        r -= 1.6;
        value =
            (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) *
                     r +
                 1.27045825245236838258) *
                    r +
                3.64784832476320460504) *
                   r +
               5.7694972214606914055) *
                  r +
              4.6303378461565452959) *
                 r +
             1.42343711074968357734) /
            (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) *
                     r +
                 0.14810397642748007459) *
                    r +
                0.68976733498510000455) *
                   r +
               1.6763848301838038494) *
                  r +
              2.05319162663775882187) *
                 r +
             1.0);
    } else {
        r -= 5.0;
        value = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r +
                      0.0012426609473880784386) *
                         r +
                     0.026532189526576123093) *
                        r +
                    0.29656057182850489123) *
                       r +
                   1.7848265399172913358) *
                      r +
                  5.4637849111641143699) *
                     r +
                 6.6579046435011037772) /
                (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r +
                      1.8463183175100546818e-5) *
                         r +
                     7.868691311456132591e-4) *
                        r +
                    0.0148753612908506148525) *
                       r +
                   0.13692988092273580531) *
                      r +
                  0.59983220655588793769) *
                     r +
                 1.0);
    }
    return q < 0 ? -value : value;
}

ValueSampler::ValueSampler(const ValueSpec& spec)
    : kind_(spec.kind), value_(spec.value), a_(spec.a), b_(spec.b) {
    if (kind_ != ValueSpec::Kind::normal && kind_ != ValueSpec::Kind::lognormal) return;
    // Truncation bounds in standard units of the underlying normal (of the log for lognormal).
    double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
    if (kind_ == ValueSpec::Kind::normal) {
        if (spec.min > -1e299) lo = (spec.min - a_) / b_;
        if (spec.max < 1e299) hi = (spec.max - a_) / b_;
    } else {
        if (spec.min > 0.0) lo = (std::log(spec.min) - a_) / b_;
        if (spec.max < 1e299) hi = spec.max > 0.0 ? (std::log(spec.max) - a_) / b_ : lo;
    }
    // Both bounds above the median: mirror, so the CDF is evaluated in the lower tail where it
    // keeps its relative precision.
    if (lo > 0.0) {
        std::swap(lo, hi);
        lo = -lo;
        hi = -hi;
        sign_ = -1.0;
    }
    lo_ = lo;
    hi_ = hi;
    cdf_lo_ = normal_cdf(lo);
    cdf_hi_ = normal_cdf(hi);
    mass_ = std::max(0.0, cdf_hi_ - cdf_lo_);
}

double ValueSampler::operator()(double u) const {
    switch (kind_) {
    case ValueSpec::Kind::constant:
        return value_;
    case ValueSpec::Kind::uniform:
        return a_ + (b_ - a_) * u;
    case ValueSpec::Kind::normal:
    case ValueSpec::Kind::lognormal:
        break;
    }
    const double p = cdf_lo_ + u * (cdf_hi_ - cdf_lo_);
    const double z = std::clamp(normal_quantile(p), lo_, hi_);
    const double x = a_ + sign_ * b_ * z;
    return kind_ == ValueSpec::Kind::normal ? x : std::exp(x);
}

void ValueSampler::batch(const double* u, double* out, int n) const {
    if (kind_ != ValueSpec::Kind::normal && kind_ != ValueSpec::Kind::lognormal) {
        for (int i = 0; i < n; ++i) out[i] = (*this)(u[i]);
        return;
    }
    // The same arithmetic as operator(), as loops the compiler vectorises; tails fixed up after.
    const double span = cdf_hi_ - cdf_lo_;
    for (int i = 0; i < n; ++i) out[i] = normal_quantile_central(cdf_lo_ + u[i] * span);
    for (int i = 0; i < n; ++i) {
        const double p = cdf_lo_ + u[i] * span;
        if (std::abs(p - 0.5) > 0.425) out[i] = normal_quantile(p);
    }
    for (int i = 0; i < n; ++i) out[i] = a_ + sign_ * b_ * std::clamp(out[i], lo_, hi_);
    if (kind_ == ValueSpec::Kind::lognormal)
        for (int i = 0; i < n; ++i) out[i] = std::exp(out[i]);
}

namespace {

double log_factorial(double n) {
    double r;
    int sign;
    r = lgamma_r(n + 1.0, &sign); // lgamma_r: std::lgamma writes the global signgam (a data race)
    return r;
}

double log_choose(double n, double k) {
    return log_factorial(n) - log_factorial(k) - log_factorial(n - k);
}

// Inversion from the mode: subtract probabilities from u, always stepping to the more likely
// neighbour, until u is used up. up(k) = P(k+1)/P(k), down(k) = P(k-1)/P(k).
template <class Up, class Down>
std::uint64_t invert_from_mode(double u, std::int64_t mode, double p_mode, std::int64_t kmin,
                               std::int64_t kmax, Up&& up, Down&& down) {
    u -= p_mode;
    if (u < 0.0) return static_cast<std::uint64_t>(mode);
    std::int64_t hi = mode + 1, lo = mode - 1;
    double ph = hi <= kmax ? p_mode * up(mode) : 0.0, pl = lo >= kmin ? p_mode * down(mode) : 0.0;
    for (;;) {
        const bool can_up = hi <= kmax && ph > 0.0, can_down = lo >= kmin && pl > 0.0;
        if (!can_up && !can_down) return static_cast<std::uint64_t>(mode); // rounding left u > 0
        if (can_up && (!can_down || ph >= pl)) {
            u -= ph;
            if (u < 0.0) return static_cast<std::uint64_t>(hi);
            ph *= up(hi);
            ++hi;
        } else {
            u -= pl;
            if (u < 0.0) return static_cast<std::uint64_t>(lo);
            pl *= down(lo);
            --lo;
        }
    }
}

} // namespace

std::uint64_t sample_binomial(std::uint64_t n, double p, double u) {
    if (n == 0 || p <= 0.0) return 0;
    if (p >= 1.0) return n;
    if (p > 0.5) return n - sample_binomial(n, 1.0 - p, 1.0 - u);
    if (n < 16) {
        // Few trials (sparse rows split over many blocks): inversion from 0, one exp instead of
        // three log-gammas.
        const double odds = p / (1.0 - p);
        double pk = std::exp(static_cast<double>(n) * std::log1p(-p));
        for (std::uint64_t k = 0; k < n; ++k) {
            u -= pk;
            if (u < 0.0) return k;
            pk *= static_cast<double>(n - k) / static_cast<double>(k + 1) * odds;
        }
        return n;
    }
    const double q = 1.0 - p, nd = static_cast<double>(n), odds = p / q;
    const auto mode = static_cast<std::int64_t>(std::floor((nd + 1.0) * p));
    const std::int64_t m = std::min<std::int64_t>(mode, static_cast<std::int64_t>(n));
    const double md = static_cast<double>(m);
    const double p_mode = std::exp(log_choose(nd, md) + md * std::log(p) + (nd - md) * std::log1p(-p));
    return invert_from_mode(
        u, m, p_mode, 0, static_cast<std::int64_t>(n),
        [&](std::int64_t k) { return (nd - static_cast<double>(k)) / (static_cast<double>(k) + 1.0) * odds; },
        [&](std::int64_t k) { return static_cast<double>(k) / (nd - static_cast<double>(k) + 1.0) / odds; });
}

std::uint64_t sample_hypergeometric(std::uint64_t draws, std::uint64_t good, std::uint64_t total, double u) {
    if (draws == 0 || good == 0) return 0;
    if (good >= total) return draws;
    const double n = static_cast<double>(draws), k_good = static_cast<double>(good),
                 N = static_cast<double>(total);
    const std::int64_t kmin = static_cast<std::int64_t>(draws > total - good ? draws - (total - good) : 0);
    const std::int64_t kmax = static_cast<std::int64_t>(std::min(draws, good));
    const auto mode = std::clamp<std::int64_t>(
        static_cast<std::int64_t>(std::floor((n + 1.0) * (k_good + 1.0) / (N + 2.0))), kmin, kmax);
    const double md = static_cast<double>(mode);
    const double p_mode =
        std::exp(log_choose(k_good, md) + log_choose(N - k_good, n - md) - log_choose(N, n));
    const double bad = N - k_good;
    return invert_from_mode(
        u, mode, p_mode, kmin, kmax,
        [&](std::int64_t k) {
            const double kd = static_cast<double>(k);
            return (k_good - kd) * (n - kd) / ((kd + 1.0) * (bad - n + kd + 1.0));
        },
        [&](std::int64_t k) {
            const double kd = static_cast<double>(k);
            return kd * (bad - n + kd) / ((k_good - kd + 1.0) * (n - kd + 1.0));
        });
}

} // namespace nmsim
