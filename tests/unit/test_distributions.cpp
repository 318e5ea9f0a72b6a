// Exact samplers: the normal quantile against Boost, truncated distributions by inverse CDF (bounds,
// moments, no hang on a hopeless truncation), binomial and hypergeometric inversion against their pmf.
#include <gtest/gtest.h>

#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/hypergeometric.hpp>
#include <boost/math/distributions/normal.hpp>
#include <cmath>

#include "sim/build/connectivity.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/random/counter_rng.hpp"
#include "sim/random/distributions.hpp"
#include "sim/spec/errors.hpp"
#include "tests/unit/decoded_tables.hpp"

using namespace nmsim;
using namespace nmsim::test;

namespace {

ValueSpec normal_spec(double mean, double std, double min = -1e300, double max = 1e300) {
    ValueSpec v;
    v.kind = ValueSpec::Kind::normal;
    v.a = mean;
    v.b = std;
    v.min = min;
    v.max = max;
    return v;
}

// Fraction of the outcomes of sampler(u) over a fine grid of u equal to k, for k in [0, kmax].
template <class Sampler> std::vector<double> outcome_fractions(Sampler&& sampler, std::size_t kmax) {
    const int grid = 1 << 20;
    std::vector<double> f(kmax + 1, 0.0);
    for (int i = 0; i < grid; ++i) {
        const std::uint64_t k = sampler((i + 0.5) / grid);
        EXPECT_LE(k, kmax);
        if (k <= kmax) f[k] += 1.0 / grid;
    }
    return f;
}

} // namespace

TEST(Distributions, NormalQuantileMatchesBoostTo1e15) {
    const boost::math::normal_distribution<double> n;
    for (double lp = -300; lp < 0; lp += 0.37) {
        const double p = std::pow(10.0, lp);
        for (const double x : {p, 1.0 - p}) {
            if (x <= 0.0 || x >= 1.0) continue;
            const double expect = boost::math::quantile(n, x);
            EXPECT_NEAR(normal_quantile(x), expect, 2e-15 * std::abs(expect) + 1e-300) << "p = " << x;
        }
    }
    EXPECT_EQ(normal_quantile(0.5), 0.0);
}

TEST(Distributions, TruncatedNormalStaysInBoundsWithTheRightMean) {
    // The upper tail beyond 4 sigma: 3.2e-5 of the mass, where redrawing would take ~31,000 tries a value.
    const ValueSampler tail(normal_spec(0.0, 1.0, 4.0));
    EXPECT_NEAR(tail.mass(), 3.167124183e-5, 1e-13);
    RandomStream rng(7, RngPurpose::weight, 0, 0);
    double sum = 0;
    const int n = 200000;
    for (int i = 0; i < n; ++i) {
        const double x = tail(rng.open_uniform());
        ASSERT_GE(x, 4.0);
        sum += x;
    }
    // E[X | X > 4] = phi(4) / (1 - Phi(4)) = 4.22561; the sample mean's sd is ~0.22 / sqrt(n).
    EXPECT_NEAR(sum / n, 4.225607, 5 * 0.2203 / std::sqrt(n));

    // Two-sided, mirrored into the lower tail: N(2, 1) on [5, 5.5].
    const ValueSampler band(normal_spec(2.0, 1.0, 5.0, 5.5));
    for (int i = 0; i < 1000; ++i) {
        const double x = band(rng.open_uniform());
        ASSERT_GE(x, 5.0);
        ASSERT_LE(x, 5.5);
    }
    EXPECT_NEAR(band.lowest(), 5.0, 1e-9);
    EXPECT_NEAR(band.highest(), 5.5, 1e-9);
}

TEST(Distributions, LognormalTruncatesOnTheLogScale) {
    ValueSpec v;
    v.kind = ValueSpec::Kind::lognormal;
    v.a = 0.0;
    v.b = 1.0;
    v.min = 1.0;
    v.max = std::exp(1.0);
    const ValueSampler s(v);
    EXPECT_NEAR(s.mass(), 0.341344746, 1e-9); // Phi(1) - Phi(0)
    RandomStream rng(3, RngPurpose::weight, 0, 0);
    for (int i = 0; i < 1000; ++i) {
        const double x = s(rng.open_uniform());
        ASSERT_GE(x, 1.0);
        ASSERT_LE(x, std::exp(1.0) * (1 + 1e-15));
    }
}

