#include "sim/plasticity/stdp.hpp"

#include <limits>

namespace nmsim {

StdpRule::StdpRule(const PlasticitySpec& p, double dt, std::uint64_t seed, std::uint32_t projection,
                   std::uint32_t max_delay)
    : nearest_(p.pairing == PlasticitySpec::Pairing::nearest),
      additive_(p.dependence == PlasticitySpec::Dependence::additive), stochastic_(p.stochastic_rounding),
      triplet_(p.rule == PlasticitySpec::Rule::triplet), dt_over_plus_(dt / p.tau_plus),
      dt_over_minus_(dt / p.tau_minus), dt_over_x_(dt / p.tau_x), dt_over_y_(dt / p.tau_y),
      a_plus_(triplet_ || !additive_ ? p.a_plus : p.a_plus * p.w_max),
      a_minus_(triplet_ || !additive_ ? p.a_minus : p.a_minus * p.w_max),
      a3_plus_(triplet_ ? p.a3_plus : 0.0), a3_minus_(triplet_ ? p.a3_minus : 0.0), w_min_(p.w_min),
      w_max_(p.w_max), levels_(std::ldexp(1.0, static_cast<int>(p.weight_bits)) - 1.0),
      step_((p.w_max - p.w_min) / levels_),
      horizon_(static_cast<std::uint64_t>(std::ceil(32.0 * p.tau_plus / dt))), seed_(seed),
      projection_(projection) {
    // Facilitation reaches horizon + max_delay steps after a pre spike; depression reads K- up to the
    // post history's span, the same.
    inverse_step_ = 1.0 / step_;
    plus_.resize(horizon_ + max_delay + 2);
    for (std::uint64_t k = 0; k < plus_.size(); ++k)
        plus_[k] = std::exp(-static_cast<double>(k) * dt_over_plus_);
    minus_.resize(static_cast<std::uint64_t>(std::ceil(32.0 * p.tau_minus / dt)) + max_delay + 2);
    for (std::uint64_t k = 0; k < minus_.size(); ++k)
        minus_[k] = std::exp(-static_cast<double>(k) * dt_over_minus_);
    minus_.push_back(0.0); // decay_minus past the table
}

std::uint16_t StdpRule::encode_stochastic(double x, std::uint64_t source, std::uint64_t target,
                                          std::uint64_t step) const {
    // Up with probability equal to the fraction: unbiased on average, keyed by ids, never by thread.
    const double lo = std::floor(x);
    const auto r = philox_block(seed_, RngPurpose::stdp_rounding, projection_, (source << 32) ^ target, step);
    const double u = static_cast<double>(r[0]) * 0x1p-32;
    return static_cast<std::uint16_t>(lo + (u < x - lo ? 1.0 : 0.0));
}

void StdpState::init(std::uint64_t sources, std::uint64_t targets, bool stamps32) {
    // The row kernel indexes the recent lines with an int (gathers with 32-bit indices, no widening).
    stamps32_ =
        stamps32 && targets <= static_cast<std::uint64_t>(std::numeric_limits<int>::max()) / sizeof(Recent);
    source.assign(sources, Source{});
    post_.assign(targets, {});
    recent_.assign(stamps32_ ? targets : 0, Recent{});
    o2_.clear();
    flushes.clear();
}

void StdpState::post_spike(const StdpRule& rule, std::uint64_t local, std::uint64_t stamp,
                           std::uint64_t keep) {
    std::vector<Post>& h = post_[local];
    double k = 1.0, o2 = 0.0;
    if (!rule.nearest() && !h.empty()) k += h.back().k_after * rule.decay_minus(stamp - h.back().stamp);
    if (rule.triplet() && !h.empty())
        o2 = (rule.nearest() ? 1.0 : h.back().o2_before + 1.0) * rule.decay_y(stamp - h.back().stamp);
    // Older spikes than `keep` stamps are no longer reached; the newest of them still gives K- later.
    const std::uint64_t cutoff = stamp > keep ? stamp - keep : 0;
    std::size_t first = 0;
    while (first + 1 < h.size() && h[first + 1].stamp < cutoff) ++first;
    if (first > 0) h.erase(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(first));
    h.push_back({stamp, k, o2});
    if (!stamps32_) return;
    Recent& r = recent_[local];
    for (int i = recent_spikes - 1; i > 0; --i) r.stamp[i] = r.stamp[i - 1];
    for (int i = recent_k_afters - 1; i > 0; --i) r.k_after[i] = r.k_after[i - 1];
    r.stamp[0] = static_cast<std::uint32_t>(stamp);
    r.k_after[0] = k;
    if (!rule.triplet()) return;
    if (o2_.empty()) o2_.assign(recent_.size() * recent_spikes, 0.0);
    double* o = &o2_[local * recent_spikes];
    for (int i = recent_spikes - 1; i > 0; --i) o[i] = o[i - 1];
    o[0] = o2;
}

} // namespace nmsim
