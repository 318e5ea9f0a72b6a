// spike_source_poisson: each neuron fires in a step of [start, start + duration) with probability
//   1 - exp(-rate dt) (a Poisson process on the dt grid: at most one spike per neuron and step, as
//   every simulator on a grid emits), from one Philox word keyed by (population, neuron, step).
// spike_source_array: each neuron fires at its listed times (ms), on the step ending at each time
//   (NEST spike_generator: a spike at T is stamped T), several times within one step count once.
// Both ignore input.
#include "models/spike_sources.hpp"

#include <algorithm>
#include <cmath>

#include "sim/random/counter_rng.hpp"
#include "sim/spec/network_spec.hpp"

namespace nmsim {
namespace {

void discard_input(const StepInput& in, std::uint64_t n) {
    for (int c = 0; c < in.channels; ++c) std::fill(in.syn[c], in.syn[c] + n, 0.0);
}

class PoissonSourceGroup final : public NeuronGroup {
public:
    PoissonSourceGroup(const std::map<std::string, double>& p, double dt)
        : dt_(dt), start_(p.at("start")), stop_(p.at("start") + p.at("duration")),
          threshold_(static_cast<std::uint64_t>(std::ldexp(-std::expm1(-p.at("rate") * dt * 1e-3), 32))) {}

    void bind(const PopulationSpec& pop, std::uint64_t seed) override {
        seed_ = seed;
        first_ = pop.first_id;
        index_ = pop.index;
    }
    void update(std::uint64_t begin, std::uint64_t end, const StepInput& in,
                std::vector<std::uint32_t>& spiked) override {
        discard_input(in, end - begin);
        const double t = in.step * dt_; // the step covers [t, t + dt)
        if (t < start_ - 1e-9 * dt_ || t >= stop_ - 1e-9 * dt_ || threshold_ == 0) return;
        // Four neurons per Philox block, keyed by global ids, so any partition draws the same; the
        // 16 blocks of 64 neurons aligned in global ids at once (philox_consecutive16: AVX-512 lanes).
        std::uint32_t u[64];
        for (std::uint64_t i = begin; i < end;) {
            const std::uint64_t g = first_ + i, n = std::min(end - i, 64 - (g & 63));
            philox_consecutive16(seed_, RngPurpose::spike_source, index_, (g & ~std::uint64_t{63}) >> 2,
                                 in.step, u);
            const std::uint32_t* r = u + (g & 63);
            for (std::uint64_t k = 0; k < n; ++k)
                if (r[k] < threshold_) spiked.push_back(static_cast<std::uint32_t>(i + k));
            i += n;
        }
    }
    double get(int, std::uint64_t) const override { return 0.0; }
    void set(int, std::uint64_t, double) override {}

private:
    double dt_, start_, stop_;
    std::uint64_t threshold_; // P(spike in a step) scaled to 2^32
    std::uint64_t seed_ = 0, first_ = 0;
    std::uint32_t index_ = 0;
};

class ArraySourceGroup final : public NeuronGroup {
public:
    ArraySourceGroup(std::uint64_t n, double dt) : dt_(dt), steps_(n), cursor_(n, 0) {}

    void bind(const PopulationSpec& pop, std::uint64_t) override {
        for (std::uint64_t i = 0; i < steps_.size(); ++i) {
            const auto& times = pop.spike_times.size() == 1 ? pop.spike_times[0] : pop.spike_times.at(i);
            for (double t : times) steps_[i].push_back(static_cast<std::uint64_t>(std::llround(t / dt_)) - 1);
            std::sort(steps_[i].begin(), steps_[i].end());
            steps_[i].erase(std::unique(steps_[i].begin(), steps_[i].end()), steps_[i].end());
        }
    }
    void update(std::uint64_t begin, std::uint64_t end, const StepInput& in,
                std::vector<std::uint32_t>& spiked) override {
        discard_input(in, end - begin);
        for (std::uint64_t i = begin; i < end; ++i) {
            const auto& s = steps_[i];
            std::size_t& c = cursor_[i];
            while (c < s.size() && s[c] < in.step) ++c;
            if (c < s.size() && s[c] == in.step) spiked.push_back(static_cast<std::uint32_t>(i));
        }
    }
    double get(int, std::uint64_t) const override { return 0.0; }
    void set(int, std::uint64_t, double) override {}

private:
    double dt_;
    std::vector<std::vector<std::uint64_t>> steps_; // per neuron: the steps it fires in
    std::vector<std::size_t> cursor_;
};

std::unique_ptr<NeuronGroup> create_poisson(std::uint64_t, const std::map<std::string, double>& p,
                                            double dt) {
    return std::make_unique<PoissonSourceGroup>(p, dt);
}
std::unique_ptr<NeuronGroup> create_array(std::uint64_t n, const std::map<std::string, double>&, double dt) {
    return std::make_unique<ArraySourceGroup>(n, dt);
}
double no_state(int, const std::map<std::string, double>&) {
    return 0.0;
}

} // namespace

const ModelInfo spike_source_poisson_model{"spike_source_poisson",
                                           "Poisson spike source (PyNN SpikeSourcePoisson)",
                                           {{"rate", 1.0, 0.0, 1e6, false, "Hz"},
                                            {"start", 0.0, 0.0, 1e12, false, "ms"},
                                            {"duration", 1e10, 0.0, 1e12, false, "ms"}},
                                           {},
                                           {},
                                           1,
                                           {},
                                           &create_poisson,
                                           &no_state};

const ModelInfo spike_source_array_model{
    "spike_source_array",
    "spikes at given times (PyNN SpikeSourceArray); times in populations.NAME.spike_times",
    {},
    {},
    {},
    1,
    {},
    &create_array,
    &no_state};

} // namespace nmsim