TEST(Distributions, HopelessTruncationIsAConfigErrorNotAHang) {
    // mean 2, std 0.025, max 0: 80 standard deviations away (this used to redraw forever).
    try {
        load_config_text(two_pops("{rule: all_to_all}",
                                  "{weight: {normal: {mean: 2.0, std: 0.025, max: 0.0}}, delay: 1.0}"),
                         "bad.yaml");
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.file, "bad.yaml");
        EXPECT_GT(e.line, 0);
        EXPECT_EQ(e.key_path, "projections.P.synapse.weight.normal");
        EXPECT_NE(e.detail.find("lies inside [min, max]"), std::string::npos) << e.detail;
    }
    // The same for a delay given with --set, and for a lognormal.
    EXPECT_THROW(
        load_config_text(two_pops("{rule: all_to_all}"), "c",
                         {"projections.P.synapse.delay={normal: {mean: 50, std: 0.1, min: 0.1, max: 1.0}}"}),
        ConfigError);
    EXPECT_THROW(
        load_config_text(two_pops("{rule: all_to_all}",
                                  "{weight: {lognormal: {mu: 0, sigma: 0.1, min: 100}}, delay: 1.0}"),
                         "c"),
        ConfigError);
    // Enough mass (1.3e-3 of it) is accepted.
    EXPECT_NO_THROW(load_config_text(
        two_pops("{rule: all_to_all}", "{weight: {normal: {mean: 0.0, std: 1.0, min: 3.0}}, delay: 1.0}"),
        "c"));
}

TEST(Distributions, OpenEndedDelayIsCutAtTheCapacityLimit) {
    const NetworkSpec spec = load_config_text(
        two_pops("{rule: all_to_all}", "{weight: 1.0, delay: {normal: {mean: 1.5, std: 0.75, min: 0.1}}}"),
        "c");
    EXPECT_NEAR(spec.projections[0].delay.max, max_delay_steps * 0.1, 1e-9);
    EXPECT_THROW(
        load_config_text(two_pops("{rule: all_to_all}",
                                  "{weight: 1.0, delay: {normal: {mean: 6000, std: 500, min: 0.1}}}"),
                         "c"),
        ConfigError); // a real part of it lies beyond 65535 steps
}

TEST(Distributions, BinomialInversionReproducesThePmf) {
    const boost::math::binomial_distribution<double> b(20, 0.3);
    const auto f = outcome_fractions([](double u) { return sample_binomial(20, 0.3, u); }, 20);
    for (int k = 0; k <= 20; ++k) EXPECT_NEAR(f[k], boost::math::pdf(b, k), 2e-6) << "k = " << k;
    // p > 1/2 goes through the mirror.
    const boost::math::binomial_distribution<double> b2(13, 0.85);
    const auto f2 = outcome_fractions([](double u) { return sample_binomial(13, 0.85, u); }, 13);
    for (int k = 0; k <= 13; ++k) EXPECT_NEAR(f2[k], boost::math::pdf(b2, k), 2e-6) << "k = " << k;
    EXPECT_EQ(sample_binomial(0, 0.5, 0.3), 0u);
    EXPECT_EQ(sample_binomial(9, 1.0, 0.3), 9u);
}

TEST(Distributions, LargeBinomialHasTheRightMoments) {
    // The root split of a 3e7-synapse projection: mean np, variance np(1-p).
    const std::uint64_t n = 30000000;
    RandomStream rng(11, RngPurpose::connect, 0, 0);
    double sum = 0, sq = 0;
    const int draws = 4000;
    for (int i = 0; i < draws; ++i) {
        const double k = static_cast<double>(sample_binomial(n, 0.4, rng.uniform()));
        sum += k;
        sq += k * k;
    }
    const double mean = sum / draws, var = sq / draws - mean * mean, sd = std::sqrt(n * 0.4 * 0.6);
    EXPECT_NEAR(mean, n * 0.4, 5 * sd / std::sqrt(draws));
    EXPECT_NEAR(var / (sd * sd), 1.0, 0.1);
}

