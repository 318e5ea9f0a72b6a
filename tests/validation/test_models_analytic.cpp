// Neuron models against closed-form solutions (NEST's tolerance: 1e-9 relative where a closed form
// exists) and Izhikevich's published firing patterns. Each case runs the full engine from a config.
#include <gtest/gtest.h>

#include <cmath>

#include "models/lif_exp.hpp"
#include "sim/build/network_builder.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/engine/simulator.hpp"

using namespace nmsim;

namespace {

struct Run {
    NetworkSpec spec;
    RunResult result;
};

// Runs the config on the clock and in event mode (where the model allows it: docs/engine.md), checks
// that both give the same spikes and traces, and returns the clock run.
Run run_config(const std::string& yaml) {
    Run r{load_config_text(yaml, "test.yaml", {"simulation.engine=clock"}), {}};
    BuiltNetwork net = build_network(r.spec, 1);
    r.result = simulate(net);
    const NetworkSpec event_spec = load_config_text(yaml, "test.yaml", {"simulation.engine=event"});
    BuiltNetwork event_net = build_network(event_spec, 1);
    const RunResult event = simulate(event_net);
    for (const auto& [pop, rec] : r.result.spikes) EXPECT_EQ(rec.times_ms, event.spikes.at(pop).times_ms);
    for (std::size_t k = 0; k < r.result.reports.size(); ++k)
        for (std::size_t i = 0; i < r.result.reports[k].data.size(); ++i)
            EXPECT_NEAR(event.reports[k].data[i], r.result.reports[k].data[i],
                        1e-6 * std::max(1.0f, std::abs(r.result.reports[k].data[i])));
    return r;
}

std::string single_neuron(const std::string& model, const std::string& params, const std::string& stimuli,
                          double duration, const std::string& var = "v") {
    return "nmsim: 1\nsimulation: {duration: " + std::to_string(duration) +
           ", dt: 0.1}\n"
           "populations:\n  N: {size: 1, model: " +
           model + ", params: {" + params +
           "}}\n"
           "stimuli:\n" +
           stimuli + "recorders:\n  vm: {type: state, population: N, variable: " + var +
           ", ids: [0], interval: 0.1}\n"
           "  spk: {type: spikes}\n";
}

// A single neuron of `model` with its default parameters overridden by `set`, resting at 0.
std::unique_ptr<NeuronGroup> lone_neuron(const std::string& model, const std::map<std::string, double>& set,
                                         double dt) {
    std::map<std::string, double> p;
    for (const auto& info : find_model(model)->params) p[info.name] = info.default_value;
    for (const auto& [k, v] : set) p[k] = v;
    auto g = find_model(model)->create(1, p, dt);
    g->set(0, 0, 0.0);
    return g;
}

double relative_error(double got, double want) {
    return std::abs(got - want) / std::max(1e-300, std::abs(want));
}

} // namespace

TEST(LifDelta, SubthresholdDcResponseMatchesClosedForm) {
    // V(t) = v_rest + R I (1 - exp(-t / tau_m)), R = tau_m / cm.
    const double tau = 20.0, cm = 0.25, I = 0.2, v_rest = -70.0;
    auto r = run_config(single_neuron("lif_delta",
                                      "tau_m: 20.0, cm: 0.25, v_rest: -70.0, v_thresh: 100.0, v_reset: -70.0",
                                      "  dc: {type: dc, target: N, amplitude: 0.2}\n", 100.0));
    const auto& data = r.result.reports[0].data;
    ASSERT_EQ(data.size(), 1000u);
    // The report stores float32; compare at float precision here and at 1e-9 through the model below.
    for (std::size_t k = 1; k < data.size(); ++k) {
        const double t = k * 0.1;
        const double want = v_rest + tau / cm * I * (1.0 - std::exp(-t / tau));
        ASSERT_LT(relative_error(data[k], want), 1e-6) << "t=" << t;
    }
}

TEST(LifDelta, ExactIntegrationIsExactInDoublePrecision) {
    const double tau = 20.0, cm = 0.25, I = 0.2, dt = 0.1;
    auto g = lone_neuron("lif_delta", {{"tau_m", tau}, {"cm", cm}, {"v_rest", 0.0}, {"v_thresh", 1e3}}, dt);
    double syn = 0.0, cur = I;
    std::vector<std::uint32_t> spiked;
    for (int k = 1; k <= 2000; ++k) {
        StepInput in{{&syn, nullptr}, &cur, 1};
        g->update(0, 1, in, spiked);
        const double want = tau / cm * I * (1.0 - std::exp(-k * dt / tau));
        ASSERT_LT(relative_error(g->get(0, 0), want), 1e-9) << "step " << k;
    }
}

