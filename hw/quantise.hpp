// Rounding weights and delays to a chip's formats: used by the footprint's quantisation error and
// by quantised runs (`nmsim run --chip`), so both see exactly the same numbers.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "hw/chip_profile.hpp"
#include "sim/spec/network_spec.hpp"

namespace nmsim {

// Largest |weight| a projection can draw (distribution bounds, or mean +- 4 sd when unbounded).
double max_abs_weight(const ValueSpec& w);
double mean_weight(const ValueSpec& w);

// The weights a projection can hold as a ValueSpec for quantisers: its own spec, or for rules that
// carry their own weights (edge lists, kernels) a uniform over their actual range.
std::vector<ValueSpec> projection_weight_specs(const NetworkSpec& spec);

// Maps a projection's weights to the chip's representable values.
class WeightQuantiser {
public:
    WeightQuantiser() = default;
    WeightQuantiser(const WeightFormat& format, const ValueSpec& weights);
    // Inline: called once per synapse per chip by the footprint.
    double operator()(double w) const {
        if (kind_ == WeightScale::shared_mean) return shared_;
        if (step_ == 0.0) return 0.0;
        const double level =
            std::clamp(std::nearbyint(w * inverse_step_), -max_level_, max_level_); // ties to even
        return level * step_;
    }
    double step() const { return step_; } // value of one least significant bit (0 for shared values)

private:
    WeightScale kind_ = WeightScale::linear;
    double step_ = 0.0, inverse_step_ = 0.0, max_level_ = 0.0, shared_ = 0.0;
};

// A delay of `steps` simulation steps (dt) as the chip can hold it, in simulation steps (>= 1),
// and in ms for error reporting; `representable` is false when it is out of the chip's range.
struct QuantisedDelay {
    std::uint32_t steps;
    double ms;
    bool representable;
};
QuantisedDelay quantise_delay(std::uint32_t steps, double dt, const ChipProfile& chip);

} // namespace nmsim
