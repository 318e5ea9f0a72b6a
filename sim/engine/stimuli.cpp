#include "sim/engine/stimuli.hpp"

#include <algorithm>
#include <boost/math/distributions/poisson.hpp>
#include <cmath>

#include "sim/build/receptors.hpp"
#include "sim/random/counter_rng.hpp"
#include "sim/random/distributions.hpp"

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

namespace {
// The thresholds that can decide a count: those equal to 0 count for every u (returned as
// `certain`), those at 2^32 never do.
std::vector<std::uint32_t> deciding_thresholds(const std::vector<std::uint64_t>& all,
                                               std::uint32_t& certain) {
    std::vector<std::uint32_t> out;
    certain = 0;
    for (std::uint64_t th : all) {
        if (th == 0)
            ++certain;
        else if (th < (1ull << 32))
            out.push_back(static_cast<std::uint32_t>(th));
    }
    return out;
}
} // namespace

StimulusDriver::StimulusDriver(const NetworkSpec& spec, std::uint64_t begin, std::uint64_t end, int channels)
    : seed_(spec.simulation.seed), begin_(begin), dt_(spec.simulation.dt) {
    const double dt = spec.simulation.dt;
    auto to_step = [&](double t_ms) -> std::uint64_t {
        if (t_ms > 1e299) return ~std::uint64_t{0};
        return static_cast<std::uint64_t>(std::ceil(t_ms / dt - 1e-9));
    };
    auto ranges_of = [&](const StimulusSpec& st) {
        Ranges r;
        const ReceptorRoute route = route_receptor(spec, st.targets, st.receptor);
        // Global id spans of the chosen neurons: whole populations, or runs of consecutive ids.
        std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;
        if (st.ids.empty()) {
            for (const auto& seg : route.segments) spans.emplace_back(seg.first, seg.end);
        } else {
            std::vector<std::uint64_t> global;
            std::uint64_t offset = 0;
            for (const auto& name : st.targets) {
                const PopulationSpec& pop = *spec.find_population(name);
                for (const std::uint64_t i : st.ids)
                    if (i >= offset && i < offset + pop.size) global.push_back(pop.first_id + (i - offset));
                offset += pop.size;
            }
            std::sort(global.begin(), global.end());
            for (const std::uint64_t g : global)
                if (!spans.empty() && spans.back().second == g)
                    ++spans.back().second;
                else
                    spans.emplace_back(g, g + 1);
        }
        for (const auto& [first, last] : spans)
            for (std::size_t k = 0; k < route.segments.size(); ++k) {
                const auto& seg = route.segments[k];
                const std::uint64_t a = std::max({begin, seg.first, first}),
                                    b = std::min({end, seg.end, last});
                const int c = route.channel(k, st.weight);
                if (a < b)
                    r.push_back({a - begin, b - begin, static_cast<std::uint64_t>(c < channels ? c : 0)});
            }
        return r;
    };
    for (const auto& st : spec.stimuli) {
        // A source that never delivers anything (rate or amplitude 0, as a config switch leaves it) costs
        // nothing.
        if ((st.kind == StimulusSpec::Kind::poisson && st.rate_hz == 0.0) ||
            (st.kind == StimulusSpec::Kind::dc && st.amplitude == 0.0))
            continue;
        switch (st.kind) {
        case StimulusSpec::Kind::poisson: {
            const double lambda = st.rate_hz * dt * 1e-3;
            if (lambda < sparse_poisson_lambda) {
                add_stream(st, lambda, to_step(st.start), to_step(st.stop), ranges_of(st));
                break;
            }
            Poisson src{st.index, st.weight, to_step(st.start), to_step(st.stop), 0, {}, 0, ranges_of(st)};
            src.thresholds = deciding_thresholds(poisson_thresholds(st.rate_hz * dt * 1e-3), src.certain);
            constexpr std::uint32_t rare = 0xFFFFFFFFu - (1u << 20); // P(u >= rare) ~ 2^-12
            while (src.common < src.thresholds.size() && src.thresholds[src.common] <= rare) ++src.common;
            poisson_.push_back(std::move(src));
        } break;
        case StimulusSpec::Kind::dc:
        case StimulusSpec::Kind::ac:
        case StimulusSpec::Kind::noisy:
        case StimulusSpec::Kind::step: {
            Current c{&st, to_step(st.start), to_step(st.stop), ranges_of(st), {}, 1};
            // A step amplitude holds from the first step starting at or after its time.
            for (double t : st.times) c.change_steps.push_back(to_step(t));
            c.interval_steps =
                std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(st.interval / dt)));
            currents_.push_back(std::move(c));
            break;
        }
        case StimulusSpec::Kind::spike_array: {
            SpikeArray a{st.weight, {}, 0, ranges_of(st)};
            // A spike at time T takes effect at T: it enters the update from T - dt to T.
            for (double t : st.times) a.steps.push_back(static_cast<std::uint64_t>(std::llround(t / dt)) - 1);
            arrays_.push_back(std::move(a));
            break;
        }
        }
    }
}

