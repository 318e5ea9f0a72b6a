#include "models/heterogeneous_group.hpp"

#include <algorithm>

#include "sim/spec/network_spec.hpp"

namespace nmsim {
namespace {

class HeterogeneousGroup final : public NeuronGroup {
public:
    struct Run {
        std::uint64_t begin, end; // population-local ids
        std::unique_ptr<NeuronGroup> group;
    };
    explicit HeterogeneousGroup(std::vector<Run> runs) : runs_(std::move(runs)) {}

    void update(std::uint64_t begin, std::uint64_t end, const StepInput& in,
                std::vector<std::uint32_t>& spiked) override {
        for (std::size_t r = find(begin); r < runs_.size() && runs_[r].begin < end; ++r) {
            const Run& run = runs_[r];
            const std::uint64_t a = std::max(begin, run.begin), b = std::min(end, run.end);
            const std::uint64_t shift = a - begin; // input slices are indexed from `begin`
            StepInput sub = in;
            for (int c = 0; c < 2; ++c)
                if (in.syn[c]) sub.syn[c] = in.syn[c] + shift;
            sub.current = in.current + shift;
            const std::size_t first = spiked.size();
            run.group->update(a - run.begin, b - run.begin, sub, spiked);
            for (std::size_t k = first; k < spiked.size(); ++k)
                spiked[k] += static_cast<std::uint32_t>(run.begin);
        }
    }
    std::string event_blocker() const override {
        for (const Run& run : runs_)
            if (auto why = run.group->event_blocker(); !why.empty()) return why;
        return "";
    }
    void begin_event_mode() override {
        for (const Run& run : runs_) run.group->begin_event_mode();
    }
    // The ids split into their runs, each run given its own ids and input slices.
    void update_touched(std::span<const std::uint32_t> ids, std::uint64_t base, const StepInput& in,
                        std::vector<std::uint32_t>& spiked, std::vector<std::uint32_t>& active) override {
        thread_local std::vector<std::uint32_t> local;
        for (std::size_t lo = 0; lo < ids.size();) {
            const Run& run = runs_[find(ids[lo])];
            std::size_t hi = lo;
            local.clear(); // run-local ids
            while (hi < ids.size() && ids[hi] < run.end) local.push_back(ids[hi++] - run.begin);
            const std::uint64_t a = std::max(base, run.begin); // input slices start at a
            StepInput sub = in;
            for (int c = 0; c < 2; ++c)
                if (in.syn[c]) sub.syn[c] = in.syn[c] + (a - base);
            if (in.current) sub.current = in.current + (a - base);
            const std::size_t first_spike = spiked.size(), first_active = active.size();
            run.group->update_touched(local, a - run.begin, sub, spiked, active);
            const auto shift = static_cast<std::uint32_t>(run.begin);
            for (std::size_t k = first_spike; k < spiked.size(); ++k) spiked[k] += shift;
            for (std::size_t k = first_active; k < active.size(); ++k) active[k] += shift;
            lo = hi;
        }
    }
    void catch_up(std::uint64_t i, std::uint64_t step) override {
        const Run& run = runs_[find(i)];
        run.group->catch_up(i - run.begin, step);
    }
    double get(int variable, std::uint64_t i) const override {
        const Run& run = runs_[find(i)];
        return run.group->get(variable, i - run.begin);
    }
    void set(int variable, std::uint64_t i, double value) override {
        const Run& run = runs_[find(i)];
        run.group->set(variable, i - run.begin, value);
    }

private:
    std::size_t find(std::uint64_t i) const {
        const auto it = std::upper_bound(runs_.begin(), runs_.end(), i,
                                         [](std::uint64_t v, const Run& r) { return v < r.begin; });
        return static_cast<std::size_t>(it - runs_.begin()) - 1;
    }
    std::vector<Run> runs_;
};

bool same_params(const PopulationSpec& pop, std::uint64_t i, std::uint64_t j) {
    for (const auto& [name, values] : pop.param_arrays)
        if (values[i] != values[j]) return false;
    return true;
}

} // namespace

std::map<std::string, double> neuron_params(const PopulationSpec& pop, std::uint64_t i) {
    std::map<std::string, double> p = pop.params;
    for (const auto& [name, values] : pop.param_arrays) p[name] = values[i];
    return p;
}

std::unique_ptr<NeuronGroup> create_population_group(const ModelInfo& model, const PopulationSpec& pop,
                                                     double dt, std::uint64_t seed) {
    if (pop.param_arrays.empty()) {
        auto group = model.create(pop.size, pop.params, dt);
        group->bind(pop, seed);
        return group;
    }
    std::vector<HeterogeneousGroup::Run> runs;
    for (std::uint64_t begin = 0; begin < pop.size;) {
        std::uint64_t end = begin + 1;
        while (end < pop.size && same_params(pop, begin, end)) ++end;
        // The run binds as a population of its own starting at its first neuron: spike sources key
        // their draws by global id, so a run draws what the whole population would.
        PopulationSpec part = pop;
        part.size = end - begin;
        part.first_id = pop.first_id + begin;
        part.param_arrays.clear();
        if (pop.spike_times.size() > 1)
            part.spike_times.assign(pop.spike_times.begin() + static_cast<std::ptrdiff_t>(begin),
                                    pop.spike_times.begin() + static_cast<std::ptrdiff_t>(end));
        auto group = model.create(part.size, neuron_params(pop, begin), dt);
        group->bind(part, seed);
        runs.push_back({begin, end, std::move(group)});
        begin = end;
    }
    return std::make_unique<HeterogeneousGroup>(std::move(runs));
}

} // namespace nmsim
