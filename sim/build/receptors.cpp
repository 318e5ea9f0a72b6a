#include "sim/build/receptors.hpp"

#include <algorithm>

#include "models/neuron_model.hpp"

namespace nmsim {

ReceptorRoute route_receptor(const NetworkSpec& spec, const std::vector<std::string>& targets,
                             const std::string& receptor) {
    ReceptorRoute r;
    r.by_sign = receptor.empty();
    for (const auto& name : targets) {
        const PopulationSpec* pop = spec.find_population(name);
        const ModelInfo* model = find_model(pop->model);
        // The loader checked named receptors; every model has excitatory and inhibitory ports.
        const int exc = model->receptor_channel(r.by_sign ? "excitatory" : receptor);
        const int inh = model->receptor_channel("inhibitory");
        r.segments.push_back({pop->first_id, pop->first_id + pop->size, std::max(exc, 0), std::max(inh, 0)});
    }
    std::sort(
        r.segments.begin(), r.segments.end(),
        [](const ReceptorRoute::Segment& a, const ReceptorRoute::Segment& b) { return a.first < b.first; });
    return r;
}

int ReceptorRoute::fixed_channel(std::uint64_t begin, std::uint64_t end, int sign) const {
    int channel = -1;
    for (const Segment& seg : segments) {
        if (seg.end <= begin || seg.first >= end) continue;
        const int c = !by_sign || sign > 0 ? seg.channel : sign < 0 ? seg.inhibitory_channel : -1;
        if (c < 0 || (channel >= 0 && c != channel)) return -1;
        channel = c;
    }
    return channel;
}

} // namespace nmsim