TEST(LifDelta, SingleSpikeJumpsAndDecays) {
    // A 2 mV spike arriving at t = 5 ms: V = 2 exp(-(t - 5) / tau) for t >= 5, 0 before.
    auto r =
        run_config(single_neuron("lif_delta", "tau_m: 10.0, v_rest: 0.0, v_thresh: 100.0, v_reset: 0.0",
                                 "  s: {type: spike_array, target: N, times: [5.0], weight: 2.0}\n", 30.0));
    const auto& data = r.result.reports[0].data;
    for (std::size_t k = 0; k < data.size(); ++k) {
        const double t = k * 0.1;
        const double want = t < 5.0 - 1e-9 ? 0.0 : 2.0 * std::exp(-(t - 5.0) / 10.0);
        ASSERT_NEAR(data[k], want, 1e-6 * 2.0) << "t=" << t;
    }
}

TEST(LifDelta, FiringPeriodAndRefractorinessMatchTheory) {
    // Suprathreshold DC: T = tau_ref + tau ln(RI / (RI - theta)), spikes on the dt grid.
    const double tau = 20.0, cm = 1.0, I = 1.5, theta = 20.0, tref = 2.0;
    auto r = run_config(single_neuron(
        "lif_delta", "tau_m: 20.0, cm: 1.0, v_rest: 0.0, v_reset: 0.0, v_thresh: 20.0, tau_refrac: 2.0",
        "  dc: {type: dc, target: N, amplitude: 1.5}\n", 1000.0));
    const auto& times = r.result.spikes.at("N").times_ms;
    ASSERT_GT(times.size(), 10u);
    const double t_first = tau * std::log(tau / cm * I / (tau / cm * I - theta));
    // First crossing is at the first grid point at or after the exact time.
    EXPECT_NEAR(times[0], std::ceil(t_first / 0.1 - 1e-9) * 0.1, 1e-9);
    // After a reset the neuron is clamped for tau_ref, then rises from v_reset: same interval each time.
    const double isi = times[2] - times[1];
    EXPECT_NEAR(isi, tref + std::ceil(t_first / 0.1 - 1e-9) * 0.1, 0.1 + 1e-9);
    for (std::size_t k = 2; k < times.size(); ++k) EXPECT_NEAR(times[k] - times[k - 1], isi, 1e-9);
    // During refractoriness V stays at v_reset.
    const auto& v = r.result.reports[0].data;
    const std::size_t spike_step = static_cast<std::size_t>(std::llround(times[0] / 0.1));
    for (std::size_t k = spike_step; k < spike_step + 20; ++k) EXPECT_EQ(v[k], 0.0f) << "step " << k;
    EXPECT_GT(v[spike_step + 21], 0.0f);
}

TEST(LifDelta, FiCurveMatchesTheClosedFormPeriod) {
    // f(I) = 1 / (tau_ref + T(I)), T = tau ln(RI / (RI - theta)) rounded up to the dt grid; 0 below rheobase.
    const std::vector<double> currents = {0.9, 1.1, 1.5, 2.0, 4.0}; // nA, R = 20 MOhm, rheobase 1.0 nA
    std::string yaml = "nmsim: 1\nsimulation: {duration: 2000.0, dt: 0.1}\npopulations:\n";
    for (std::size_t i = 0; i < currents.size(); ++i)
        yaml += "  N" + std::to_string(i) +
                ": {size: 1, model: lif_delta, params: {tau_m: 20.0, cm: 1.0, v_rest: 0.0, "
                "v_reset: 0.0, v_thresh: 20.0, tau_refrac: 2.0}}\n";
    yaml += "stimuli:\n";
    for (std::size_t i = 0; i < currents.size(); ++i)
        yaml += "  dc" + std::to_string(i) + ": {type: dc, target: N" + std::to_string(i) +
                ", amplitude: " + std::to_string(currents[i]) + "}\n";
    auto r = run_config(yaml);
    const auto rates = population_rates(r.spec, r.result);
    for (std::size_t i = 0; i < currents.size(); ++i) {
        const double RI = 20.0 * currents[i];
        if (RI <= 20.0) {
            EXPECT_EQ(rates[i], 0.0) << "below rheobase";
            continue;
        }
        const double period = 2.0 + std::ceil(20.0 * std::log(RI / (RI - 20.0)) / 0.1 - 1e-9) * 0.1;
        // Count over 2 s: the first spike has no refractory lead-in, so allow one spike of slack.
        EXPECT_NEAR(rates[i], 1000.0 / period, 0.5 + 1e-9) << "I = " << currents[i];
    }
}

