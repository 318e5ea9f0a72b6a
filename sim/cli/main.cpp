// nmsim's command line: run, validate (and, as they land, footprint, chips, sweep).
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fmt/format.h>
#include <iostream>
#include <map>
#include <unistd.h>

#include "hw/chip_profile.hpp"
#include "hw/mapper.hpp"
#include "sim/cli/exit_codes.hpp"
#include "sim/cli/hw_commands.hpp"
#include "sim/config/config_loader.hpp"
#include "sim/io/nir_file.hpp"
#include "sim/nir/nir_export.hpp"
#include "sim/nir/nir_import.hpp"
#include "sim/run/run_service.hpp"
#include "sim/run/system_memory.hpp"
#include "sim/sweep/sweep_runner.hpp"

using namespace nmsim;

namespace {

// A NIR graph's import options (docs/nir.md).
void add_nir_options(CLI::App* cmd, NirImportOptions& nir) {
    cmd->add_option("--dt", nir.dt, "NIR graphs: time step in the graph's time unit (default 1e-4)");
    cmd->add_option("--time-unit", nir.time_unit, "NIR graphs: the graph's time unit (s, ms, us; default s)")
        ->check(CLI::IsMember({"s", "ms", "us"}));
    cmd->add_option(
        "--input", nir.input,
        "NIR graphs: input events, CSV time,node,index,value (graph time unit) or SONATA spikes HDF5");
    cmd->add_option("--reset", nir.reset, "NIR graphs: v_reset (NIR's, default) or subtract")
        ->check(CLI::IsMember({"v_reset", "subtract"}));
    cmd->add_flag("--record-state", nir.record_state, "NIR graphs: record v (and i) of every neuron node");
}

void add_run_options(CLI::App* cmd, RunRequest& req, std::string& max_memory, std::uint64_t& seed) {
    cmd->add_option("config", req.config_path, "YAML config or NIR graph")->required();
    add_nir_options(cmd, req.nir);
    cmd->add_option("--set", req.overrides, "override a config key: key.path=value (repeatable)");
    cmd->add_option("--threads", req.threads, "threads (default: simulation.threads)")
        ->check(CLI::Range(1, 256));
    cmd->add_option("--seed", seed, "random seed (default: simulation.seed)");
    cmd->add_option("-o,--output", req.output, "output HDF5 file (default: output.path)");
    cmd->add_option("--max-memory", max_memory,
                    "refuse runs needing more (e.g. 2G; default 80% of free RAM)");
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"nmsim: event-driven spiking network simulator with neuromorphic chip footprints"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string(NMSIM_VERSION) + " (" + NMSIM_GIT_SHA + ")");

    RunRequest req;
    std::string max_memory;
    std::uint64_t seed = 0;
    bool json = false, quiet = false;

    CLI::App* run = app.add_subcommand("run", "simulate a config and write SONATA HDF5 output");
    add_run_options(run, req, max_memory, seed);
    run->add_flag("--json", json, "print a JSON summary on stdout");
    run->add_flag("-q,--quiet", quiet, "no progress or summary line");
    run->add_option("--chip", req.settings.chip,
                    "round weights and delays to this chip; report fidelity vs the float run");
    run->add_option("--chip-file", req.settings.chip_files,
                    "an extra chip profile YAML for --chip (repeatable)");

    CLI::App* validate = app.add_subcommand("validate", "check a config without running it");
    add_run_options(validate, req, max_memory, seed);
    validate->add_flag("--json", json, "print a JSON summary on stdout (neurons, synapses, estimated bytes)");

    std::string footprint_config, chips_names = "all", format = "table";
    NirImportOptions footprint_nir;
    std::vector<std::string> chip_files, footprint_sets;
    bool strict = false;
    int footprint_threads = 2;
    CLI::App* footprint =
        app.add_subcommand("footprint", "map a config onto neuromorphic chips, side by side");
    footprint->add_option("config", footprint_config, "YAML config or NIR graph")->required();
    add_nir_options(footprint, footprint_nir);
    footprint->add_option("--chips", chips_names, "all, or a comma list of chip names");
    footprint->add_option("--chip-file", chip_files, "an extra chip profile YAML (repeatable)");
    footprint->add_option("--format", format, "table, json or csv")
        ->check(CLI::IsMember({"table", "json", "csv"}));
    footprint->add_option("--set", footprint_sets, "override a config key: key.path=value (repeatable)");
    footprint->add_option("--threads", footprint_threads, "threads for generation and mapping")
        ->check(CLI::Range(1, 256));
    footprint->add_flag("--strict", strict, "exit 3 if any chip has a violation");

