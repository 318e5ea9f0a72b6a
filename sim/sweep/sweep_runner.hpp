// Running sweeps: one point per worker invocation (`nmsim sweep S --point I`), each writing exactly
// one file, points/<id>.h5 (with its metrics) or points/<id>.error, atomically. The local runner
// spawns such workers in parallel; MPI ranks and Slurm array tasks run the same worker function, so
// resume, status and collect only need to look at which point files exist and are valid.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/sweep/sweep_spec.hpp"

namespace nmsim {

struct SweepOptions {
    int jobs = 1;    // parallel local workers
    int threads = 1; // threads per point
    bool resume = false;
    bool progress = false;
};

struct SlurmOptions {
    std::string partition, time = "01:00:00", mem = "2G";
    int array_max_parallel = 0; // 0: no % throttle
    std::uint64_t chunk_size = 1;
    bool submit = false;
};

// A loaded, expanded and fully validated sweep with its output folder prepared.
struct PreparedSweep {
    SweepSpec spec;
    std::vector<SweepPoint> points;
    std::string points_dir, manifest_path;
};

// Loads and expands a sweep. With write_manifest (starting or resuming a run) it also validates
// every point against the base config (ConfigError names the point) and writes or checks the
// manifest; `resume` allows an existing manifest with the same hash. Workers, --status and
// --collect pass write_manifest = false: the points were checked when the run began.
PreparedSweep prepare_sweep(const std::string& sweep_path, bool resume, bool write_manifest = true);

// True when points/<id>.h5 exists, opens, and belongs to this sweep (hash and index match).
bool point_done(const PreparedSweep& sweep, const SweepPoint& point);
// Runs one point in this process; writes its .h5 or .error. Returns 0 on success, 1 on failure.
int run_point(const PreparedSweep& sweep, std::uint64_t index, int threads);
// Records every point's status (done / failed with its error / missing) in the manifest.
nlohmann::json update_manifest(const PreparedSweep& sweep);

int sweep_local(const std::string& sweep_path, const SweepOptions& options);
int sweep_chunk(const std::string& sweep_path, std::uint64_t chunk, std::uint64_t chunk_size, int threads);
int sweep_status(const std::string& sweep_path);
int sweep_collect(const std::string& sweep_path);
int sweep_slurm(const std::string& sweep_path, const SweepOptions& options, const SlurmOptions& slurm);
#ifdef NMSIM_HAVE_MPI
int sweep_mpi(const std::string& sweep_path, const SweepOptions& options);
#endif

// Metrics of one run from its recorded spikes and summary (see docs/sweeps.md).
nlohmann::json point_metrics(const struct RunSummary& summary, const struct NetworkSpec& spec,
                             const struct RunResult& result, double wall_s);

} // namespace nmsim