TEST(LifExp, SinglePscMatchesClosedFormTo1e9) {
    // V(t) = w / cm * tau_s tau_m / (tau_m - tau_s) (exp(-t/tau_m) - exp(-t/tau_s)), t from arrival.
    const double tau_m = 10.0, tau_s = 2.0, cm = 0.25, w = 0.5, dt = 0.1;
    auto g = lone_neuron(
        "lif_exp", {{"tau_m", tau_m}, {"tau_syn_E", tau_s}, {"cm", cm}, {"v_rest", 0.0}, {"v_thresh", 1e3}},
        dt);
    double syn[2] = {w, 0.0}, cur = 0.0;
    std::vector<std::uint32_t> spiked;
    StepInput in{{&syn[0], &syn[1]}, &cur, 2};
    g->update(0, 1, in, spiked); // the spike enters the current at the end of this step
    for (int k = 1; k <= 1000; ++k) {
        g->update(0, 1, in, spiked);
        const double t = k * dt;
        const double want =
            w / cm * tau_s * tau_m / (tau_m - tau_s) * (std::exp(-t / tau_m) - std::exp(-t / tau_s));
        ASSERT_LT(relative_error(g->get(0, 0), want), 1e-9) << "t=" << t;
        ASSERT_LT(relative_error(g->get(1, 0), w * std::exp(-t / tau_s)), 1e-9);
    }
}

TEST(LifExp, EqualTimeConstantsUseTheSingularPropagator) {
    // tau_s == tau_m: V(t) = w / cm * t exp(-t / tau).
    const double tau = 10.0, cm = 1.0, w = 1.0, dt = 0.1;
    auto g = lone_neuron(
        "lif_exp", {{"tau_m", tau}, {"tau_syn_E", tau}, {"cm", cm}, {"v_rest", 0.0}, {"v_thresh", 1e3}}, dt);
    double syn[2] = {w, 0.0}, cur = 0.0;
    std::vector<std::uint32_t> spiked;
    StepInput in{{&syn[0], &syn[1]}, &cur, 2};
    g->update(0, 1, in, spiked);
    for (int k = 1; k <= 500; ++k) {
        g->update(0, 1, in, spiked);
        const double t = k * dt;
        ASSERT_LT(relative_error(g->get(0, 0), w / cm * t * std::exp(-t / tau)), 1e-9) << "t=" << t;
    }
    EXPECT_NEAR(propagator_current_to_voltage(tau, tau, cm, dt),
                propagator_current_to_voltage(tau * (1 + 1e-12), tau, cm, dt), 1e-12);
}

TEST(LifExp, InhibitoryInputUsesItsOwnTimeConstantThroughTheEngine) {
    auto r = run_config(single_neuron(
        "lif_exp",
        "tau_m: 10.0, tau_syn_E: 2.0, tau_syn_I: 5.0, cm: 1.0, v_rest: 0.0, v_reset: 0.0, "
        "v_thresh: 100.0",
        "  s: {type: spike_array, target: N, times: [1.0], weight: -1.0}\n", 50.0, "i_syn_inh"));
    const auto& data = r.result.reports[0].data;
    for (std::size_t k = 10; k < data.size(); ++k)
        ASSERT_NEAR(data[k], -std::exp(-(k * 0.1 - 1.0) / 5.0), 1e-6) << "t=" << k * 0.1;
}

