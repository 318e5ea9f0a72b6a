#include "sim/engine/stimuli.hpp"

#include <algorithm>
#include <boost/math/distributions/poisson.hpp>
#include <cmath>

#include "sim/random/counter_rng.hpp"

namespace nmsim {

std::vector<std::uint64_t> poisson_thresholds(double lambda) {
    std::vector<std::uint64_t> t;
    const double scale = 4294967296.0; // 2^32
    if (lambda > 0.0) {
        const boost::math::poisson_distribution<double> dist(lambda);
        const double kmax = lambda + 20.0 * std::sqrt(lambda) + 30.0;
        for (int k = 0; k <= kmax; ++k) {
            const double th = std::floor(std::min(boost::math::cdf(dist, k), 1.0) * scale);
            t.push_back(static_cast<std::uint64_t>(th));
            if (th >= scale) break;
        }
    }
    t.push_back(1ull << 32);
    return t;
}

StimulusDriver::StimulusDriver(const NetworkSpec& spec, std::uint64_t begin, std::uint64_t end, int channels)
    : seed_(spec.simulation.seed), begin_(begin) {
    const double dt = spec.simulation.dt;
    auto to_step = [&](double t_ms) -> std::uint64_t {
        if (t_ms > 1e299) return ~std::uint64_t{0};
        return static_cast<std::uint64_t>(std::ceil(t_ms / dt - 1e-9));
    };
    auto ranges_of = [&](const std::vector<std::string>& targets) {
        Ranges r;
        for (const auto& name : targets) {
            const PopulationSpec* pop = spec.find_population(name);
            const std::uint64_t a = std::max(begin, pop->first_id), b = std::min(end, pop->first_id + pop->size);
            if (a < b) r.emplace_back(a - begin, b - begin);
        }
        return r;
    };
    for (const auto& st : spec.stimuli) {
        const std::uint64_t channel = channels > 1 && st.weight < 0.0 ? 1 : 0;
        switch (st.kind) {
        case StimulusSpec::Kind::poisson:
            poisson_.push_back({st.index, st.weight, channel, to_step(st.start), to_step(st.stop),
                                poisson_thresholds(st.rate_hz * dt * 1e-3), ranges_of(st.targets)});
            break;
        case StimulusSpec::Kind::dc:
            dc_.push_back({st.amplitude, to_step(st.start), to_step(st.stop), ranges_of(st.targets)});
            break;
        case StimulusSpec::Kind::spike_array: {
            SpikeArray a{st.weight, channel, {}, 0, ranges_of(st.targets)};
            // A spike at time T takes effect at T: it enters the update from T - dt to T.
            for (double t : st.times) a.steps.push_back(static_cast<std::uint64_t>(std::llround(t / dt)) - 1);
            arrays_.push_back(std::move(a));
            break;
        }
        }
    }
}

void StimulusDriver::apply(std::uint64_t step, double, double* syn, std::uint64_t n, double* current) {
    for (const Poisson& src : poisson_) {
        if (step < src.start_step || step >= src.stop_step) continue;
        double* in = syn + src.channel * n;
        const std::uint64_t* th = src.thresholds.data();
        for (const auto& [a, b] : src.ranges) {
            // One Philox block gives the uniforms of four consecutive neurons (keyed by id, not thread).
            std::uint64_t g = begin_ + a;
            const std::uint64_t g_end = begin_ + b;
            while (g < g_end) {
                const auto block = philox_block(seed_, RngPurpose::poisson, src.index, g >> 2, step);
                for (unsigned lane = g & 3; lane < 4 && g < g_end; ++lane, ++g) {
                    const std::uint64_t u = block[lane];
                    unsigned k = 0;
                    while (u >= th[k]) ++k;
                    in[g - begin_] += k * src.weight;
                }
            }
        }
    }
    if (!dc_.empty()) {
        std::fill(current, current + n, 0.0);
        for (const Dc& dc : dc_) {
            if (step < dc.start_step || step >= dc.stop_step) continue;
            for (const auto& [a, b] : dc.ranges)
                for (std::uint64_t i = a; i < b; ++i) current[i] += dc.amplitude;
        }
    }
    for (SpikeArray& arr : arrays_) {
        while (arr.cursor < arr.steps.size() && arr.steps[arr.cursor] < step) ++arr.cursor;
        for (; arr.cursor < arr.steps.size() && arr.steps[arr.cursor] == step; ++arr.cursor)
            for (const auto& [a, b] : arr.ranges)
                for (std::uint64_t i = a; i < b; ++i) syn[arr.channel * n + i] += arr.weight;
    }
}

} // namespace nmsim
