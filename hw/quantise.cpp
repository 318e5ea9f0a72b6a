#include "hw/quantise.hpp"

#include <algorithm>
#include <cmath>

#include "sim/build/connectivity.hpp"

namespace nmsim {

double max_abs_weight(const ValueSpec& w) {
    switch (w.kind) {
    case ValueSpec::Kind::constant:
        return std::abs(w.value);
    case ValueSpec::Kind::uniform:
        return std::max(std::abs(w.a), std::abs(w.b));
    case ValueSpec::Kind::normal: {
        const double lo = std::max(w.min, w.a - 4 * w.b), hi = std::min(w.max, w.a + 4 * w.b);
        return std::max(std::abs(lo), std::abs(hi));
    }
    case ValueSpec::Kind::lognormal:
        return std::min(w.max, std::exp(w.a + 4 * w.b));
    }
    return 0.0;
}

double mean_weight(const ValueSpec& w) {
    switch (w.kind) {
    case ValueSpec::Kind::constant:
        return w.value;
    case ValueSpec::Kind::uniform:
        return 0.5 * (w.a + w.b);
    case ValueSpec::Kind::normal:
        return w.a;
    case ValueSpec::Kind::lognormal:
        return std::exp(w.a + 0.5 * w.b * w.b);
    }
    return 0.0;
}

WeightQuantiser::WeightQuantiser(const WeightFormat& format, const ValueSpec& weights) : kind_(format.scale) {
    const double max_abs = max_abs_weight(weights);
    shared_ = mean_weight(weights);
    if (kind_ == WeightScale::shared_mean || max_abs == 0.0) return;
    max_level_ = std::ldexp(1.0, format.bits) - 1.0;
    step_ = max_abs / max_level_;
    // A power-of-two scale (Loihi's weight exponent, SpiNNaker's ring-buffer shift) rounds the step up.
    if (kind_ == WeightScale::power_of_two)
        step_ = std::ldexp(1.0, static_cast<int>(std::ceil(std::log2(step_))));
    inverse_step_ = 1.0 / step_;
}

std::vector<ValueSpec> projection_weight_specs(const NetworkSpec& spec) {
    std::vector<ValueSpec> out;
    for (const auto& pr : spec.projections) {
        if (pr.connector.rule != ConnectorRule::from_file && pr.connector.rule != ConnectorRule::conv) {
            out.push_back(pr.weight);
            continue;
        }
        const auto [lo, hi] = ProjectionGenerator(spec, pr).weight_range();
        ValueSpec v;
        v.kind = lo == hi ? ValueSpec::Kind::constant : ValueSpec::Kind::uniform;
        v.value = lo;
        v.a = lo;
        v.b = hi;
        out.push_back(v);
    }
    return out;
}

QuantisedDelay quantise_delay(std::uint32_t steps, double dt, const ChipProfile& chip) {
    const double ms = steps * dt;
    const double tick = chip.timestep_ms.value;
    if (chip.delay.max_steps == 0 || tick <= 0.0) return {1, 0.0, false}; // no programmable delay: lost
    const double chip_steps = std::round(ms / tick);
    const bool ok = chip_steps >= chip.delay.min_steps && chip_steps <= chip.delay.max_steps;
    const double held = std::clamp(chip_steps, static_cast<double>(chip.delay.min_steps),
                                   static_cast<double>(chip.delay.max_steps)) *
                        tick;
    const auto sim_steps = static_cast<std::uint32_t>(std::max(1.0, std::round(held / dt)));
    return {sim_steps, held, ok};
}

} // namespace nmsim