TEST(LifAlpha, SingleAlphaPscMatchesClosedFormTo1e9) {
    // I(t) = w e / tau_s t exp(-t / tau_s) (peak w at t = tau_s), into the membrane:
    // V(t) = w e / (tau_s cm) exp(-t / tau_m) (1 - exp(-a t)(1 + a t)) / a^2, a = 1/tau_s - 1/tau_m.
    for (const double tau_s : {2.0, 10.0 * (1 + 1e-9), 10.0}) { // regular, near-singular, singular
        const double tau_m = 10.0, cm = 0.25, w = 0.5, dt = 0.1, a = 1.0 / tau_s - 1.0 / tau_m;
        auto g = lone_neuron(
            "lif_alpha",
            {{"tau_m", tau_m}, {"tau_syn_E", tau_s}, {"cm", cm}, {"v_rest", 0.0}, {"v_thresh", 1e3}}, dt);
        double syn[2] = {w, 0.0}, cur = 0.0;
        std::vector<std::uint32_t> spiked;
        StepInput in{{&syn[0], &syn[1]}, &cur, 2};
        g->update(0, 1, in, spiked); // the spike enters the current at the end of this step
        double peak_t = 0, peak_i = 0;
        for (int k = 1; k <= 1000; ++k) {
            g->update(0, 1, in, spiked);
            const double t = k * dt;
            const double x = a * t; // the series where the closed form cancels (tau_s near tau_m)
            const double shape = std::abs(x) < 1e-3 ? t * t * (0.5 - x / 3 + x * x / 8)
                                                    : (1 - std::exp(-x) * (1 + x)) / (a * a);
            const double want = w * std::exp(1.0) / (tau_s * cm) * std::exp(-t / tau_m) * shape;
            ASSERT_LT(relative_error(g->get(0, 0), want), 1e-9) << "tau_s=" << tau_s << " t=" << t;
            const double i = g->get(1, 0);
            ASSERT_LT(relative_error(i, w * std::exp(1.0) / tau_s * t * std::exp(-t / tau_s)), 1e-9);
            if (i > peak_i) {
                peak_i = i;
                peak_t = t;
            }
        }
        EXPECT_NEAR(peak_i, w, 1e-3 * w) << "the weight is the current's peak";
        EXPECT_NEAR(peak_t, tau_s, dt);
    }
}

namespace {
// u(t) = V(t) - E_L for u' = -(g_L + g(s)) u / C + g(s) (E_rev - E_L) / C, u(0) = 0, by composite
// Simpson on the exact solution u(t) = int_0^t exp(-(A(t) - A(s))) g(s) (E_rev - E_L) / C ds.
template <class G, class IntG>
double conductance_response(double t, double g_l, double cm, double drive, G&& g, IntG&& int_g) {
    const int n = 20000;
    auto big_a = [&](double s) { return (g_l * s + int_g(s)) / cm; };
    double sum = 0;
    for (int k = 0; k <= n; ++k) {
        const double s = t * k / n, wgt = (k == 0 || k == n) ? 1 : (k % 2 ? 4 : 2);
        sum += wgt * std::exp(-(big_a(t) - big_a(s))) * g(s) * drive / cm;
    }
    return sum * t / (3.0 * n);
}
} // namespace

TEST(LifCond, ExponentialConductancePulseMatchesTheExactSolution) {
    // One 10 nS pulse into a resting IF_cond_exp neuron, subthreshold: RK4 on the closed-form
    // conductance against the exact solution of the linear ODE, to 1e-7 relative.
    const double tau_m = 20.0, cm = 1.0, tau_s = 5.0, w = 0.01, e_l = -65.0, e_e = 0.0, dt = 0.1,
                 g_l = cm / tau_m;
    std::map<std::string, double> p;
    for (const auto& info : find_model("lif_cond_exp")->params) p[info.name] = info.default_value;
    p["v_thresh"] = 1e3;
    auto g = find_model("lif_cond_exp")->create(1, p, dt);
    g->set(0, 0, e_l);
    double syn[2] = {w, 0.0}, cur = 0.0;
    std::vector<std::uint32_t> spiked;
    StepInput in{{&syn[0], &syn[1]}, &cur, 2};
    g->update(0, 1, in, spiked);
    for (int k = 1; k <= 600; ++k) {
        g->update(0, 1, in, spiked);
        const double t = k * dt;
        const double want = conductance_response(
            t, g_l, cm, e_e - e_l, [&](double s) { return w * std::exp(-s / tau_s); },
            [&](double s) { return w * tau_s * (1 - std::exp(-s / tau_s)); });
        ASSERT_LT(relative_error(g->get(0, 0) - e_l, want), 1e-7) << "t=" << t;
        ASSERT_LT(relative_error(g->get(1, 0), w * std::exp(-t / tau_s)), 1e-12);
    }
}

