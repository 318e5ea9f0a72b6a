// loihi_lif: Loihi's CUBA LIF in integer arithmetic, bit-exact with Lava's PyLifModelBitAcc
// (lava-nc/lava src/lava/proc/lif/models.py). Per step, with x >> 12 truncating toward zero:
//   u <- wrap24( (u * (4096 - (du + 1))) >> 12 + (a_in << 6) )        current: > 2^23 -> -2^24,
//                                                                     <= -2^23 -> +2^24 (Lava's edges)
//   v <- clip( (v * (4096 - dv)) >> 12 + u + (bias_mant << bias_exp), -(2^23 - 1), 2^23 - 1 )
//   v > vth << 6: spike, v <- 0 (u is not reset; no refractory period, as in Lava)
// a_in is what Lava's Dense processes send: each Dense sums its integer weights of the spikes it
// received and shifts that sum by its own weight_exp (<< e, or arithmetic >> -e). nmsim keeps two such
// accumulators per neuron, ports dense_a (the default, shift weight_exp) and dense_b (weight_exp_b):
// a_in = shift(sum_a, weight_exp) + shift(sum_b, weight_exp_b). synapse.weight_exp assigns them
// (config_loader); the weights themselves are clipped and truncated as Dense does (SynapseValues).
#include "models/loihi_lif.hpp"

#include <cmath>
#include <cstdint>

namespace nmsim {
namespace {

constexpr std::int64_t uv_max = std::int64_t{1} << 23; // 24-bit signed state
constexpr std::int64_t decay_unity = 4096;             // 12-bit decay constants

std::int64_t shift_toward_zero(std::int64_t x) {
    return x >= 0 ? x >> 12 : -((-x) >> 12);
}

// Lava's wrap of the current, kept as it is: above 2^23 subtracts 2^24, at or below -2^23 adds it, so
// +2^23 stays and -2^23 becomes +2^23 (not two's complement at the edges).
std::int64_t wrap24(std::int64_t x) {
    if (x > uv_max) return x - 2 * uv_max;
    if (x <= -uv_max) return x + 2 * uv_max;
    return x;
}

class LoihiLifGroup final : public NeuronGroup {
public:
    LoihiLifGroup(std::uint64_t n, const std::map<std::string, double>& p, double)
        : du_(static_cast<std::int64_t>(p.at("du"))), dv_(static_cast<std::int64_t>(p.at("dv"))),
          vth_(static_cast<std::int64_t>(p.at("vth")) << 6),
          weight_exp_(static_cast<int>(p.at("weight_exp"))), weight_exp_b_(static_cast<int>(p.at("weight_exp_b"))),
          bias_(scaled(static_cast<std::int64_t>(p.at("bias_mant")), static_cast<int>(p.at("bias_exp")))),
          u_(n, 0), v_(n, 0) {}

    void update(std::uint64_t begin, std::uint64_t end, const StepInput& in,
                std::vector<std::uint32_t>& spiked) override {
        for (std::uint64_t i = begin; i < end; ++i) {
            const std::uint64_t k = i - begin;
            // The ring holds sums of integer mantissas: exact in double up to 2^53.
            const auto a_in = scaled(std::llround(take_input(in, 0, k)), weight_exp_) +
                              scaled(std::llround(take_input(in, 1, k)), weight_exp_b_);
            std::int64_t u = wrap24(shift_toward_zero(u_[i] * (decay_unity - (du_ + 1))) + a_in * 64);
            std::int64_t v = shift_toward_zero(v_[i] * (decay_unity - dv_)) + u + bias_;
            v = std::min(std::max(v, -(uv_max - 1)), uv_max - 1);
            if (v > vth_) {
                v = 0;
                spiked.push_back(static_cast<std::uint32_t>(i));
            }
            u_[i] = u;
            v_[i] = v;
        }
    }
    double get(int var, std::uint64_t i) const override {
        return static_cast<double>(var == 0 ? v_[i] : u_[i]);
    }
    void set(int var, std::uint64_t i, double value) override {
        (var == 0 ? v_[i] : u_[i]) = wrap24(std::llround(value));
    }

private:
    static std::int64_t scaled(std::int64_t mant, int exp) {
        return exp >= 0 ? mant * (std::int64_t{1} << exp) : mant >> -exp;
    }

    std::int64_t du_, dv_, vth_;
    int weight_exp_, weight_exp_b_;
    std::int64_t bias_;
    std::vector<std::int64_t> u_, v_;
};

std::unique_ptr<NeuronGroup> create(std::uint64_t n, const std::map<std::string, double>& p, double dt) {
    return std::make_unique<LoihiLifGroup>(n, p, dt);
}
double default_initial(int, const std::map<std::string, double>&) {
    return 0.0;
}

} // namespace

const ModelInfo loihi_lif_model{"loihi_lif",
                                "Loihi fixed-point CUBA LIF, bit-exact with Lava PyLifModelBitAcc",
                                {{"du", 0.0, 0.0, 4095.0, false, "1/4096", true},
                                 {"dv", 0.0, 0.0, 4096.0, false, "1/4096", true},
                                 {"vth", 10.0, 0.0, 131071.0, false, "mantissa (<< 6)", true},
                                 {"bias_mant", 0.0, -4096.0, 4095.0, false, "integer", true},
                                 {"bias_exp", 0.0, 0.0, 7.0, false, "shift", true},
                                 {"weight_exp", 0.0, -8.0, 7.0, false, "shift", true},
                                 {"weight_exp_b", 0.0, -8.0, 7.0, false, "shift", true}},
                                {"v", "u"},
                                {"register", "register"},
                                2,
                                {{"excitatory", 0}, {"inhibitory", 0}, {"dense_a", 0}, {"dense_b", 1}},
                                &create,
                                &default_initial};

} // namespace nmsim
