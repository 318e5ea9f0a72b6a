#include "sim/run/fidelity.hpp"

#include <cmath>

namespace nmsim {

FidelityReport compare_runs(const NetworkSpec& spec, const std::string& chip, const RunResult& reference,
                            const RunResult& quantised) {
    FidelityReport report;
    report.chip = chip;
    const auto rf = population_rates(spec, reference), rq = population_rates(spec, quantised);
    for (std::size_t p = 0; p < spec.populations.size(); ++p) {
        const auto& pop = spec.populations[p];
        PopulationFidelity f;
        f.population = pop.name;
        f.rate_float_hz = rf[p];
        f.rate_chip_hz = rq[p];
        f.rate_rel_error = rf[p] > 0 ? (rq[p] - rf[p]) / rf[p] : (rq[p] > 0 ? INFINITY : 0.0);
        double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, diff = 0;
        const double n = static_cast<double>(pop.size);
        for (std::uint64_t i = pop.first_id; i < pop.first_id + pop.size; ++i) {
            const double a = reference.spike_counts[i], b = quantised.spike_counts[i];
            sa += a;
            sb += b;
            saa += a * a;
            sbb += b * b;
            sab += a * b;
            diff += std::abs(a - b);
        }
        const double va = saa - sa * sa / n, vb = sbb - sb * sb / n;
        // Constant counts have no correlation to speak of: 1 when the runs agree exactly, else 0.
        f.rate_correlation =
            va > 0 && vb > 0 ? (sab - sa * sb / n) / std::sqrt(va * vb) : (diff == 0 ? 1.0 : 0.0);
        f.count_distance = sa > 0 ? diff / sa : (diff == 0 ? 0.0 : INFINITY);
        report.populations.push_back(f);
    }
    return report;
}

nlohmann::json FidelityReport::to_json() const {
    nlohmann::json j;
    j["chip"] = chip;
    for (const auto& f : populations)
        j["populations"][f.population] = {{"rate_float_hz", f.rate_float_hz},
                                          {"rate_chip_hz", f.rate_chip_hz},
                                          {"rate_rel_error", f.rate_rel_error},
                                          {"rate_correlation", f.rate_correlation},
                                          {"count_distance", f.count_distance}};
    return j;
}

} // namespace nmsim