TEST(LifCond, AlphaConductancePulseMatchesTheExactSolution) {
    const double tau_m = 20.0, cm = 1.0, tau_s = 0.3, w = 0.02, e_l = -65.0, e_e = 0.0, dt = 0.1,
                 g_l = cm / tau_m;
    std::map<std::string, double> p;
    for (const auto& info : find_model("lif_cond_alpha")->params) p[info.name] = info.default_value;
    p["v_thresh"] = 1e3;
    auto g = find_model("lif_cond_alpha")->create(1, p, dt);
    g->set(0, 0, e_l);
    double syn[2] = {w, 0.0}, cur = 0.0;
    std::vector<std::uint32_t> spiked;
    StepInput in{{&syn[0], &syn[1]}, &cur, 2};
    g->update(0, 1, in, spiked);
    const double e = std::exp(1.0);
    double peak = 0;
    for (int k = 1; k <= 300; ++k) {
        g->update(0, 1, in, spiked);
        const double t = k * dt;
        const double want = conductance_response(
            t, g_l, cm, e_e - e_l, [&](double s) { return w * e / tau_s * s * std::exp(-s / tau_s); },
            [&](double s) { return w * e * (tau_s - (tau_s + s) * std::exp(-s / tau_s)); });
        // RK4 in sub-steps of tau_s / 10: 4e-7 at the first step, where u grows from zero as t^3.
        ASSERT_LT(relative_error(g->get(0, 0) - e_l, want), 1e-6) << "t=" << t;
        peak = std::max(peak, g->get(1, 0));
    }
    EXPECT_NEAR(peak, w, 0.02 * w) << "the weight is the conductance's peak";
}

TEST(Adex, AdaptsAndMatchesAFineReferenceIntegration) {
    // PyNN's EIF_cond_exp_isfa_ista defaults under 1 nA: the inter-spike intervals grow (spike
    // frequency adaptation through w) and every spike lands within one step of an independent RK4
    // integration of the same equations at dt / 512.
    const double dt = 0.1, I = 1.0;
    std::map<std::string, double> p;
    for (const auto& info : find_model("adex")->params) p[info.name] = info.default_value;
    p["i_offset"] = I;
    auto g = find_model("adex")->create(1, p, dt);
    g->set(0, 0, p["v_rest"]);
    double syn[2] = {0.0, 0.0}, cur = 0.0;
    std::vector<std::uint32_t> spiked;
    StepInput in{{&syn[0], &syn[1]}, &cur, 2};
    std::vector<double> model_spikes;
    for (int k = 0; k < 5000; ++k) {
        spiked.clear();
        g->update(0, 1, in, spiked);
        if (!spiked.empty()) model_spikes.push_back((k + 1) * dt);
    }
    // Reference: the same ODE, RK4 at h = dt / 512, refractory clamp, reset and w += b.
    const double cm = p["cm"], gl = cm / p["tau_m"], el = p["v_rest"], vt = p["v_thresh"], dT = p["delta_T"];
    const double a = p["a"] * 1e-3, b = p["b"], tw = p["tau_w"], vs = p["v_spike"], vr = p["v_reset"];
    const int refrac = static_cast<int>(std::llround(p["tau_refrac"] / dt));
    auto fv = [&](double v, double w) {
        return (gl * (el - v) + gl * dT * std::exp((std::min(v, vs) - vt) / dT) - w + I) / cm;
    };
    auto fw = [&](double v, double w) { return (a * (v - el) - w) / tw; };
    std::vector<double> ref_spikes;
    double v = el, w = 0;
    int r = 0;
    const int sub = 512;
    const double h = dt / sub;
    for (int k = 0; k < 5000; ++k) {
        for (int j = 0; j < sub; ++j) {
            if (r > 0) v = vr;
            const double k1v = r ? 0 : fv(v, w), k1w = fw(v, w);
            const double k2v = r ? 0 : fv(v + h / 2 * k1v, w + h / 2 * k1w),
                         k2w = fw(v + h / 2 * k1v, w + h / 2 * k1w);
            const double k3v = r ? 0 : fv(v + h / 2 * k2v, w + h / 2 * k2w),
                         k3w = fw(v + h / 2 * k2v, w + h / 2 * k2w);
            const double k4v = r ? 0 : fv(v + h * k3v, w + h * k3w), k4w = fw(v + h * k3v, w + h * k3w);
            v += h / 6 * (k1v + 2 * k2v + 2 * k3v + k4v);
            w += h / 6 * (k1w + 2 * k2w + 2 * k3w + k4w);
        }
        if (r > 0) {
            --r;
            v = vr;
        } else if (v >= vs) {
            r = refrac;
            v = vr;
            w += b;
            ref_spikes.push_back((k + 1) * dt);
        }
    }
    ASSERT_GE(model_spikes.size(), 5u);
    ASSERT_EQ(model_spikes.size(), ref_spikes.size());
    for (std::size_t i = 0; i < ref_spikes.size(); ++i)
        EXPECT_NEAR(model_spikes[i], ref_spikes[i], dt + 1e-9) << i;
    for (std::size_t i = 2; i < model_spikes.size(); ++i)
        EXPECT_GE(model_spikes[i] - model_spikes[i - 1], model_spikes[i - 1] - model_spikes[i - 2] - dt)
            << "adaptation";
    EXPECT_GT(model_spikes[4] - model_spikes[3], 1.5 * (model_spikes[1] - model_spikes[0]));
}

