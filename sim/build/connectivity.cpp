#include "sim/build/connectivity.hpp"

#include <fstream>
#include <sstream>

#include "sim/spec/errors.hpp"

namespace nmsim {

double draw_value(const ValueSpec& v, RandomStream& rng) {
    double x = v.value;
    switch (v.kind) {
    case ValueSpec::Kind::constant:
        return v.value;
    case ValueSpec::Kind::uniform:
        x = v.a + (v.b - v.a) * rng.uniform();
        break;
    case ValueSpec::Kind::normal:
        do x = v.a + v.b * rng.normal(); // redraw outside [min, max], as NEST's clipped distributions
        while (x < v.min || x > v.max);
        break;
    case ValueSpec::Kind::lognormal:
        do x = std::exp(v.a + v.b * rng.normal());
        while (x < v.min || x > v.max);
        break;
    }
    return static_cast<double>(static_cast<float>(x));
}

std::uint32_t delay_to_steps(double delay_ms, double dt) {
    const long long steps = std::llround(delay_ms / dt);
    return static_cast<std::uint32_t>(std::max(1LL, steps));
}

ProjectionGenerator::ProjectionGenerator(const NetworkSpec& spec, const ProjectionSpec& projection)
    : pr_(projection), seed_(spec.simulation.seed), dt_(spec.simulation.dt) {
    const PopulationSpec* src = spec.find_population(pr_.source);
    src_first_ = src->first_id;
    n_src_ = src->size;
    for (const auto& name : pr_.targets) {
        const PopulationSpec* t = spec.find_population(name);
        segments_.push_back({t->first_id, t->size, n_tgt_});
        n_tgt_ += t->size;
    }
    // The target index space follows the order listed (from_file, fixed_outdegree); iteration
    // for target-driven rules goes by ascending global id.
    std::sort(segments_.begin(), segments_.end(),
              [](const Segment& a, const Segment& b) { return a.first < b.first; });
    weight_const_ = pr_.weight.is_constant();
    delay_const_ = pr_.delay.is_constant();
    delay_steps_const_ = delay_to_steps(pr_.delay.value, dt_);

    if (pr_.connector.rule != ConnectorRule::from_file) return;
    // Edge list: "source,target[,weight[,delay]]", ids local; target indexes the listed targets in order.
    std::vector<Segment> listed;
    std::uint64_t off = 0;
    for (const auto& name : pr_.targets) {
        const PopulationSpec* t = spec.find_population(name);
        listed.push_back({t->first_id, t->size, off});
        off += t->size;
    }
    const std::string& path = pr_.connector.file;
    std::ifstream in(path);
    if (!in) throw ConfigError(path, 0, 0, "projections." + pr_.name + ".connector.file", "cannot read");
    std::string line;
    int lineno = 0;
    RandomStream wrng(seed_, RngPurpose::weight, pr_.index, 0), drng(seed_, RngPurpose::delay, pr_.index, 0);
    while (std::getline(in, line)) {
        ++lineno;
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> cols;
        std::stringstream ss(line);
        for (std::string c; std::getline(ss, c, ',');) cols.push_back(c);
        auto bad = [&](const std::string& what) {
            throw ConfigError(path, lineno, 1, "projections." + pr_.name + ".connector.file", what);
        };
        if (lineno == 1 && !cols.empty() && !cols[0].empty() &&
            !std::isdigit(static_cast<unsigned char>(cols[0][0])))
            continue; // header
        if (cols.size() < 2 || cols.size() > 4) bad("expected source,target[,weight[,delay]]");
        double v[4] = {0, 0, 0, 0};
        for (std::size_t i = 0; i < cols.size(); ++i) {
            char* end = nullptr;
            v[i] = std::strtod(cols[i].c_str(), &end);
            if (end == cols[i].c_str()) bad("column " + std::to_string(i + 1) + " is not a number");
        }
        if (v[0] < 0 || v[0] >= static_cast<double>(n_src_) || v[0] != std::floor(v[0]))
            bad("source id " + cols[0] + " is not in 0.." + std::to_string(n_src_ - 1));
        if (v[1] < 0 || v[1] >= static_cast<double>(n_tgt_) || v[1] != std::floor(v[1]))
            bad("target id " + cols[1] + " is not in 0.." + std::to_string(n_tgt_ - 1));
        FileEdge e;
        e.source = static_cast<std::uint64_t>(v[0]);
        const auto idx = static_cast<std::uint64_t>(v[1]);
        for (const auto& s : listed)
            if (idx >= s.index_offset && idx < s.index_offset + s.size)
                e.target = s.first + (idx - s.index_offset);
        e.weight = cols.size() > 2 ? v[2] : draw_value(pr_.weight, wrng);
        e.delay_ms = cols.size() > 3 ? v[3] : draw_value(pr_.delay, drng);
        if (e.delay_ms < dt_ * (1 - 1e-9)) bad("delay " + std::to_string(e.delay_ms) + " ms is below dt");
        if (!pr_.connector.allow_autapses && e.target == src_first_ + e.source) continue;
        file_edges_.push_back(e);
    }
    std::stable_sort(file_edges_.begin(), file_edges_.end(), [](const FileEdge& a, const FileEdge& b) {
        return a.source != b.source ? a.source < b.source : a.target < b.target;
    });
    if (!pr_.connector.allow_multapses)
        file_edges_.erase(std::unique(file_edges_.begin(), file_edges_.end(),
                                      [](const FileEdge& a, const FileEdge& b) {
                                          return a.source == b.source && a.target == b.target;
                                      }),
                          file_edges_.end());
}

void ProjectionGenerator::draw_distinct(RandomStream& rng, std::uint64_t n, std::uint64_t k,
                                        std::vector<std::uint64_t>& out) const {
    // Floyd's algorithm: k distinct values of [0, n) in O(k), then sorted for a stable order.
    std::unordered_set<std::uint64_t> chosen;
    chosen.reserve(k * 2);
    out.clear();
    for (std::uint64_t j = n - k; j < n; ++j) {
        const std::uint64_t t = rng.below(j + 1);
        const std::uint64_t v = chosen.insert(t).second ? t : j;
        if (v == j) chosen.insert(j);
        out.push_back(v);
    }
    std::sort(out.begin(), out.end());
}

double ProjectionGenerator::expected_synapses() const {
    const auto& c = pr_.connector;
    bool self = false;
    for (const auto& s : segments_) self = self || s.first == src_first_;
    const double no_self = (self && !c.allow_autapses) ? 1.0 : 0.0;
    switch (c.rule) {
    case ConnectorRule::fixed_indegree:
        return static_cast<double>(c.degree) * static_cast<double>(n_tgt_);
    case ConnectorRule::fixed_outdegree:
        return static_cast<double>(c.degree) * static_cast<double>(n_src_);
    case ConnectorRule::pairwise_bernoulli:
        return c.probability * (static_cast<double>(n_src_) * static_cast<double>(n_tgt_) - no_self * n_src_);
    case ConnectorRule::all_to_all:
        return static_cast<double>(n_src_) * static_cast<double>(n_tgt_) - no_self * n_src_;
    case ConnectorRule::one_to_one:
        return static_cast<double>(n_tgt_) - no_self * n_src_;
    case ConnectorRule::from_file:
        return static_cast<double>(file_edges_.size());
    }
    return 0.0;
}

} // namespace nmsim
