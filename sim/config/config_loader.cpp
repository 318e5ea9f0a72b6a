#include "sim/config/config_loader.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <yaml-cpp/yaml.h>

#include "models/neuron_model.hpp"
#include "sim/build/distance_rule.hpp"
#include "sim/config/expression.hpp"
#include "sim/config/yaml_reader.hpp"
#include "sim/random/distributions.hpp"
#include "sim/spec/errors.hpp"

namespace nmsim {
namespace {

class Loader {
public:
    Loader(Source src, std::string base_dir) : src_(std::move(src)), base_dir_(std::move(base_dir)) {}

    NetworkSpec load(const YAML::Node& root);

private:
    double number(const YAML::Node& n, const std::string& path) const {
        if (!n.IsScalar()) fail(src_, n, path, "must be a number or an expression");
        const std::string& text = n.Scalar();
        // Plain numbers first; anything else is an expression over vars.
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (end != text.c_str() && *end == '\0' && std::isfinite(v)) return v;
        try {
            return evaluate_expression(text, spec_.vars);
        } catch (const std::invalid_argument& e) {
            fail(src_, n, path, std::string("not a number: ") + e.what());
        }
    }
    double number_in(const YAML::Node& n, const std::string& path, double lo, double hi,
                     bool lo_open = false) const {
        const double v = number(n, path);
        if (v < lo || v > hi || (lo_open && v == lo)) {
            std::ostringstream os;
            os << "must be " << (lo_open ? "> " : ">= ") << lo;
            if (hi < 1e299) os << " and <= " << hi;
            os << " (got " << v << ")";
            fail(src_, n, path, os.str());
        }
        return v;
    }
    std::uint64_t integer(const YAML::Node& n, const std::string& path, std::uint64_t lo,
                          std::uint64_t hi) const {
        const double v = number(n, path);
        if (v != std::floor(v)) fail(src_, n, path, "must be a whole number (got " + n.Scalar() + ")");
        if (v < static_cast<double>(lo) || v > static_cast<double>(hi))
            fail(src_, n, path,
                 "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + " (got " +
                     n.Scalar() + ")");
        return static_cast<std::uint64_t>(v);
    }
    bool boolean(const YAML::Node& n, const std::string& path) const {
        bool b = false;
        if (!n.IsScalar() || !YAML::convert<bool>::decode(n, b)) fail(src_, n, path, "must be true or false");
        return b;
    }
    std::string text(const YAML::Node& n, const std::string& path) const {
        if (!n.IsScalar()) fail(src_, n, path, "must be a string");
        return n.Scalar();
    }
    std::vector<std::string> population_list(const YAML::Node& n, const std::string& path) const {
        std::vector<std::string> names;
        if (n.IsScalar())
            names.push_back(n.Scalar());
        else if (n.IsSequence())
            for (std::size_t i = 0; i < n.size(); ++i)
                names.push_back(text(n[i], path + "[" + std::to_string(i) + "]"));
        else
            fail(src_, n, path, "must be a population name or a list of names");
        if (names.empty()) fail(src_, n, path, "must name at least one population");
        std::set<std::string> seen;
        for (const auto& name : names) {
            if (!spec_.find_population(name)) fail(src_, n, path, "unknown population '" + name + "'");
            if (!seen.insert(name).second) fail(src_, n, path, "population '" + name + "' listed twice");
        }
        return names;
    }
    ValueSpec value_spec(const YAML::Node& n, const std::string& path) const;
    void load_vars(const YAML::Node& n);
    void load_simulation(const YAML::Node& n);
    StorageSpec storage(const YAML::Node& n, const std::string& path) const;
    void load_population(const std::string& name, const YAML::Node& n);
    void load_projection(const std::string& name, const YAML::Node& n);
    void load_dense(ProjectionSpec& pr, const MapReader& s);
    void load_plasticity(ProjectionSpec& pr, const YAML::Node& n, const std::string& path);
    std::map<std::string, std::size_t> dense_ports_; // loihi_lif population -> Dense ports taken
    void load_stimulus(const std::string& name, const YAML::Node& n);
    void load_recorder(const std::string& name, const YAML::Node& n);
    // A receptor name every target population's model has.
    std::string receptor(const YAML::Node& n, const std::string& path,
                         const std::vector<std::string>& targets) const {
        const std::string name = text(n, path);
        for (const auto& t : targets) {
            const ModelInfo* model = find_model(spec_.find_population(t)->model);
            if (model->receptor_channel(name) >= 0) continue;
            std::vector<std::string> known;
            for (const auto& r : model->receptors) known.push_back(r.first);
            fail(src_, n, path,
                 "population '" + t + "' (" + model->name + ") has no receptor '" + name +
                     "' (has: " + join(known) + ")");
        }
        return name;
    }
    void check_storage(const ProjectionSpec& pr, const YAML::Node& n, const std::string& path) const;
    void check_delay(ValueSpec& d, const YAML::Node& n, const std::string& path) const;
    std::uint64_t targets_size(const std::vector<std::string>& names) const {
        std::uint64_t s = 0;
        for (const auto& t : names) s += spec_.find_population(t)->size;
        return s;
    }

    Source src_;
    std::string base_dir_;
    NetworkSpec spec_;
};

ValueSpec Loader::value_spec(const YAML::Node& n, const std::string& path) const {
    if (n.IsScalar()) return ValueSpec::constant_of(number(n, path));
    MapReader m(src_, n, path, {"uniform", "normal", "lognormal"});
    if (n.size() != 1) fail(src_, n, path, "give exactly one distribution (uniform, normal or lognormal)");
    ValueSpec v;
    if (m.has("uniform")) {
        const YAML::Node u = m.get("uniform");
        const std::string p = m.sub("uniform");
        if (!u.IsSequence() || u.size() != 2) fail(src_, u, p, "must be [low, high]");
        v.kind = ValueSpec::Kind::uniform;
        v.a = number(u[0], p + "[0]");
        v.b = number(u[1], p + "[1]");
        if (!(v.a < v.b)) fail(src_, u, p, "low must be < high");
        v.min = v.a;
        v.max = v.b;
        return v;
    }
    const bool normal = m.has("normal");
    const std::string key = normal ? "normal" : "lognormal";
    MapReader d(src_, m.get(key), m.sub(key),
                normal ? std::vector<std::string>{"mean", "std", "min", "max"}
                       : std::vector<std::string>{"mu", "sigma", "min", "max"});
    v.kind = normal ? ValueSpec::Kind::normal : ValueSpec::Kind::lognormal;
    v.a = number(d.require(normal ? "mean" : "mu"), d.sub(normal ? "mean" : "mu"));
    v.b = number_in(d.require(normal ? "std" : "sigma"), d.sub(normal ? "std" : "sigma"), 0.0, 1e300, true);
    if (d.has("min")) v.min = number(d.get("min"), d.sub("min"));
    if (d.has("max")) v.max = number(d.get("max"), d.sub("max"));
    if (!(v.min < v.max)) fail(src_, d.node(), d.sub("min"), "min must be < max");
    // Truncated draws come from the inverse CDF restricted to [min, max]; an interval holding almost
    // none of the distribution would silently yield values far from what was written.
    const double mass = ValueSampler(v).mass();
    if (!(mass >= min_truncated_mass)) {
        std::ostringstream os;
        os << "only " << mass << " of the " << key
           << " distribution lies inside [min, max] (need >= " << min_truncated_mass
           << "); check the sign of mean and the bounds";
        fail(src_, m.get(key), m.sub(key), os.str());
    }
    return v;
}

void Loader::load_vars(const YAML::Node& n) {
    if (!n.IsMap()) fail(src_, n, "vars", "must be a mapping of names to numbers or expressions");
    for (const auto& kv : n) {
        const std::string name = kv.first.Scalar();
        const std::string path = "vars." + name;
        if (!is_identifier(name)) fail(src_, kv.first, path, "a variable name must be an identifier");
        if (spec_.vars.count(name)) fail(src_, kv.first, path, "duplicate key");
        spec_.vars[name] = number(kv.second, path); // later vars may use earlier ones
    }
}

void Loader::load_simulation(const YAML::Node& n) {
    MapReader m(src_, n, "simulation",
                {"duration", "dt", "seed", "threads", "storage", "storage_budget", "engine"});
    auto& s = spec_.simulation;
    if (m.has("dt")) s.dt = number_in(m.get("dt"), "simulation.dt", 0.0, 1000.0, true);
    if (m.has("duration")) s.duration = number_in(m.get("duration"), "simulation.duration", 0.0, 1e12, true);
    if (s.duration < s.dt) fail(src_, m.get("duration"), "simulation.duration", "must be >= dt");
    if (m.has("seed")) s.seed = integer(m.get("seed"), "simulation.seed", 0, (1ull << 53));
    if (m.has("threads"))
        s.threads = static_cast<int>(integer(m.get("threads"), "simulation.threads", 1, 256));
    if (m.has("storage")) s.storage = storage(m.get("storage"), "simulation.storage");
    if (m.has("storage_budget"))
        s.storage_budget = number_in(m.get("storage_budget"), "simulation.storage_budget", 1.0, 1e6);
    if (m.has("engine")) {
        static const std::map<std::string, EngineMode> modes = {
            {"auto", EngineMode::automatic}, {"clock", EngineMode::clock}, {"event", EngineMode::event}};
        const std::string name = text(m.get("engine"), "simulation.engine");
        const auto it = modes.find(name);
        if (it == modes.end())
            fail(src_, m.get("engine"), "simulation.engine",
                 "unknown engine '" + name + "' (known: auto, clock, event)");
        s.engine = it->second;
    }
}

StorageSpec Loader::storage(const YAML::Node& n, const std::string& path) const {
    static const std::map<std::string, StorageKind> kinds = {
        {"auto", StorageKind::automatic},
        {"packed", StorageKind::packed},
        {"procedural_weights", StorageKind::procedural_weights},
        {"procedural", StorageKind::procedural}};
    StorageSpec st;
    if (n.IsMap()) {
        MapReader q(src_, n, path, {"quantised"});
        st.kind = StorageKind::quantised;
        st.bits = static_cast<unsigned>(integer(q.require("quantised"), q.sub("quantised"), 1, 16));
        return st;
    }
    const std::string name = text(n, path);
    const auto it = kinds.find(name);
    if (it == kinds.end())
        fail(src_, n, path,
             "unknown storage '" + name +
                 "' (known: auto, packed, procedural_weights, procedural, {quantised: BITS})");
    st.kind = it->second;
    return st;
}

void Loader::load_population(const std::string& name, const YAML::Node& n) {
    const std::string path = "populations." + name;
    MapReader m(src_, n, path, {"size", "model", "params", "initial", "spike_times", "positions"});
    PopulationSpec p;
    p.name = name;
    p.size = integer(m.require("size"), m.sub("size"), 1, max_total_neurons);
    p.model = text(m.require("model"), m.sub("model"));
    const ModelInfo* model = find_model(p.model);
    if (!model) {
        std::vector<std::string> names;
        for (const auto* mi : model_registry()) names.push_back(mi->name);
        fail(src_, m.get("model"), m.sub("model"),
             "unknown model '" + p.model + "' (known: " + join(names) + ")");
    }
    for (const auto& info : model->params) p.params[info.name] = info.default_value;
    // A list of one value per neuron under `where`, each read by one(node, path).
    auto neuron_values = [&](const YAML::Node& list, const std::string& where, auto&& one) {
        if (list.size() != p.size)
            fail(src_, list, where,
                 "has " + std::to_string(list.size()) + " values for " + std::to_string(p.size) +
                     " neurons (give one value, or one per neuron)");
        std::vector<double> values;
        for (std::size_t i = 0; i < list.size(); ++i)
            values.push_back(one(list[i], where + "[" + std::to_string(i) + "]"));
        return values;
    };
    if (m.has("params")) {
        std::vector<std::string> allowed;
        for (const auto& info : model->params) allowed.push_back(info.name);
        MapReader params(src_, m.get("params"), m.sub("params"), allowed);
        for (const auto& kv : params.node()) {
            const std::string key = kv.first.Scalar();
            const ParamInfo* info = model->param(key);
            auto one = [&](const YAML::Node& v, const std::string& where) {
                const double x = number_in(v, where, info->min, info->max, info->min_exclusive);
                if (info->integer && x != std::floor(x))
                    fail(src_, v, where, "must be a whole number (a register value of " + p.model + ")");
                return x;
            };
            if (kv.second.IsSequence()) {
                std::vector<double> values = neuron_values(kv.second, params.sub(key), one);
                p.params[key] = values.front();
                p.param_arrays[key] = std::move(values);
            } else {
                p.params[key] = one(kv.second, params.sub(key));
            }
        }
    }
    if (m.has("initial")) {
        MapReader init(src_, m.get("initial"), m.sub("initial"), model->state_variables);
        for (const auto& kv : init.node()) {
            const std::string key = kv.first.Scalar();
            if (kv.second.IsSequence()) {
                p.initial_arrays[key] =
                    neuron_values(kv.second, init.sub(key), [&](const YAML::Node& v, const std::string& w) {
                        return number_in(v, w, -1e300, 1e300);
                    });
            } else {
                p.initial[key] = value_spec(kv.second, init.sub(key));
            }
        }
    }
    if (p.model == "spike_source_array") {
        // One list for every neuron, or one list per neuron.
        const YAML::Node t = m.require("spike_times");
        if (!t.IsSequence())
            fail(src_, t, m.sub("spike_times"), "must be a list of times (ms) or of lists, one per neuron");
        const bool per_neuron = t.size() > 0 && t[0].IsSequence();
        if (per_neuron && t.size() != p.size)
            fail(src_, t, m.sub("spike_times"),
                 "has " + std::to_string(t.size()) + " lists for " + std::to_string(p.size) + " neurons");
        auto times_of = [&](const YAML::Node& list, const std::string& where) {
            if (!list.IsSequence()) fail(src_, list, where, "must be a list of times (ms)");
            std::vector<double> v;
            for (std::size_t i = 0; i < list.size(); ++i)
                v.push_back(number_in(list[i], where + "[" + std::to_string(i) + "]",
                                      spec_.simulation.dt * (1 - 1e-9), 1e12));
            return v;
        };
        if (per_neuron)
            for (std::size_t i = 0; i < t.size(); ++i)
                p.spike_times.push_back(times_of(t[i], m.sub("spike_times") + "[" + std::to_string(i) + "]"));
        else
            p.spike_times.push_back(times_of(t, m.sub("spike_times")));
    } else if (m.has("spike_times")) {
        fail(src_, m.get("spike_times"), m.sub("spike_times"),
             "only a spike_source_array population has spike times");
    }
    if (m.has("positions")) { // [[x, y, z], ...] one per neuron
        const YAML::Node pos = m.get("positions");
        if (!pos.IsSequence() || pos.size() != p.size)
            fail(src_, pos, m.sub("positions"),
                 "must list one [x, y, z] per neuron (" + std::to_string(p.size) + ")");
        for (std::size_t i = 0; i < pos.size(); ++i) {
            const std::string where = m.sub("positions") + "[" + std::to_string(i) + "]";
            if (!pos[i].IsSequence() || pos[i].size() != 3) fail(src_, pos[i], where, "must be [x, y, z]");
            for (std::size_t k = 0; k < 3; ++k)
                p.positions.push_back(
                    number_in(pos[i][k], where + "[" + std::to_string(k) + "]", -1e300, 1e300));
        }
    }
    p.first_id = spec_.total_neurons();
    p.index = static_cast<std::uint32_t>(spec_.populations.size());
    if (p.first_id + p.size > max_total_neurons)
        fail(src_, m.get("size"), m.sub("size"), "the network exceeds 2^32-1 neurons (capacity limit)");
    spec_.populations.push_back(std::move(p));
}

// fixed_indegree regenerates its rows as slot rows (sim/build/connectivity.hpp) only with multapses
// and, where the source is among the targets, autapses.
static bool indegree_without_slot_rows(const ProjectionSpec& pr) {
    if (pr.connector.rule != ConnectorRule::fixed_indegree) return false;
    const bool self = std::find(pr.targets.begin(), pr.targets.end(), pr.source) != pr.targets.end();
    return !pr.connector.allow_multapses || (self && !pr.connector.allow_autapses);
}

void Loader::check_storage(const ProjectionSpec& pr, const YAML::Node& n, const std::string& path) const {
    const auto rule = pr.connector.rule;
    if (pr.storage.kind == StorageKind::procedural &&
        (rule == ConnectorRule::from_file || indegree_without_slot_rows(pr)))
        fail(src_, n, path,
             std::string("procedural storage regenerates rows by source; rule ") +
                 (rule == ConnectorRule::from_file
                      ? "from_file"
                      : "fixed_indegree without multapses or autapses (each target draws its sources)") +
                 " cannot: use procedural_weights or packed");
    if (pr.storage.kind == StorageKind::procedural_weights && rule == ConnectorRule::from_file)
        fail(src_, n, path,
             "procedural_weights regenerates drawn values; a from_file edge list is data: use packed");
}

void Loader::check_delay(ValueSpec& d, const YAML::Node& n, const std::string& path) const {
    const double dt = spec_.simulation.dt;
    // An open-ended delay distribution (NEST's redraw with max = inf) is cut at the capacity limit
    // when the mass beyond it is negligible; the draws then follow the distribution as written.
    const double cap = max_delay_steps * dt;
    if (!d.is_constant() && d.max > 1e299) {
        ValueSpec above = d;
        above.min = std::max(d.min, cap);
        if (ValueSampler(above).mass() < 1e-12) d.max = cap;
    }
    const double lo = d.is_constant() ? d.value : d.min;
    const double hi = d.is_constant() ? d.value : d.max;
    std::ostringstream os;
    if (lo < dt * (1 - 1e-9)) {
        os << (d.is_constant() ? "must be >= dt (" : "distribution needs min >= dt (") << dt << " ms)";
        fail(src_, n, path, os.str());
    }
    if (hi / dt > max_delay_steps) {
        os << "exceeds " << max_delay_steps << " steps of dt (capacity limit)";
        if (!d.is_constant() && hi > 1e299) os << "; give the distribution a max";
        fail(src_, n, path, os.str());
    }
}

void Loader::load_projection(const std::string& name, const YAML::Node& n) {
    const std::string path = "projections." + name;
    MapReader m(src_, n, path, {"source", "target", "connector", "synapse"});
    ProjectionSpec pr;
    pr.name = name;
    pr.index = static_cast<std::uint32_t>(spec_.projections.size());
    if (pr.index >= max_projections)
        fail(src_, n, path, "more than " + std::to_string(max_projections) + " projections (capacity limit)");
    pr.source = text(m.require("source"), m.sub("source"));
    if (!spec_.find_population(pr.source))
        fail(src_, m.get("source"), m.sub("source"), "unknown population '" + pr.source + "'");
    pr.targets = population_list(m.require("target"), m.sub("target"));

    MapReader c(src_, m.require("connector"), m.sub("connector"),
                {"rule", "indegree", "outdegree", "n", "p", "allow_autapses", "allow_multapses", "file",
                 "periodic_boundaries", "axes", "scale_factor", "offset", "edges"});
    const std::string rule = text(c.require("rule"), c.sub("rule"));
    static const std::map<std::string, ConnectorRule> rules = {
        {"fixed_indegree", ConnectorRule::fixed_indegree},
        {"fixed_outdegree", ConnectorRule::fixed_outdegree},
        {"fixed_total_number", ConnectorRule::fixed_total_number},
        {"pairwise_bernoulli", ConnectorRule::pairwise_bernoulli},
        {"one_to_one", ConnectorRule::one_to_one},
        {"all_to_all", ConnectorRule::all_to_all},
        {"from_file", ConnectorRule::from_file},
        {"distance_dependent", ConnectorRule::distance_dependent}};
    auto it = rules.find(rule);
    if (it == rules.end())
        fail(src_, c.get("rule"), c.sub("rule"),
             "unknown rule '" + rule +
                 "' (known: fixed_indegree, fixed_outdegree, fixed_total_number, pairwise_bernoulli, "
                 "one_to_one, all_to_all, from_file, distance_dependent)");
    auto& conn = pr.connector;
    conn.rule = it->second;
    // Each rule takes its own keys only.
    const std::map<ConnectorRule, std::vector<std::string>> rule_keys = {
        {ConnectorRule::fixed_indegree, {"indegree"}},
        {ConnectorRule::fixed_outdegree, {"outdegree"}},
        {ConnectorRule::fixed_total_number, {"n"}},
        {ConnectorRule::pairwise_bernoulli, {"p"}},
        {ConnectorRule::one_to_one, {}},
        {ConnectorRule::all_to_all, {}},
        {ConnectorRule::from_file, {"file"}},
        {ConnectorRule::distance_dependent, {"p"}}};
    for (const std::string key : {"indegree", "outdegree", "n", "p", "file"}) {
        const auto& keys = rule_keys.at(conn.rule);
        const bool wanted = std::find(keys.begin(), keys.end(), key) != keys.end();
        if (c.has(key) && !wanted) fail(src_, c.get(key), c.sub(key), "not a parameter of rule " + rule);
        if (!c.has(key) && wanted) fail(src_, c.node(), c.sub(key), "required by rule " + rule);
    }
    if (c.has("edges") && conn.rule != ConnectorRule::from_file)
        fail(src_, c.get("edges"), c.sub("edges"), "not a parameter of rule " + rule);
    for (const std::string key : {"periodic_boundaries", "axes", "scale_factor", "offset"})
        if (c.has(key) && conn.rule != ConnectorRule::distance_dependent)
            fail(src_, c.get(key), c.sub(key), "not a parameter of rule " + rule);
    if (c.has("allow_autapses"))
        conn.allow_autapses = boolean(c.get("allow_autapses"), c.sub("allow_autapses"));
    if (c.has("allow_multapses"))
        conn.allow_multapses = boolean(c.get("allow_multapses"), c.sub("allow_multapses"));

    const std::uint64_t n_src = spec_.find_population(pr.source)->size;
    const std::uint64_t n_tgt = targets_size(pr.targets);
    const bool self = std::find(pr.targets.begin(), pr.targets.end(), pr.source) != pr.targets.end();
    const std::uint64_t usable_src = n_src - ((self && !conn.allow_autapses) ? 1 : 0);
    switch (conn.rule) {
    case ConnectorRule::fixed_indegree:
        conn.degree = integer(c.get("indegree"), c.sub("indegree"), 0, 0xFFFFFFFFull);
        if (!conn.allow_multapses && conn.degree > usable_src)
            fail(src_, c.get("indegree"), c.sub("indegree"),
                 "indegree " + std::to_string(conn.degree) + " exceeds the " + std::to_string(usable_src) +
                     " available sources of '" + pr.source + "' without multapses");
        if (conn.degree > 0 && usable_src == 0)
            fail(src_, c.get("indegree"), c.sub("indegree"), "no source is available (autapses excluded)");
        break;
    case ConnectorRule::fixed_outdegree: {
        conn.degree = integer(c.get("outdegree"), c.sub("outdegree"), 0, 0xFFFFFFFFull);
        const std::uint64_t usable_tgt = n_tgt - ((self && !conn.allow_autapses) ? 1 : 0);
        if (!conn.allow_multapses && conn.degree > usable_tgt)
            fail(src_, c.get("outdegree"), c.sub("outdegree"),
                 "outdegree " + std::to_string(conn.degree) + " exceeds the " + std::to_string(usable_tgt) +
                     " available targets without multapses");
        break;
    }
    case ConnectorRule::fixed_total_number: {
        conn.degree = integer(c.get("n"), c.sub("n"), 0, std::uint64_t{1} << 53);
        const std::uint64_t usable_tgt = n_tgt - ((self && !conn.allow_autapses) ? 1 : 0);
        const double pairs = static_cast<double>(n_src) * static_cast<double>(usable_tgt);
        if (!conn.allow_multapses && static_cast<double>(conn.degree) > pairs)
            fail(src_, c.get("n"), c.sub("n"),
                 "n " + std::to_string(conn.degree) + " exceeds the " +
                     std::to_string(static_cast<unsigned long long>(pairs)) +
                     " available (source, target) pairs without multapses");
        if (conn.degree > 0 && pairs == 0)
            fail(src_, c.get("n"), c.sub("n"), "no (source, target) pair is available (autapses excluded)");
        break;
    }
    case ConnectorRule::pairwise_bernoulli:
        conn.probability = number_in(c.get("p"), c.sub("p"), 0.0, 1.0);
        break;
    case ConnectorRule::one_to_one:
        for (const auto& t : pr.targets)
            if (spec_.find_population(t)->size != n_src)
                fail(src_, m.get("target"), m.sub("target"),
                     "one_to_one needs equal sizes: '" + pr.source + "' has " + std::to_string(n_src) +
                         ", '" + t + "' has " + std::to_string(spec_.find_population(t)->size));
        break;
    case ConnectorRule::all_to_all:
        break;
    case ConnectorRule::distance_dependent: {
        conn.distance_p = text(c.get("p"), c.sub("p"));
        try {
            check_distance_expression(conn.distance_p, spec_.vars);
        } catch (const std::invalid_argument& e) {
            fail(src_, c.get("p"), c.sub("p"), std::string("not an expression in d: ") + e.what());
        }
        if (spec_.find_population(pr.source)->positions.empty())
            fail(src_, m.get("source"), m.sub("source"),
                 "distance_dependent needs positions of '" + pr.source + "'");
        for (const auto& t : pr.targets)
            if (spec_.find_population(t)->positions.empty())
                fail(src_, m.get("target"), m.sub("target"),
                     "distance_dependent needs positions of '" + t + "'");
        if (c.has("periodic_boundaries")) { // box length per axis, 0 for open
            const YAML::Node b = c.get("periodic_boundaries");
            if (!b.IsSequence() || b.size() != 3)
                fail(src_, b, c.sub("periodic_boundaries"), "must be [Lx, Ly, Lz] (0: not periodic)");
            for (std::size_t k = 0; k < 3; ++k)
                conn.period[k] =
                    number_in(b[k], c.sub("periodic_boundaries") + "[" + std::to_string(k) + "]", 0.0, 1e300);
        }
        if (c.has("axes")) {
            const std::string axes = text(c.get("axes"), c.sub("axes"));
            if (axes.empty() || axes.find_first_not_of("xyz") != std::string::npos)
                fail(src_, c.get("axes"), c.sub("axes"), "must be a subset of xyz");
            for (int k = 0; k < 3; ++k) conn.axes[k] = axes.find("xyz"[k]) != std::string::npos;
        }
        if (c.has("scale_factor"))
            conn.scale_factor = number_in(c.get("scale_factor"), c.sub("scale_factor"), -1e300, 1e300);
        if (c.has("offset")) conn.offset = number_in(c.get("offset"), c.sub("offset"), -1e300, 1e300);
        break;
    }
    case ConnectorRule::from_file: {
        std::filesystem::path f = text(c.get("file"), c.sub("file"));
        if (f.is_relative()) f = std::filesystem::path(base_dir_) / f;
        if (!std::filesystem::is_regular_file(f))
            fail(src_, c.get("file"), c.sub("file"), "no such file: " + f.string());
        conn.file = f.string();
        if (c.has("edges")) conn.edges = text(c.get("edges"), c.sub("edges"));
        break;
    }
    case ConnectorRule::conv:
        break; // made by graph importers (sim/nir), not a YAML rule
    }

    const bool file_rule = conn.rule == ConnectorRule::from_file;
    MapReader s(src_, file_rule && !m.has("synapse") ? YAML::Node(YAML::NodeType::Map) : m.require("synapse"),
                m.sub("synapse"),
                {"weight", "delay", "storage", "receptor", "weight_exp", "num_weight_bits", "plasticity"});
    pr.weight = s.has("weight") ? value_spec(s.get("weight"), s.sub("weight")) : ValueSpec::constant_of(0.0);
    if (!s.has("weight") && !file_rule) fail(src_, s.node(), s.sub("weight"), "required key is missing");
    pr.delay = s.has("delay") ? value_spec(s.get("delay"), s.sub("delay"))
                              : ValueSpec::constant_of(spec_.simulation.dt);
    if (!s.has("delay") && !file_rule) fail(src_, s.node(), s.sub("delay"), "required key is missing");
    check_delay(pr.delay, s.has("delay") ? s.get("delay") : s.node(), s.sub("delay"));
    if (s.has("receptor")) pr.receptor = receptor(s.get("receptor"), s.sub("receptor"), pr.targets);
    load_dense(pr, s);
    if (s.has("plasticity")) load_plasticity(pr, s.get("plasticity"), s.sub("plasticity"));
    if (s.has("storage")) {
        pr.storage = storage(s.get("storage"), s.sub("storage"));
        check_storage(pr, s.get("storage"), s.sub("storage"));
    } else {
        // simulation.storage is a preference: a rung this rule cannot take falls to the next one down.
        pr.storage = spec_.simulation.storage;
        const bool file = pr.connector.rule == ConnectorRule::from_file;
        if (pr.storage.kind == StorageKind::procedural && (file || indegree_without_slot_rows(pr)))
            pr.storage.kind = file ? StorageKind::packed : StorageKind::procedural_weights;
        if (pr.storage.kind == StorageKind::procedural_weights && file) pr.storage.kind = StorageKind::packed;
    }
    spec_.projections.push_back(std::move(pr));
}

// Lava's Dense keys of a projection into loihi_lif neurons: num_weight_bits, and weight_exp, the shift
// of the projection's own accumulator. A loihi_lif neuron has two (ports dense_a and dense_b, whose
// shifts are its weight_exp and weight_exp_b): the first projection with a weight_exp takes port
// dense_a of its targets, the second dense_b; a third has none left.
void Loader::load_dense(ProjectionSpec& pr, const MapReader& s) {
    if (!s.has("weight_exp") && !s.has("num_weight_bits")) return;
    const std::string key = s.has("weight_exp") ? "weight_exp" : "num_weight_bits";
    for (const auto& t : pr.targets)
        if (spec_.find_population(t)->model != "loihi_lif")
            fail(src_, s.get(key), s.sub(key),
                 "only for projections into loihi_lif (Lava's Dense); target " + t + " is " +
                     spec_.find_population(t)->model);
    if (s.has("num_weight_bits"))
        pr.num_weight_bits =
            static_cast<int>(integer(s.get("num_weight_bits"), s.sub("num_weight_bits"), 1, 8));
    if (!s.has("weight_exp")) return;
    const YAML::Node node = s.get("weight_exp");
    const double x = number_in(node, s.sub("weight_exp"), -8, 7);
    if (x != std::floor(x)) fail(src_, node, s.sub("weight_exp"), "must be an integer shift");
    const auto v = static_cast<std::int64_t>(x);
    pr.dense_weight_exp = static_cast<int>(v);
    if (s.has("receptor"))
        fail(src_, s.get("receptor"), s.sub("receptor"),
             "weight_exp chooses the Dense port itself (dense_a, dense_b)");
    std::size_t port = 0;
    for (const auto& t : pr.targets) port = std::max(port, dense_ports_[t]);
    if (port > 1)
        fail(src_, node, s.sub("weight_exp"),
             "target " + pr.targets[0] +
                 " already has two Dense inputs with their own weight_exp (nmsim keeps two accumulators per "
                 "loihi_lif neuron: merge projections, or give them no weight_exp to share dense_a)");
    pr.receptor = port == 0 ? "dense_a" : "dense_b";
    for (const auto& t : pr.targets) {
        for (auto& pop : spec_.populations)
            if (pop.name == t) {
                const std::string param = port == 0 ? "weight_exp" : "weight_exp_b";
                if (pop.param_arrays.count(param))
                    fail(src_, node, s.sub("weight_exp"), "target " + t + " gives " + param + " per neuron");
                pop.params[param] = static_cast<double>(v);
            }
        dense_ports_[t] = port + 1;
    }
}

// synapse.plasticity: {rule: stdp | triplet, pairing, weight_dependence, tau_plus, tau_minus, A_plus,
// A_minus, w_min, w_max, weight_bits, rounding}; triplet also tau_x, tau_y, A3_plus, A3_minus (defaults:
// Pfister & Gerstner 2006, visual cortex, all-to-all).
void Loader::load_plasticity(ProjectionSpec& pr, const YAML::Node& n, const std::string& path) {
    MapReader m(src_, n, path,
                {"rule", "pairing", "weight_dependence", "tau_plus", "tau_minus", "A_plus", "A_minus",
                 "w_min", "w_max", "weight_bits", "rounding", "tau_x", "tau_y", "A3_plus", "A3_minus"});
    PlasticitySpec& p = pr.plasticity;
    p.enabled = true;
    const std::string rule = text(m.require("rule"), m.sub("rule"));
    if (rule != "stdp" && rule != "triplet")
        fail(src_, m.get("rule"), m.sub("rule"), "unknown rule '" + rule + "' (known: stdp, triplet)");
    if (rule == "triplet") {
        p.rule = PlasticitySpec::Rule::triplet;
        p.tau_plus = 16.8, p.tau_minus = 33.7, p.a_plus = 5e-10, p.a_minus = 7e-3;
    } else {
        for (const char* key : {"tau_x", "tau_y", "A3_plus", "A3_minus"})
            if (m.has(key))
                fail(src_, m.get(key), m.sub(key), "only the triplet rule has it (rule: triplet)");
    }
    auto choice = [&](const char* key, std::initializer_list<std::string> options) -> std::string {
        if (!m.has(key)) return *options.begin();
        const std::string v = text(m.get(key), m.sub(key));
        for (const auto& o : options)
            if (o == v) return v;
        std::string known;
        for (const auto& o : options) known += (known.empty() ? "" : ", ") + o;
        fail(src_, m.get(key), m.sub(key), "'" + v + "' is not one of " + known);
    };
    p.pairing = choice("pairing", {"all_to_all", "nearest"}) == "nearest"
                    ? PlasticitySpec::Pairing::nearest
                    : PlasticitySpec::Pairing::all_to_all;
    p.dependence = choice("weight_dependence", {"additive", "multiplicative"}) == "multiplicative"
                       ? PlasticitySpec::Dependence::multiplicative
                       : PlasticitySpec::Dependence::additive;
    p.stochastic_rounding = choice("rounding", {"nearest", "stochastic"}) == "stochastic";
    auto number = [&](const char* key, double dflt, double lo, double hi) {
        return m.has(key) ? number_in(m.get(key), m.sub(key), lo, hi) : dflt;
    };
    p.tau_plus = number("tau_plus", p.tau_plus, 1e-9, 1e9);
    p.tau_minus = number("tau_minus", p.tau_minus, 1e-9, 1e9);
    p.a_plus = number("A_plus", p.a_plus, 0.0, 1e6);
    p.a_minus = number("A_minus", p.a_minus, 0.0, 1e6);
    p.tau_x = number("tau_x", p.tau_x, 1e-9, 1e9);
    p.tau_y = number("tau_y", p.tau_y, 1e-9, 1e9);
    p.a3_plus = number("A3_plus", p.a3_plus, 0.0, 1e6);
    p.a3_minus = number("A3_minus", p.a3_minus, 0.0, 1e6);
    if (p.rule == PlasticitySpec::Rule::triplet && p.dependence != PlasticitySpec::Dependence::additive)
        fail(src_, m.get("weight_dependence"), m.sub("weight_dependence"),
             "the triplet rule is additive (Pfister & Gerstner 2006; NEST's stdp_triplet_synapse)");
    p.w_min = number("w_min", p.w_min, -1e12, 1e12);
    p.w_max = number("w_max", p.w_max, -1e12, 1e12);
    if (!(p.w_max > p.w_min))
        fail(src_, m.has("w_max") ? m.get("w_max") : n, m.sub("w_max"), "must be > w_min");
    p.weight_bits = static_cast<unsigned>(
        m.has("weight_bits") ? integer(m.get("weight_bits"), m.sub("weight_bits"), 2, 16) : 16);
    if (pr.connector.rule == ConnectorRule::conv)
        fail(src_, n, path, "a shared kernel cannot learn per synapse");
}

void Loader::load_stimulus(const std::string& name, const YAML::Node& n) {
    const std::string path = "stimuli." + name;
    static const std::vector<std::string> all_keys = {
        "type",       "target", "rate",      "weight", "amplitude", "start", "stop",     "times", "receptor",
        "amplitudes", "offset", "frequency", "phase",  "mean",      "stdev", "interval", "ids"};
    MapReader m(src_, n, path, all_keys);
    StimulusSpec st;
    st.name = name;
    st.index = static_cast<std::uint32_t>(spec_.stimuli.size());
    const std::string type = text(m.require("type"), m.sub("type"));
    static const std::map<std::string, std::pair<StimulusSpec::Kind, std::vector<std::string>>> types = {
        {"poisson", {StimulusSpec::Kind::poisson, {"rate", "weight", "start", "stop", "receptor"}}},
        {"dc", {StimulusSpec::Kind::dc, {"amplitude", "start", "stop"}}},
        {"spike_array", {StimulusSpec::Kind::spike_array, {"times", "weight", "receptor"}}},
        {"step", {StimulusSpec::Kind::step, {"times", "amplitudes"}}},
        {"ac", {StimulusSpec::Kind::ac, {"amplitude", "offset", "frequency", "phase", "start", "stop"}}},
        {"noisy", {StimulusSpec::Kind::noisy, {"mean", "stdev", "interval", "start", "stop"}}}};
    const auto type_it = types.find(type);
    if (type_it == types.end())
        fail(src_, m.get("type"), m.sub("type"),
             "unknown stimulus type '" + type + "' (known: poisson, dc, spike_array, step, ac, noisy)");
    st.kind = type_it->second.first;
    const std::vector<std::string>& keys = type_it->second.second;
    for (const std::string& key : all_keys)
        if (key != "type" && key != "target" && key != "ids" && m.has(key) &&
            std::find(keys.begin(), keys.end(), key) == keys.end())
            fail(src_, m.get(key), m.sub(key), "not a parameter of stimulus type " + type);
    st.targets = population_list(m.require("target"), m.sub("target"));
    if (m.has("receptor")) st.receptor = receptor(m.get("receptor"), m.sub("receptor"), st.targets);
    if (m.has("ids")) {
        std::uint64_t available = 0;
        for (const auto& t : st.targets) available += spec_.find_population(t)->size;
        const YAML::Node ids = m.get("ids");
        if (!ids.IsSequence() || ids.size() == 0)
            fail(src_, ids, m.sub("ids"), "must be a list of neuron indices (over the targets in order)");
        for (std::size_t i = 0; i < ids.size(); ++i)
            st.ids.push_back(integer(ids[i], m.sub("ids") + "[" + std::to_string(i) + "]", 0, available - 1));
        std::sort(st.ids.begin(), st.ids.end());
        if (std::adjacent_find(st.ids.begin(), st.ids.end()) != st.ids.end())
            fail(src_, ids, m.sub("ids"), "ids must be distinct");
    }
    const double dt = spec_.simulation.dt;
    if (st.kind == StimulusSpec::Kind::poisson) {
        st.rate_hz = number_in(m.require("rate"), m.sub("rate"), 0.0, 1e9);
        st.weight = number(m.require("weight"), m.sub("weight"));
        if (st.rate_hz * dt * 1e-3 > max_poisson_events_per_step)
            fail(src_, m.get("rate"), m.sub("rate"),
                 "more than 1000 expected events per step (capacity limit)");
    }
    if (st.kind == StimulusSpec::Kind::dc) st.amplitude = number(m.require("amplitude"), m.sub("amplitude"));
    if (st.kind == StimulusSpec::Kind::ac) {
        st.amplitude = number(m.require("amplitude"), m.sub("amplitude"));
        if (m.has("offset")) st.offset = number(m.get("offset"), m.sub("offset"));
        st.frequency = number_in(m.require("frequency"), m.sub("frequency"), 0.0, 1e9);
        if (m.has("phase")) st.phase = number(m.get("phase"), m.sub("phase"));
    }
    if (st.kind == StimulusSpec::Kind::noisy) {
        st.mean = number(m.require("mean"), m.sub("mean"));
        st.stdev = number_in(m.require("stdev"), m.sub("stdev"), 0.0, 1e9);
        st.interval =
            m.has("interval") ? number_in(m.get("interval"), m.sub("interval"), dt * (1 - 1e-9), 1e12) : dt;
        const double k = st.interval / dt;
        if (std::abs(k - std::round(k)) > 1e-6)
            fail(src_, m.get("interval"), m.sub("interval"), "must be a multiple of dt");
    }
    if (st.kind == StimulusSpec::Kind::step) {
        const YAML::Node t = m.require("times"), a = m.require("amplitudes");
        if (!t.IsSequence() || !a.IsSequence() || t.size() != a.size() || t.size() == 0)
            fail(src_, a, m.sub("amplitudes"),
                 "needs one amplitude per time (non-empty lists of equal length)");
        for (std::size_t i = 0; i < t.size(); ++i) {
            st.times.push_back(number_in(t[i], m.sub("times") + "[" + std::to_string(i) + "]", 0.0, 1e12));
            st.amplitudes.push_back(number(a[i], m.sub("amplitudes") + "[" + std::to_string(i) + "]"));
            if (i > 0 && !(st.times[i] > st.times[i - 1]))
                fail(src_, t[i], m.sub("times") + "[" + std::to_string(i) + "]", "times must increase");
        }
    }
    if (m.has("start")) st.start = number_in(m.get("start"), m.sub("start"), 0.0, 1e300);
    if (m.has("stop")) st.stop = number_in(m.get("stop"), m.sub("stop"), 0.0, 1e300);
    if (st.stop < st.start) fail(src_, m.get("stop"), m.sub("stop"), "must be >= start");
    if (st.kind == StimulusSpec::Kind::spike_array) {
        st.weight = number(m.require("weight"), m.sub("weight"));
        const YAML::Node t = m.require("times");
        if (!t.IsSequence()) fail(src_, t, m.sub("times"), "must be a list of times (ms)");
        for (std::size_t i = 0; i < t.size(); ++i) {
            const std::string p = m.sub("times") + "[" + std::to_string(i) + "]";
            const double v = number(t[i], p);
            if (v < dt * (1 - 1e-9)) fail(src_, t[i], p, "a spike must arrive at or after dt");
            st.times.push_back(v);
        }
        std::sort(st.times.begin(), st.times.end());
    }
    spec_.stimuli.push_back(std::move(st));
}

void Loader::load_recorder(const std::string& name, const YAML::Node& n) {
    const std::string path = "recorders." + name;
    MapReader m(src_, n, path,
                {"type", "populations", "population", "variable", "ids", "interval", "projection"});
    RecorderSpec r;
    r.name = name;
    const std::string type = text(m.require("type"), m.sub("type"));
    const std::vector<std::string> spike_keys = {"populations"},
                                   state_keys = {"population", "variable", "ids", "interval"},
                                   weight_keys = {"projection", "interval"};
    if (type != "spikes" && type != "state" && type != "weights")
        fail(src_, m.get("type"), m.sub("type"),
             "unknown recorder type '" + type + "' (known: spikes, state, weights)");
    const auto& keys = type == "spikes" ? spike_keys : type == "state" ? state_keys : weight_keys;
    for (const std::string key : {"populations", "population", "variable", "ids", "interval", "projection"})
        if (m.has(key) && std::find(keys.begin(), keys.end(), key) == keys.end())
            fail(src_, m.get(key), m.sub(key), "not a parameter of recorder type " + type);
    if (type == "spikes") {
        r.kind = RecorderSpec::Kind::spikes;
        if (m.has("populations"))
            r.populations = population_list(m.get("populations"), m.sub("populations"));
        else
            for (const auto& p : spec_.populations) r.populations.push_back(p.name);
    } else if (type == "weights") {
        r.kind = RecorderSpec::Kind::weights;
        r.projection = text(m.require("projection"), m.sub("projection"));
        const auto& prs = spec_.projections;
        if (std::none_of(prs.begin(), prs.end(),
                         [&](const ProjectionSpec& pr) { return pr.name == r.projection; }))
            fail(src_, m.get("projection"), m.sub("projection"), "unknown projection '" + r.projection + "'");
        for (const auto& other : spec_.recorders)
            if (other.kind == RecorderSpec::Kind::weights && other.projection == r.projection)
                fail(src_, m.get("projection"), m.sub("projection"),
                     "projection '" + r.projection + "' is already recorded by '" + other.name + "'");
        if (m.has("interval")) { // snapshots of a plastic projection's weights during the run
            const double dt = spec_.simulation.dt;
            r.interval = number_in(m.get("interval"), m.sub("interval"), dt * (1 - 1e-9), 1e12);
            const double k = r.interval / dt;
            if (std::fabs(k - std::round(k)) > 1e-9 * k)
                fail(src_, m.get("interval"), m.sub("interval"), "must be a multiple of dt");
            for (const auto& pr : prs)
                if (pr.name == r.projection && !pr.plasticity.enabled)
                    fail(src_, m.get("interval"), m.sub("interval"),
                         "projection '" + r.projection + "' is not plastic: its weights do not change");
        }
    } else {
        r.kind = RecorderSpec::Kind::state;
        r.population = text(m.require("population"), m.sub("population"));
        const PopulationSpec* pop = spec_.find_population(r.population);
        if (!pop)
            fail(src_, m.get("population"), m.sub("population"), "unknown population '" + r.population + "'");
        r.variable = text(m.require("variable"), m.sub("variable"));
        const ModelInfo* model = find_model(pop->model);
        if (model->variable_index(r.variable) < 0)
            fail(src_, m.get("variable"), m.sub("variable"),
                 "model " + pop->model + " has no state variable '" + r.variable +
                     "' (has: " + join(model->state_variables) + ")");
        for (const auto& other : spec_.recorders)
            if (other.kind == RecorderSpec::Kind::state && other.population == r.population &&
                other.variable == r.variable)
                fail(src_, m.get("variable"), m.sub("variable"),
                     "'" + r.variable + "' of population '" + r.population + "' is already recorded by '" +
                         other.name + "' (one report per variable: /report/" + r.population + "/" +
                         r.variable + ")");
        const YAML::Node ids = m.require("ids");
        if (ids.IsScalar() && ids.Scalar() == "all") {
            for (std::uint64_t i = 0; i < pop->size; ++i) r.ids.push_back(i);
        } else if (ids.IsSequence()) {
            for (std::size_t i = 0; i < ids.size(); ++i)
                r.ids.push_back(
                    integer(ids[i], m.sub("ids") + "[" + std::to_string(i) + "]", 0, pop->size - 1));
            std::set<std::uint64_t> uniq(r.ids.begin(), r.ids.end());
            if (uniq.size() != r.ids.size()) fail(src_, ids, m.sub("ids"), "ids must be distinct");
            if (r.ids.empty()) fail(src_, ids, m.sub("ids"), "must list at least one id");
        } else {
            fail(src_, ids, m.sub("ids"), "must be a list of neuron ids or 'all'");
        }
        const double dt = spec_.simulation.dt;
        r.interval =
            m.has("interval") ? number_in(m.get("interval"), m.sub("interval"), dt * (1 - 1e-9), 1e12) : dt;
        const double k = r.interval / dt;
        if (std::abs(k - std::round(k)) > 1e-6)
            fail(src_, m.get("interval"), m.sub("interval"), "must be a multiple of dt");
    }
    spec_.recorders.push_back(std::move(r));
}

NetworkSpec Loader::load(const YAML::Node& root) {
    MapReader top(
        src_, root, "",
        {"nmsim", "vars", "simulation", "populations", "projections", "stimuli", "recorders", "output"});
    const YAML::Node version = top.require("nmsim");
    if (!version.IsScalar() || version.Scalar() != "1")
        fail(src_, version, "nmsim", "schema version must be 1");
    spec_.source_file = src_.file;
    if (top.has("vars")) load_vars(top.get("vars"));
    if (top.has("simulation")) load_simulation(top.get("simulation"));
    const YAML::Node pops = top.require("populations");
    if (!pops.IsMap() || pops.size() == 0) fail(src_, pops, "populations", "must be a non-empty mapping");
    MapReader pops_check(src_, pops, "populations", [&] {
        std::vector<std::string> names;
        for (const auto& kv : pops) names.push_back(kv.first.Scalar());
        return names;
    }()); // rejects duplicate names
    for (const auto& kv : pops) {
        const std::string name = kv.first.Scalar();
        if (!is_identifier(name))
            fail(src_, kv.first, "populations." + name, "a population name must be an identifier");
        load_population(name, kv.second);
    }
    auto each = [&](const char* section, auto&& load_one) {
        if (!top.has(section)) return;
        const YAML::Node n = top.get(section);
        if (!n.IsMap()) fail(src_, n, section, "must be a mapping of names to entries");
        std::set<std::string> seen;
        for (const auto& kv : n) {
            const std::string name = kv.first.Scalar();
            if (!seen.insert(name).second)
                fail(src_, kv.first, std::string(section) + "." + name, "duplicate key");
            load_one(name, kv.second);
        }
    };
    each("projections", [&](const std::string& k, const YAML::Node& v) { load_projection(k, v); });
    each("stimuli", [&](const std::string& k, const YAML::Node& v) { load_stimulus(k, v); });
    each("recorders", [&](const std::string& k, const YAML::Node& v) { load_recorder(k, v); });
    if (top.has("output")) {
        MapReader o(src_, top.get("output"), "output", {"path"});
        spec_.output_path = text(o.require("path"), "output.path");
        if (spec_.output_path.empty()) fail(src_, o.get("path"), "output.path", "must not be empty");
    } else {
        spec_.output_path = "out/" + std::filesystem::path(src_.file).stem().string() + ".h5";
    }
    return std::move(spec_);
}

// Applies "a.b.c=value" to the tree; creates the last key so validation can judge it.
void apply_override(YAML::Node& root, const std::string& assignment, std::set<std::string>& overridden) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0)
        throw ConfigError("--set", 0, 0, assignment, "expected key.path=value");
    const std::string path = assignment.substr(0, eq);
    YAML::Node value;
    try {
        value = YAML::Load(assignment.substr(eq + 1));
    } catch (const YAML::Exception& e) {
        throw ConfigError("--set " + path, 0, 0, path, "malformed value: " + e.msg);
    }
    std::vector<std::string> keys;
    std::stringstream ss(path);
    for (std::string k; std::getline(ss, k, '.');) keys.push_back(k);
    YAML::Node cur = root;
    std::string walked;
    for (std::size_t i = 0; i + 1 < keys.size(); ++i) {
        walked += (walked.empty() ? "" : ".") + keys[i];
        if (!cur.IsMap() || !cur[keys[i]].IsDefined())
            throw ConfigError("--set " + path, 0, 0, walked, "no such key in the config");
        cur.reset(cur[keys[i]]);
    }
    if (!cur.IsMap()) throw ConfigError("--set " + path, 0, 0, walked, "is not a mapping");
    cur[keys.back()] = value;
    overridden.insert(path);
}

} // namespace

NetworkSpec load_config_text(const std::string& text, const std::string& file_label,
                             const std::vector<std::string>& overrides, const std::string& base_dir) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
        throw ConfigError(file_label, e.mark.line + 1, e.mark.column + 1, "", "malformed YAML: " + e.msg);
    }
    if (!root.IsDefined() || root.IsNull()) throw ConfigError(file_label, 1, 1, "", "empty config");
    Source src{file_label, {}};
    for (const auto& o : overrides) apply_override(root, o, src.overridden);
    Loader loader(src, base_dir);
    NetworkSpec spec = loader.load(root);
    if (overrides.empty()) {
        spec.config_text = text;
    } else {
        YAML::Emitter out;
        out << root;
        spec.config_text = out.c_str();
    }
    return spec;
}

NetworkSpec load_config(const std::string& path, const std::vector<std::string>& overrides) {
    std::ifstream in(path);
    if (!in) throw ConfigError(path, 0, 0, "", "cannot read the config file");
    std::stringstream buf;
    buf << in.rdbuf();
    const std::string dir = std::filesystem::path(path).parent_path().string();
    return load_config_text(buf.str(), path, overrides, dir.empty() ? "." : dir);
}

} // namespace nmsim