void StimulusDriver::add_stream(const StimulusSpec& st, double lambda, std::uint64_t start,
                                std::uint64_t stop, const Ranges& ranges) {
    PoissonStream s{st.index, st.weight, lambda, start, stop, {}, {}};
    // P(count = c | count >= 1) for c >= 1: the count of an arrival is 1 + the thresholds <= u.
    const double tail = -std::expm1(-lambda); // P(count >= 1)
    double cdf = 0.0, term = std::exp(-lambda);
    for (int c = 1; c < 64; ++c) {
        term *= lambda / c;
        cdf += term;
        const double th = std::floor(std::min(cdf / tail, 1.0) * 4294967296.0);
        if (th >= 4294967296.0) break;
        s.count_thresholds.push_back(static_cast<std::uint32_t>(th));
    }
    s.calendar.resize(calendar_steps);
    for (const auto& [a, b, channel] : ranges)
        for (std::uint64_t i = a; i < b; ++i) {
            Arrival e{0, static_cast<std::uint32_t>(i) | static_cast<std::uint32_t>(channel << 31), 0, 0};
            if (schedule(s, e, start)) s.calendar[e.step % calendar_steps].push_back(e);
        }
    streams_.push_back(std::move(s));
}

std::uint64_t StimulusDriver::stream_bytes() const {
    std::uint64_t b = rescheduled_.capacity() * sizeof(Arrival);
    for (const PoissonStream& s : streams_)
        for (const auto& bucket : s.calendar) b += sizeof bucket + bucket.capacity() * sizeof(Arrival);
    return b;
}

bool StimulusDriver::schedule(const PoissonStream& s, Arrival& e, std::uint64_t after) const {
    const auto r = philox_block(seed_, RngPurpose::poisson_stream, s.index, begin_ + (e.neuron & 0x7FFFFFFFu),
                                e.ordinal);
    // Steps without spikes before the next one: geometric with P(none) = exp(-lambda), by inversion
    // of an exponential gap (floor(E / lambda) for E ~ Exp(1)).
    const double gap = std::floor(-std::log(RandomStream::open_uniform_from(r[0], r[1])) / s.lambda);
    if (after >= s.stop_step || gap >= static_cast<double>(s.stop_step - after)) return false;
    e.step = after + static_cast<std::uint64_t>(gap);
    e.count = 1;
    for (const std::uint32_t th : s.count_thresholds) e.count += r[2] >= th;
    return true;
}

void StimulusDriver::apply_streams(std::uint64_t step, double* syn, std::uint64_t n, TouchSchedule* touch) {
    for (PoissonStream& s : streams_) {
        std::vector<Arrival>& bucket = s.calendar[step % calendar_steps];
        std::size_t keep = 0;
        rescheduled_.clear();
        for (std::size_t k = 0; k < bucket.size(); ++k) {
            if (k + 8 < bucket.size()) { // arrivals are scattered over the partition's neurons
                const std::uint32_t ahead = bucket[k + 8].neuron;
                __builtin_prefetch(&syn[(ahead >> 31) * n + (ahead & 0x7FFFFFFFu)], 1);
                if (touch) touch->prefetch(ahead & 0x7FFFFFFFu, step);
            }
            Arrival e = bucket[k];
            if (e.step != step) {
                bucket[keep++] = e;
                continue;
            }
            const std::uint64_t local = e.neuron & 0x7FFFFFFFu;
            syn[(e.neuron >> 31) * n + local] += e.count * s.weight;
            if (touch) touch->mark(local, step);
            ++e.ordinal;
            if (schedule(s, e, step + 1)) rescheduled_.push_back(e);
        }
        bucket.resize(keep);
        // An emptied bucket gives its memory back: it refills over the next lap, and kept, every bucket's
        // capacity would grow to the most it ever held (near buckets hold the most, and each is near once
        // a lap): with a 500-step mean gap, ~8x the arrivals waiting (sparse_1m: +210 MB in 2 s).
        if (keep == 0) std::vector<Arrival>().swap(bucket);
        for (const Arrival& e : rescheduled_) s.calendar[e.step % calendar_steps].push_back(e);
    }
}