TEST(Distributions, HypergeometricInversionReproducesThePmf) {
    const boost::math::hypergeometric_distribution<double> h(7, 10, 30); // good, draws, total
    const auto f = outcome_fractions([](double u) { return sample_hypergeometric(10, 7, 30, u); }, 7);
    for (int k = 0; k <= 7; ++k) EXPECT_NEAR(f[k], boost::math::pdf(h, k), 2e-6) << "k = " << k;
    // Support bounded below: 25 draws from 30 with 20 good leave at least 15 good.
    const boost::math::hypergeometric_distribution<double> h2(20, 25, 30);
    const auto f2 = outcome_fractions([](double u) { return sample_hypergeometric(25, 20, 30, u); }, 20);
    for (int k = 0; k <= 20; ++k)
        EXPECT_NEAR(f2[k], k >= 15 ? boost::math::pdf(h2, k) : 0.0, 2e-6) << "k = " << k;
}

template <int N> void expect_batch_is_philox_block() {
    std::uint32_t c[4][N];
    for (int k = 0; k < N; ++k) {
        const auto w =
            philox_counter(RngPurpose::poisson, 7, 1000003ull * k + (k == 5 ? (1ull << 33) : 0), 424242 + k);
        for (int i = 0; i < 4; ++i) c[i][k] = w[i];
    }
    philox_batch(0x123456789ABCDEFull, c);
    for (int k = 0; k < N; ++k) {
        const auto r = philox_block(0x123456789ABCDEFull, RngPurpose::poisson, 7,
                                    1000003ull * k + (k == 5 ? (1ull << 33) : 0), 424242 + k);
        for (int i = 0; i < 4; ++i)
            EXPECT_EQ(c[i][k], r[i]) << N << " counters: counter " << k << " word " << i;
    }
}

TEST(CounterRng, BatchedPhiloxIsBitwisePhiloxBlock) {
    // The Poisson drive draws through philox_batch; it must be the same function as philox_block:
    // the generic loop (17) and the AVX-512 lanes (16, where the machine has them).
    expect_batch_is_philox_block<17>();
    expect_batch_is_philox_block<16>();
    expect_batch_is_philox_block<3>();
}

TEST(CounterRng, ConsecutiveObjectsAreEachObjectsPhiloxBlock) {
    // The Poisson drive's 16 blocks at once (AVX-512: built and transposed in registers), across the
    // 2^32 boundary of the object id too.
    for (const std::uint64_t first : {0ull, 987654321ull, (1ull << 32) - 7, (5ull << 32) - 3}) {
        std::uint32_t out[64];
        philox_consecutive16(0xFEDCBA987654321ull, RngPurpose::poisson, 3, first, 77777, out);
        for (int k = 0; k < 16; ++k) {
            const auto r = philox_block(0xFEDCBA987654321ull, RngPurpose::poisson, 3, first + k, 77777);
            for (int w = 0; w < 4; ++w)
                EXPECT_EQ(out[4 * k + w], r[w]) << first << " + " << k << " word " << w;
        }
    }
}

TEST(CounterRng, ConsecutiveCountersAreEachCountersPhiloxBlock) {
    // A stream's 16 blocks at once (RandomStream16), across the 2^32 boundary of the counter too.
    for (const std::uint64_t first : {0ull, 123456ull, (1ull << 32) - 5, (3ull << 32) - 16}) {
        std::uint32_t out[64];
        philox_counters16(0x0123456789ABCDEFull, RngPurpose::connect_block, 9, (7ull << 40) | 5, first, out);
        for (int k = 0; k < 16; ++k) {
            const auto r = philox_block(0x0123456789ABCDEFull, RngPurpose::connect_block, 9, (7ull << 40) | 5,
                                        first + k);
            for (int w = 0; w < 4; ++w)
                EXPECT_EQ(out[4 * k + w], r[w]) << first << " + " << k << " word " << w;
        }
    }
}

