// izhikevich: Izhikevich (2003), NEST izhikevich semantics with consistent_integration = true.
//   dv/dt = 0.04 v^2 + 5 v + 140 - u + I,   du/dt = a (b v - u);   v >= v_thresh: v <- c, u <- u + d.
// Forward Euler on the dt grid using the old v and u for both updates; spikes add w (mV) to v;
// I = i_offset + I_ext in pA as a number (NEST's I_e; PyNN's i_offset nA x 1000): external currents
// arrive in nA like every model's and are scaled by 1000 here, as NEST's dc_generator (pA) and
// pyNN.brian2's (i_offset + i_inj) / pF do.
#include "models/izhikevich.hpp"

namespace nmsim {
namespace {

class IzhikevichGroup final : public NeuronGroup {
public:
    IzhikevichGroup(std::uint64_t n, const std::map<std::string, double>& p, double dt)
        : a_(p.at("a")), b_(p.at("b")), c_(p.at("c")), d_(p.at("d")), theta_(p.at("v_thresh")),
          v_min_(p.at("v_min")), i_offset_(p.at("i_offset")), h_(dt), v_(n, 0.0), u_(n, 0.0) {}

    void update(std::uint64_t begin, std::uint64_t end, const StepInput& in,
                std::vector<std::uint32_t>& spiked) override {
        for (std::uint64_t i = begin; i < end; ++i) {
            const std::uint64_t k = i - begin;
            const double input = take_total_input(in, k);
            const double v_old = v_[i], u_old = u_[i];
            double v = v_old +
                       h_ * (0.04 * v_old * v_old + 5.0 * v_old + 140.0 - u_old + i_offset_ +
                             1000.0 * in.current[k]) +
                       input;
            double u = u_old + h_ * a_ * (b_ * v_old - u_old);
            v = v < v_min_ ? v_min_ : v;
            if (v >= theta_) {
                v = c_;
                u += d_;
                spiked.push_back(static_cast<std::uint32_t>(i));
            }
            v_[i] = v;
            u_[i] = u;
        }
    }
    double get(int var, std::uint64_t i) const override { return var == 0 ? v_[i] : u_[i]; }
    void set(int var, std::uint64_t i, double value) override { (var == 0 ? v_[i] : u_[i]) = value; }

private:
    double a_, b_, c_, d_, theta_, v_min_, i_offset_, h_;
    std::vector<double> v_, u_;
};

std::unique_ptr<NeuronGroup> create(std::uint64_t n, const std::map<std::string, double>& p, double dt) {
    return std::make_unique<IzhikevichGroup>(n, p, dt);
}
// v starts at c; u at b*v as in NEST and PyNN.
double default_initial(int var, const std::map<std::string, double>& p) {
    return var == 0 ? p.at("c") : p.at("b") * p.at("c");
}

} // namespace

const ModelInfo izhikevich_model{"izhikevich",
                                 "Izhikevich (2003) simple model (NEST izhikevich)",
                                 {{"a", 0.02, -1e6, 1e6, false, "1/ms"},
                                  {"b", 0.2, -1e6, 1e6, false, "1/ms"},
                                  {"c", -65.0, -1e4, 1e4, false, "mV"},
                                  {"d", 2.0, -1e6, 1e6, false, "mV/ms"},
                                  {"v_thresh", 30.0, -1e4, 1e4, false, "mV"},
                                  {"v_min", -1e300, -1e300, 1e4, false, "mV"},
                                  {"i_offset", 0.0, -1e6, 1e6, false, "pA"}},
                                 {"v", "u"},
                                 {"mV", "mV/ms"},
                                 1,
                                 {{"excitatory", 0}, {"inhibitory", 0}},
                                 &create,
                                 &default_initial};

} // namespace nmsim
