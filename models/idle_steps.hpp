// Event mode's closed forms for k input-free steps of the linear models' one-step recurrences. They are
// built from the same rounded one-step factors the clock multiplies by, so a skipped stretch lands
// within a few ulps of the clock run; short stretches are stepped exactly as the clock does
// (docs/engine.md: where clock and event runs can differ).
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nmsim {

// Gaps up to this many steps are stepped one by one (bitwise the clock's arithmetic), longer ones in
// closed form (a table lookup or a few transcendental calls, whatever the length).
inline constexpr std::uint64_t stepped_gap = 16;

// How many touched neurons ahead the models prefetch state (the touched are scattered over it).
inline constexpr std::size_t prefetch_ahead = 16;

// Why a current-based LIF neuron (V relative to rest; theta, reset relative too) could fire without
// input, "" if it cannot: then event mode may skip it (docs/engine.md).
inline std::string lif_event_blocker(double i_offset, double theta, double reset) {
    if (i_offset != 0.0) return "i_offset drives it without input";
    if (theta <= 0.0 || reset >= theta) return "v_rest or v_reset is at or above v_thresh";
    return "";
}

// Gaps shorter than this come from a table (large groups only: a table per group costs 8 KB).
inline constexpr std::uint64_t table_gap = 1024;
inline bool wants_tables(std::uint64_t neurons) {
    return neurons >= table_gap;
}

// x^k for a one-step decay factor 0 < x <= 1.
class StepPower {
public:
    StepPower() = default;
    StepPower(double x, bool table) : log_(std::log(x)) {
        if (table)
            for (std::uint64_t k = 0; k < table_gap; ++k) table_.push_back(compute(k));
    }
    double operator()(std::uint64_t k) const { return k < table_.size() ? table_[k] : compute(k); }

private:
    double compute(std::uint64_t k) const { return std::exp(static_cast<double>(k) * log_); }
    double log_ = 0.0;
    std::vector<double> table_;
};

// sum_{m<k} a^(k-1-m) b^m: what a unit of a current decaying by b per step adds, over k steps, to a
// potential decaying by a per step (times the one-step coupling). a^(k-1) (r^k - 1) / (r - 1) with
// r = b / a, through expm1 so that r close to 1 (tau_syn close to tau_m) keeps its digits.
class StepCoupling {
public:
    StepCoupling() = default;
    StepCoupling(double a, double b, bool table)
        : a_(a, false), log_r_(std::log1p((b - a) / a)), denom_(std::expm1(log_r_)) {
        if (table)
            for (std::uint64_t k = 0; k < table_gap; ++k) table_.push_back(k == 0 ? 0.0 : compute(k));
    }
    double operator()(std::uint64_t k) const { return k < table_.size() ? table_[k] : compute(k); }

private:
    double compute(std::uint64_t k) const {
        const double lead = a_(k - 1);
        if (denom_ == 0.0) return static_cast<double>(k) * lead;
        return lead * std::expm1(static_cast<double>(k) * log_r_) / denom_;
    }
    StepPower a_;
    double log_r_ = 0.0, denom_ = 0.0;
    std::vector<double> table_;
};

} // namespace nmsim