TEST(CounterRng, TheBatchedStreamIsTheStream) {
    // RandomStream16 gives RandomStream's draws in order, including below32's rare redraws (n near
    // 2^32 makes them frequent).
    RandomStream a(42, RngPurpose::connect_block, 3, 1234567);
    RandomStream16 b(42, RngPurpose::connect_block, 3, 1234567);
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.next_u32(), b.next_u32()) << i;
    for (const std::uint32_t n : {1u, 7u, 1000u, 0x80000001u, 0xFFFFFFF0u})
        for (int i = 0; i < 500; ++i) ASSERT_EQ(a.below32(n), b.below32(n)) << n << " draw " << i;
}

TEST(CounterRng, BatchedSynapseValuesAreTheSingleDraws) {
    // The build draws values in batches; procedural delivery draws them one at a time: same bits.
    const NetworkSpec spec = load_config_text(
        two_pops("{rule: all_to_all}", "{weight: {lognormal: {mu: -1.0, sigma: 0.7, max: 2.0}}, delay: "
                                       "{normal: {mean: 1.5, std: 1.0, min: 0.1}}}"),
        "c");
    const SynapseValues values(spec, spec.projections[0]);
    std::uint64_t targets[SynapseValues::batch];
    std::uint32_t ordinals[SynapseValues::batch], delays[SynapseValues::batch];
    double weights[SynapseValues::batch];
    for (int n : {1, 7, SynapseValues::batch}) {
        for (int i = 0; i < n; ++i) {
            targets[i] = 40 + (i * 7) % 50;
            ordinals[i] = static_cast<std::uint32_t>(i % 3);
        }
        values.draw_batch(12, n, targets, ordinals, weights, delays);
        for (int i = 0; i < n; ++i) {
            double w;
            std::uint32_t d;
            values(12, targets[i], ordinals[i], w, d);
            EXPECT_EQ(w, weights[i]) << i;
            EXPECT_EQ(d, delays[i]) << i;
        }
    }
}

TEST(CounterRng, TabulatedDelaysAreTheQuantilesRoundedToSteps) {
    // Drawn delays are read from the cells where the step changes; every cell must give what the
    // quantile, float32 rounding and step rounding give: at each change, beside it, and at random.
    for (const char* delay : {"{normal: {mean: 1.5, std: 0.75, min: 0.1}}", "{uniform: [0.5, 3.0]}",
                              "{lognormal: {mu: 0.0, sigma: 0.5, min: 0.1, max: 8.0}}",
                              "{normal: {mean: 0.75, std: 0.375, min: 0.1}}"}) {
        const NetworkSpec spec = load_config_text(
            two_pops("{rule: all_to_all}", std::string("{weight: 1.0, delay: ") + delay + "}"), "c");
        const SynapseValues values(spec, spec.projections[0]);
        ASSERT_LT(values.min_delay_steps(), values.max_delay_steps()) << delay;
        std::uint64_t changes = 0;
        for (std::uint64_t cell = 1; cell < (std::uint64_t{1} << 52); cell += 0x555555555ull) {
            ASSERT_EQ(values.drawn_delay(cell), values.delay_at_cell(cell)) << delay << " cell " << cell;
        }
        // Bisect each change again from the outside and check both of its sides.
        for (std::uint32_t k = values.min_delay_steps() + 1; k <= values.max_delay_steps(); ++k) {
            std::uint64_t a = 0, b = (std::uint64_t{1} << 52) - 1;
            while (b - a > 1) {
                const std::uint64_t m = a + (b - a) / 2;
                (values.delay_at_cell(m) >= k ? b : a) = m;
            }
            EXPECT_EQ(values.drawn_delay(b), values.delay_at_cell(b)) << delay;
            EXPECT_EQ(values.drawn_delay(b - 1), values.delay_at_cell(b - 1)) << delay;
            EXPECT_EQ(values.drawn_delay(b), k) << delay;
            ++changes;
        }
        EXPECT_GT(changes, 10u) << delay;
        // The extremes are the reachable range.
        EXPECT_EQ(values.drawn_delay(0), values.min_delay_steps()) << delay;
        EXPECT_EQ(values.drawn_delay((std::uint64_t{1} << 52) - 1), values.max_delay_steps()) << delay;
    }
}