    std::string sweep_path;
    SweepOptions sweep_opts;
    SlurmOptions slurm_opts;
    bool sweep_slurm_flag = false, sweep_status_flag = false, sweep_collect_flag = false;
    long long sweep_point_index = -1, sweep_chunk_index = -1;
    CLI::App* sweep =
        app.add_subcommand("sweep", "run a parameter sweep: locally, under mpirun, or as a Slurm array");
    sweep->add_option("sweep_file", sweep_path, "sweep YAML")->required();
    sweep->add_option("--jobs", sweep_opts.jobs, "points run in parallel (local)")
        ->check(CLI::Range(1, 1024));
    sweep->add_option("--threads", sweep_opts.threads, "threads per point")->check(CLI::Range(1, 256));
    sweep->add_flag("--resume", sweep_opts.resume,
                    "skip finished points, re-run missing, failed or corrupt ones");
    sweep->add_flag("--collect", sweep_collect_flag, "gather metrics into summary.h5 and summary.csv");
    sweep->add_flag("--status", sweep_status_flag, "show done / running / failed / missing points");
    sweep->add_flag("--slurm", sweep_slurm_flag, "write job.sbatch, a Slurm array over chunks of points");
    sweep->add_flag("--submit", slurm_opts.submit,
                    "with --slurm: submit it with sbatch and print the job id");
    sweep->add_option("--partition", slurm_opts.partition, "Slurm partition");
    sweep->add_option("--time", slurm_opts.time, "Slurm time limit per task (default 01:00:00)");
    sweep->add_option("--mem", slurm_opts.mem, "Slurm memory per task (default 2G)");
    sweep->add_option("--array-max-parallel", slurm_opts.array_max_parallel, "Slurm array throttle (%K)");
    sweep->add_option("--chunk-size", slurm_opts.chunk_size, "points per Slurm array task")
        ->check(CLI::Range(1, 1 << 30));
    sweep->add_option("--point", sweep_point_index, "(worker) run one point by index");
    sweep->add_option("--chunk", sweep_chunk_index,
                      "(worker) run one chunk of points, as a Slurm array task does");

    std::string convert_in, convert_out;
    NirImportOptions convert_nir_opts;
    CLI::App* convert = app.add_subcommand("convert", "write a NIR graph as the equivalent nmsim config");
    convert->add_option("graph", convert_in, "NIR graph (HDF5)")->required();
    convert->add_option("-o,--output", convert_out, "the YAML config to write (synapses beside it)")
        ->required();
    add_nir_options(convert, convert_nir_opts);

    std::string export_in, export_out, export_format = "nir";
    std::vector<std::string> export_sets;
    NirImportOptions export_nir_in;
    NirExportOptions export_opts;
    CLI::App* exp = app.add_subcommand("export", "write a config (or graph) in another format: NIR");
    exp->add_option("config", export_in, "YAML config or NIR graph")->required();
    exp->add_option("-o,--output", export_out, "the file to write")->required();
    exp->add_option("--format", export_format, "nir")->check(CLI::IsMember({"nir"}));
    exp->add_option("--set", export_sets, "override a config key: key.path=value (repeatable)");
    exp->add_option("--graph-time-unit", export_opts.time_unit, "time unit of the written graph (s, ms, us)")
        ->check(CLI::IsMember({"s", "ms", "us"}));
    exp->add_option("--max-dense-weights", export_opts.max_dense_weights,
                    "refuse projections whose dense weight matrix is larger (default 1e8)");
    add_nir_options(exp, export_nir_in);