TEST(Izhikevich, RestsAtTheFixedPointWithoutInput) {
    // Regular spiking (a=0.02, b=0.2): 0.04 v^2 + 5 v + 140 - b v = 0 -> v* = -70, u* = -14.
    auto r = run_config(
        "nmsim: 1\nsimulation: {duration: 2000.0, dt: 0.1}\n"
        "populations:\n  N: {size: 1, model: izhikevich, params: {a: 0.02, b: 0.2, c: -65.0, d: 8.0},"
        " initial: {v: -65.0, u: -13.0}}\n"
        "recorders:\n  vm: {type: state, population: N, variable: v, ids: [0], interval: 1.0}\n");
    EXPECT_NEAR(r.result.reports[0].data.back(), -70.0, 1e-3);
}

namespace {
std::vector<double> izhikevich_spikes(double a, double d) {
    auto r = run_config("nmsim: 1\nsimulation: {duration: 1000.0, dt: 0.1}\n"
                        "populations:\n  N: {size: 1, model: izhikevich, params: {a: " +
                        std::to_string(a) + ", b: 0.2, c: -65.0, d: " + std::to_string(d) +
                        ", i_offset: 10.0}}\n"
                        "recorders:\n  s: {type: spikes}\n");
    return r.result.spikes.at("N").times_ms;
}
} // namespace

TEST(Izhikevich, ExternalCurrentInNanoampsIsOffsetInPicoamps) {
    // A DC stimulus of 0.01 nA drives the model exactly as i_offset = 10 (pA, NEST's I_e).
    const std::string head =
        "nmsim: 1\nsimulation: {duration: 300.0, dt: 0.1}\npopulations:\n  N: {size: 1, model: "
        "izhikevich, params: {a: 0.02, b: 0.2, c: -65.0, d: 8.0";
    auto offset = run_config(head + ", i_offset: 10.0}}\nrecorders: {s: {type: spikes}}\n");
    auto dc = run_config(
        head + "}}\nstimuli: {dc: {type: dc, target: N, amplitude: 0.01}}\nrecorders: {s: {type: spikes}}\n");
    ASSERT_GT(offset.result.spikes.at("N").times_ms.size(), 3u);
    EXPECT_EQ(dc.result.spikes.at("N").times_ms, offset.result.spikes.at("N").times_ms);
}

TEST(Izhikevich, RegularSpikingAdaptsAndFastSpikingFiresTonicallyFast) {
    // Izhikevich (2003), Fig. 2, I = 10: RS (a=0.02, d=8) fires a short first ISI then adapts to slow
    // tonic firing; FS (a=0.1, d=2) settles within a few spikes into high-frequency firing. The first
    // FS intervals still carry the transient from v = c, u = b c, so steadiness is judged after it.
    const auto rs = izhikevich_spikes(0.02, 8.0), fs = izhikevich_spikes(0.1, 2.0);
    ASSERT_GT(rs.size(), 5u);
    ASSERT_GT(fs.size(), 50u);
    const double rs_first = rs[1] - rs[0], rs_last = rs[rs.size() - 1] - rs[rs.size() - 2];
    EXPECT_GT(rs_last, 1.5 * rs_first) << "RS adapts";
    const double rs_rate = 1000.0 / rs_last, fs_rate = 1000.0 / (fs[fs.size() - 1] - fs[fs.size() - 2]);
    EXPECT_GT(rs_rate, 10.0);
    EXPECT_LT(rs_rate, 40.0) << "RS settles to slow tonic firing";
    EXPECT_GT(fs_rate, 100.0) << "FS fires at high frequency";
    const double fs_last = fs[fs.size() - 1] - fs[fs.size() - 2];
    for (std::size_t k = 4; k < fs.size(); ++k)
        EXPECT_NEAR(fs[k] - fs[k - 1], fs_last, 0.05 * fs_last)
            << "FS is tonic after its third spike, k=" << k;
}