void StimulusDriver::apply(std::uint64_t step, double* syn, std::uint64_t n, double* current,
                           TouchSchedule* touch) {
    if (!streams_.empty()) apply_streams(step, syn, n, touch);
    for (const Poisson& src : poisson_) {
        if (step < src.start_step || step >= src.stop_step) continue;
        for (const auto& [a, b, channel] : src.ranges) {
            if (touch) touch->mark_range(a, b, step);
            double* in = syn + channel * n;
            // Chunks end on multiples of poisson_block in global ids, so a chunk's Philox blocks are
            // at most 16, one philox_consecutive16 (a chunk cut anywhere straddles 17).
            for (std::uint64_t chunk = a, next; chunk < b; chunk = next) {
                next = std::min(b, ((begin_ + chunk) / poisson_block + 1) * poisson_block - begin_);
                const std::uint64_t len = next - chunk;
                std::uint32_t count[poisson_block];
                // Uniforms keyed by (stimulus, neuron / 4, step): one Philox block serves four neurons.
                const std::uint64_t g0 = begin_ + chunk, first_block = g0 >> 2;
                static_assert(poisson_block == 64);   // 16 blocks of four
                std::uint32_t raw[poisson_block + 8]; // counted past len (not used): the tail zeroed
                std::fill(raw + poisson_block, raw + poisson_block + 8, 0u);
                philox_consecutive16(seed_, RngPurpose::poisson, src.index, first_block, step, raw);
                const std::uint32_t* u = raw + (g0 & 3);
                // Inversion without branches: count = number of CDF thresholds <= u.
                for (std::uint64_t i = 0; i < len; ++i) count[i] = src.certain;
                for (std::size_t k = 0; k < src.common; ++k)
                    for (std::uint64_t i = 0; i < poisson_block; ++i) count[i] += u[i] >= src.thresholds[k];
                if (src.common < src.thresholds.size()) {
                    const std::uint32_t rare = src.thresholds[src.common];
                    std::uint32_t any = 0;
                    for (std::uint64_t i = 0; i < poisson_block; ++i) any |= u[i] >= rare;
                    if (any)
                        for (std::size_t k = src.common; k < src.thresholds.size(); ++k)
                            for (std::uint64_t i = 0; i < poisson_block; ++i)
                                count[i] += u[i] >= src.thresholds[k];
                }
                for (std::uint64_t i = 0; i < len; ++i) in[chunk + i] += count[i] * src.weight;
            }
        }
    }
    if (!currents_.empty()) {
        std::fill(current, current + n, 0.0);
        for (const Current& c : currents_) {
            if (step < c.start_step || step >= c.stop_step) continue;
            if (c.spec->kind == StimulusSpec::Kind::noisy) {
                // Each neuron its own normal draw per interval (NEST noise_generator), keyed by
                // (stimulus, neuron, interval).
                const std::uint64_t k = (step - c.start_step) / c.interval_steps;
                const ValueSampler normal(
                    ValueSpec{ValueSpec::Kind::normal, 0.0, c.spec->mean, c.spec->stdev});
                for (const auto& r : c.ranges)
                    for (std::uint64_t i = r.a; i < r.b; ++i) {
                        const auto u =
                            philox_block(seed_, RngPurpose::noise_current, c.spec->index, begin_ + i, k);
                        current[i] += normal(RandomStream::open_uniform_from(u[0], u[1]));
                    }
                continue;
            }
            const double amp = current_at(c, step);
            for (const auto& r : c.ranges)
                for (std::uint64_t i = r.a; i < r.b; ++i) current[i] += amp;
        }
    }
    for (SpikeArray& arr : arrays_) {
        while (arr.cursor < arr.steps.size() && arr.steps[arr.cursor] < step) ++arr.cursor;
        for (; arr.cursor < arr.steps.size() && arr.steps[arr.cursor] == step; ++arr.cursor)
            for (const auto& [a, b, channel] : arr.ranges) {
                for (std::uint64_t i = a; i < b; ++i) syn[channel * n + i] += arr.weight;
                if (touch) touch->mark_range(a, b, step);
            }
    }
}

double StimulusDriver::current_at(const Current& c, std::uint64_t step) const {
    const StimulusSpec& st = *c.spec;
    switch (st.kind) {
    case StimulusSpec::Kind::dc:
        return st.amplitude;
    case StimulusSpec::Kind::ac: {
        // PyNN ACSource: offset + amplitude sin(2 pi f (t - start) + phase), phase in degrees, t at
        // the step's start.
        const double t = (step - c.start_step) * dt_ * 1e-3;
        return st.offset + st.amplitude * std::sin(2.0 * M_PI * st.frequency * t + st.phase * M_PI / 180.0);
    }
    case StimulusSpec::Kind::step: {
        const auto it = std::upper_bound(c.change_steps.begin(), c.change_steps.end(), step);
        return it == c.change_steps.begin()
                   ? 0.0
                   : st.amplitudes[static_cast<std::size_t>(it - c.change_steps.begin()) - 1];
    }
    default:
        return 0.0;
    }
}

} // namespace nmsim