    std::string show_name;
    CLI::App* chips = app.add_subcommand("chips", "list the chip profiles");
    chips->add_option("--chip-file", chip_files, "an extra chip profile YAML (repeatable)");
    CLI::App* show = chips->add_subcommand("show", "print one chip profile with its sources");
    show->add_option("name", show_name, "chip name")->required();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : exit_config;
    }

    return run_guarded([&]() -> int {
        if (!max_memory.empty()) req.settings.max_memory = parse_byte_size(max_memory);
        if ((run->parsed() && run->count("--seed")) || (validate->parsed() && validate->count("--seed")))
            req.seed = seed;
        if (sweep->parsed()) {
            if (sweep_point_index >= 0) {
                const PreparedSweep s = prepare_sweep(sweep_path, true, false);
                if (static_cast<std::uint64_t>(sweep_point_index) >= s.points.size())
                    throw UsageError(
                        fmt::format("--point {} is outside 0..{}", sweep_point_index, s.points.size() - 1));
                return run_point(s, static_cast<std::uint64_t>(sweep_point_index), sweep_opts.threads);
            }
            if (sweep_chunk_index >= 0)
                return sweep_chunk(sweep_path, static_cast<std::uint64_t>(sweep_chunk_index),
                                   slurm_opts.chunk_size, sweep_opts.threads);
            if (sweep_status_flag) return sweep_status(sweep_path);
            if (sweep_collect_flag) return sweep_collect(sweep_path);
            if (sweep_slurm_flag) return sweep_slurm(sweep_path, sweep_opts, slurm_opts);
#ifdef NMSIM_HAVE_MPI
            // Under mpirun (more than one rank) the ranks share the points.
            for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
                if (const char* v = std::getenv(var);
                    v && (std::string(var) == "PMIX_RANK" || std::atoi(v) > 1))
                    return sweep_mpi(sweep_path, sweep_opts);
#endif
            sweep_opts.progress = isatty(STDERR_FILENO);
            return sweep_local(sweep_path, sweep_opts);
        }
        if (footprint->parsed()) {
            const NetworkSpec spec = load_network(footprint_config, footprint_sets, footprint_nir);
            const auto profiles =
                select_chips(chip_files.empty() || chips_names != "all" ? chips_names : "all", chip_files);
            const FootprintReport report = compute_footprints(spec, profiles, {footprint_threads, 256});
            if (format == "json")
                std::cout << footprint_json(report, footprint_config).dump(2) << "\n";
            else if (format == "csv")
                std::cout << footprint_csv(report);
            else
                std::cout << footprint_table(report);
            bool violated = false;
            for (const auto& f : report.chips) violated = violated || !f.violations.empty();
            return strict && violated ? exit_violation : exit_ok;
        }
        if (exp->parsed()) {
            const NetworkSpec spec = load_network(export_in, export_sets, export_nir_in);
            const NirFile graph = export_nir(spec, export_opts);
            write_nir(export_out, graph);
            std::cerr << fmt::format("nmsim: wrote {} ({} nodes, {} edges)\n", export_out,
                                     graph.graph.nodes.size(), graph.graph.edges.size());
            return exit_ok;
        }
        if (convert->parsed()) {
            for (const auto& line : convert_nir(convert_in, convert_nir_opts, convert_out))
                std::cerr << "nmsim: " << line << "\n";
            std::cerr << "nmsim: wrote " << convert_out << "\n";
            return exit_ok;
        }
        if (chips->parsed()) {
            std::vector<ChipProfile> all = builtin_chips();
            for (const auto& f : chip_files) all.push_back(load_chip_profile(f));
            if (show->parsed()) {
                for (const auto& c : all)
                    if (c.name == show_name) {
                        std::cout << chip_details(c);
                        return exit_ok;
                    }
                throw UsageError("unknown chip '" + show_name + "' (see `nmsim chips`)");
            }
            std::cout << chips_list(all);
            return exit_ok;
        }
        if (validate->parsed()) {
            const ValidateSummary v = validate_config(req);
            if (json) {
                std::cout << v.to_json(req.config_path).dump(2) << "\n";
                return exit_ok;
            }
            std::cout << fmt::format(
                "{}: valid ({} neurons, {} projections, ~{:.0f} synapses, ~{} estimated)\n", req.config_path,
                v.neurons, v.projections, v.expected_synapses, format_bytes(v.estimated_bytes));
            return exit_ok;
        }
        req.settings.progress = !quiet && !json && isatty(STDERR_FILENO);
        const RunSummary summary = run_config(req);
        if (json) {
            std::cout << summary.to_json().dump(2) << "\n";
        } else if (!quiet) {
            // Where the synapses live: one line per rung and reason.
            std::map<std::pair<std::string, std::string>, int> rungs;
            for (const auto& p : summary.projections) ++rungs[{to_string(p.storage.kind), p.storage.reason}];
            for (const auto& [rung, n] : rungs)
                std::cerr << fmt::format("nmsim: storage {} for {} projection{} ({})\n", rung.first, n,
                                         n == 1 ? "" : "s", rung.second);
            // How the neurons advanced: one line per mode and reason, with the measured share of steps
            // in which a neuron was reached where auto measured it.
            struct Group {
                std::vector<std::string> names;
                double lo = 2.0, hi = -1.0;
            };
            std::map<std::pair<std::string, std::string>, Group> modes;
            for (const auto& p : summary.populations) {
                Group& g = modes[{to_string(p.engine.mode), p.engine.reason}];
                g.names.push_back(p.name);
                if (p.engine.measured_touches >= 0) {
                    g.lo = std::min(g.lo, p.engine.measured_touches);
                    g.hi = std::max(g.hi, p.engine.measured_touches);
                }
            }
            for (const auto& [mode, g] : modes) {
                std::string names;
                for (std::size_t k = 0; k < g.names.size() && k < 6; ++k)
                    names += (k ? ", " : "") + g.names[k];
                if (g.names.size() > 6) names += fmt::format(" and {} more", g.names.size() - 6);
                const std::string lo = fmt::format("{:.3g}", g.lo), hi = fmt::format("{:.3g}", g.hi);
                const std::string measured = g.hi < 0   ? ""
                                             : lo == hi ? "; measured " + lo
                                                        : "; measured " + lo + " to " + hi;
                std::cerr << fmt::format("nmsim: engine {} for {} ({}{})\n", mode.first, names, mode.second,
                                         measured);
            }
            std::string rates;
            for (const auto& p : summary.populations) rates += fmt::format(" {}={:.2f}", p.name, p.rate_hz);
            std::cerr << fmt::format("nmsim: {} spikes, rates (Hz):{}; build {:.2f} s, sim {:.2f} s, "
                                     "{:.3f} B/synapse, peak RSS {} -> {}\n",
                                     summary.spikes, rates, summary.build_s, summary.sim_s,
                                     summary.bytes_per_synapse(), format_bytes(summary.peak_rss),
                                     summary.output);
        }
        return exit_ok;
    });
}
