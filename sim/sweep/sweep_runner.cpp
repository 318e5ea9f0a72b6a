#include "sim/sweep/sweep_runner.hpp"

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/config/config_loader.hpp"
#include "sim/io/sonata.hpp"
#include "sim/run/run_service.hpp"
#include "sim/run/system_memory.hpp"
#include "sim/spec/errors.hpp"

extern char** environ;

namespace nmsim {
namespace fs = std::filesystem;

namespace {

void write_text_atomically(const std::string& path, const std::string& text) {
    const std::string tmp = temp_path_for(path);
    {
        std::ofstream out(tmp);
        out << text;
        if (!out) throw IoError("cannot write " + tmp);
    }
    commit_file(tmp, path);
}

std::string point_file(const PreparedSweep& s, const SweepPoint& p, const char* ext) {
    return s.points_dir + "/" + p.id + ext;
}

nlohmann::json point_json(const PreparedSweep& s, const SweepPoint& p) {
    nlohmann::json j = {{"index", p.index},
                        {"id", p.id},
                        {"repeat", p.repeat},
                        {"seed", p.seed},
                        {"sweep_hash", s.spec.hash}};
    for (const auto& [k, v] : p.values) j["values"][k] = v;
    return j;
}

double mean_of(const std::vector<double>& v) {
    if (v.empty()) return NAN;
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
}

} // namespace

nlohmann::json point_metrics(const RunSummary& summary, const NetworkSpec& spec, const RunResult& result,
                             double wall_s) {
    nlohmann::json m;
    m["mean_rate"] = summary.mean_rate_hz;
    for (const auto& p : summary.populations) m["mean_rate_" + p.name] = p.rate_hz;
    m["table_bytes"] = summary.table_bytes;
    m["wall_s"] = wall_s;
    const double duration = spec.simulation.duration, bin = 5.0; // ms; Fano factor of 5 ms population counts
    std::vector<double> all_cv;
    std::vector<double> all_counts(static_cast<std::size_t>(std::ceil(duration / bin)), 0.0);
    auto fano = [](const std::vector<double>& counts) -> double {
        const double mu = mean_of(counts);
        if (!(mu > 0)) return NAN;
        double var = 0;
        for (double c : counts) var += (c - mu) * (c - mu);
        return var / static_cast<double>(counts.size()) / mu;
    };
    for (const auto& [pop, rec] : result.spikes) {
        // CV of inter-spike intervals per neuron with at least 3 spikes, averaged.
        std::map<std::uint64_t, std::vector<double>> times;
        for (std::size_t i = 0; i < rec.times_ms.size(); ++i)
            times[rec.node_ids[i]].push_back(rec.times_ms[i]);
        std::vector<double> cvs;
        for (const auto& [id, t] : times) {
            if (t.size() < 3) continue;
            std::vector<double> isi;
            for (std::size_t k = 1; k < t.size(); ++k) isi.push_back(t[k] - t[k - 1]);
            const double mu = mean_of(isi);
            double var = 0;
            for (double x : isi) var += (x - mu) * (x - mu);
            cvs.push_back(std::sqrt(var / static_cast<double>(isi.size())) / mu);
        }
        m["cv_isi_" + pop] = mean_of(cvs);
        all_cv.insert(all_cv.end(), cvs.begin(), cvs.end());
        std::vector<double> counts(all_counts.size(), 0.0);
        for (double t : rec.times_ms) {
            const auto b = std::min(counts.size() - 1, static_cast<std::size_t>((t - 1e-9) / bin));
            counts[b] += 1;
            all_counts[b] += 1;
        }
        m["fano_" + pop] = fano(counts);
    }
    m["cv_isi"] = mean_of(all_cv);
    m["fano"] = result.spikes.empty() ? NAN : fano(all_counts);
    return m;
}

PreparedSweep prepare_sweep(const std::string& sweep_path, bool resume, bool write_manifest) {
    PreparedSweep s;
    s.spec = load_sweep(sweep_path);
    const NetworkSpec base = load_config(s.spec.base, s.spec.fixed);
    s.points = expand_sweep(s.spec, base.simulation.seed);
    s.points_dir = s.spec.output + "/points";
    s.manifest_path = s.spec.output + "/manifest.json";
    // Workers, status and collect read a sweep whose points were checked when its run began.
    if (!write_manifest) return s;
    // Every point must load before any runs: the message names the point and the key.
    for (const auto& p : s.points) {
        std::vector<std::string> overrides = s.spec.fixed;
        for (const auto& o : p.overrides()) overrides.push_back(o);
        try {
            (void)load_config(s.spec.base, overrides);
        } catch (const ConfigError& e) {
            throw ConfigError(e.file, e.line, e.column, e.key_path,
                              e.detail + " (sweep point " + p.id + " of " + sweep_path + ")");
        }
    }
    if (fs::exists(s.manifest_path)) {
        nlohmann::json old;
        try {
            old = nlohmann::json::parse(std::ifstream(s.manifest_path));
        } catch (const std::exception&) {
            throw IoError(s.manifest_path + ": unreadable manifest; remove the output folder to start again");
        }
        if (old.value("sweep_hash", "") != s.spec.hash)
            throw ConfigError(sweep_path, 0, 0, "",
                              "the sweep file or its base config changed since " + s.manifest_path +
                                  " was written (hash " + old.value("sweep_hash", "?") + ", now " +
                                  s.spec.hash + "); use a new output folder or remove the old one");
        if (!resume)
            throw UsageError(s.spec.output + " already holds this sweep; use --resume to continue it");
        return s;
    }
    fs::create_directories(s.points_dir);
    update_manifest(s);
    return s;
}

bool point_done(const PreparedSweep& s, const SweepPoint& p) {
    const std::string path = point_file(s, p, ".h5");
    if (!fs::exists(path)) return false;
    try {
        const auto j = nlohmann::json::parse(read_string_dataset(path, "/nmsim/sweep_point"));
        return j.value("sweep_hash", "") == s.spec.hash && j.value("index", ~0ull) == p.index &&
               j.contains("metrics");
    } catch (const std::exception&) {
        return false; // unreadable or truncated: corrupt
    }
}

int run_point(const PreparedSweep& s, std::uint64_t index, int threads) {
    const SweepPoint& p = s.points.at(index);
    std::error_code ec;
    fs::create_directories(s.points_dir, ec);
    fs::remove(point_file(s, p, ".error"), ec);
    const auto t0 = std::chrono::steady_clock::now();
    try {
        RunRequest req;
        req.config_path = s.spec.base;
        req.overrides = s.spec.fixed;
        for (const auto& o : p.overrides()) req.overrides.push_back(o);
        req.seed = p.seed;
        req.threads = threads;
        req.output = point_file(s, p, ".h5");
        RunOutcome out = run_network(load_request(req), req.settings);
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        nlohmann::json pj = point_json(s, p);
        pj["metrics"] = point_metrics(out.summary, out.spec, out.result, wall);
        out.provenance.extra_datasets["sweep_point"] = pj.dump();
        write_sonata(req.output, out.spec, out.result, out.provenance);
        return 0;
    } catch (const std::exception& e) {
        nlohmann::json err = point_json(s, p);
        err["error"] = e.what();
        write_text_atomically(point_file(s, p, ".error"), err.dump(2));
        return 1;
    }
}

nlohmann::json update_manifest(const PreparedSweep& s) {
    nlohmann::json m = {{"sweep_hash", s.spec.hash}, {"sweep_file", s.spec.file},
                        {"base", s.spec.base},       {"keys", swept_keys(s.spec)},
                        {"repeats", s.spec.repeats}, {"metrics", s.spec.metrics},
                        {"fixed", s.spec.fixed}};
    std::uint64_t done = 0, failed = 0;
    for (const auto& p : s.points) {
        nlohmann::json j = point_json(s, p);
        if (point_done(s, p)) {
            j["status"] = "done";
            ++done;
        } else if (fs::exists(point_file(s, p, ".error"))) {
            j["status"] = "failed";
            try {
                j["error"] =
                    nlohmann::json::parse(std::ifstream(point_file(s, p, ".error"))).value("error", "");
            } catch (const std::exception&) {
                j["error"] = "unreadable error file";
            }
            ++failed;
        } else {
            j["status"] = "missing";
        }
        m["points"].push_back(j);
    }
    m["done"] = done;
    m["failed"] = failed;
    fs::create_directories(s.spec.output);
    write_text_atomically(s.manifest_path, m.dump(2));
    return m;
}

namespace {

std::string self_exe() {
    return fs::read_symlink("/proc/self/exe").string();
}

// Removes leftovers of killed workers and points that will run again.
std::vector<std::uint64_t> pending_points(const PreparedSweep& s) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(s.points_dir, ec))
        if (entry.path().string().find(".tmp-") != std::string::npos) fs::remove(entry.path(), ec);
    std::vector<std::uint64_t> pending;
    for (const auto& p : s.points)
        if (!point_done(s, p)) {
            fs::remove(point_file(s, p, ".h5"), ec); // corrupt or foreign
            pending.push_back(p.index);
        }
    return pending;
}

void progress_line(bool tty, std::uint64_t done, std::uint64_t total, double elapsed,
                   const std::string& last) {
    const double eta = done ? elapsed * static_cast<double>(total - done) / static_cast<double>(done) : 0.0;
    if (tty) {
        const int width = 30, filled = static_cast<int>(width * done / std::max<std::uint64_t>(total, 1));
        std::fprintf(stderr, "\r[%s%s] %llu/%llu points  ETA %5.0f s", std::string(filled, '#').c_str(),
                     std::string(width - filled, ' ').c_str(), static_cast<unsigned long long>(done),
                     static_cast<unsigned long long>(total), eta);
        if (done == total) std::fprintf(stderr, "\n");
    } else {
        std::fprintf(stderr, "nmsim sweep: %llu/%llu points (%s), ETA %.0f s\n",
                     static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                     last.c_str(), eta);
    }
    std::fflush(stderr);
}

int finish(const PreparedSweep& s) {
    const auto m = update_manifest(s);
    const std::uint64_t done = m["done"], failed = m["failed"];
    std::fprintf(stderr, "nmsim sweep: %llu done, %llu failed, %llu missing of %zu points -> %s\n",
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(failed),
                 static_cast<unsigned long long>(s.points.size() - done - failed), s.points.size(),
                 s.manifest_path.c_str());
    return done == s.points.size() ? 0 : 1;
}

} // namespace

int sweep_local(const std::string& sweep_path, const SweepOptions& o) {
    const PreparedSweep s = prepare_sweep(sweep_path, o.resume);
    const std::vector<std::uint64_t> pending = pending_points(s);
    const std::string exe = self_exe();
    const auto t0 = std::chrono::steady_clock::now();
    std::map<pid_t, std::uint64_t> running;
    std::size_t next = 0;
    std::uint64_t finished = s.points.size() - pending.size();
    const bool tty = o.progress;
    while (next < pending.size() || !running.empty()) {
        while (next < pending.size() && static_cast<int>(running.size()) < std::max(1, o.jobs)) {
            const SweepPoint& p = s.points[pending[next++]];
            const std::string log = point_file(s, p, ".log"), index = std::to_string(p.index),
                              threads = std::to_string(o.threads);
            std::vector<std::string> args = {exe,   "sweep",     sweep_path, "--point",
                                             index, "--threads", threads};
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            posix_spawn_file_actions_t actions;
            posix_spawn_file_actions_init(&actions);
            posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                             O_WRONLY | O_CREAT | O_TRUNC, 0644);
            posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
            pid_t pid = 0;
            const int rc = posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ);
            posix_spawn_file_actions_destroy(&actions);
            if (rc != 0) throw IoError("cannot start a sweep worker: " + std::string(std::strerror(rc)));
            running[pid] = p.index;
        }
        int status = 0;
        const pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) break;
        const auto it = running.find(pid);
        if (it == running.end()) continue;
        const SweepPoint& p = s.points[it->second];
        running.erase(it);
        std::string what = "done";
        if (!point_done(s, p) && !fs::exists(point_file(s, p, ".error"))) {
            // The worker died without a word (crash, kill): record it for the manifest.
            nlohmann::json err = point_json(s, p);
            err["error"] = WIFSIGNALED(status)
                               ? fmt::format("worker killed by signal {}", WTERMSIG(status))
                               : fmt::format("worker exited with code {}", WEXITSTATUS(status));
            write_text_atomically(point_file(s, p, ".error"), err.dump(2));
        }
        if (!point_done(s, p)) what = "point " + p.id + " failed";
        ++finished;
        progress_line(tty, finished, s.points.size(),
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), what);
    }
    return finish(s);
}

int sweep_chunk(const std::string& sweep_path, std::uint64_t chunk, std::uint64_t chunk_size, int threads) {
    const PreparedSweep s = prepare_sweep(sweep_path, true, false);
    int rc = 0;
    for (std::uint64_t i = chunk * chunk_size;
         i < std::min<std::uint64_t>((chunk + 1) * chunk_size, s.points.size()); ++i)
        if (!point_done(s, s.points[i])) rc |= run_point(s, i, threads);
    return rc;
}

int sweep_status(const std::string& sweep_path) {
    const PreparedSweep s = prepare_sweep(sweep_path, true, false);
    std::uint64_t done = 0, failed = 0, running = 0;
    const std::string job_file = s.spec.output + "/slurm_job_id";
    std::vector<std::uint64_t> running_tasks;
    if (fs::exists(job_file)) {
        std::string job;
        std::ifstream(job_file) >> job;
        // squeue lists the array tasks still pending or running.
        const std::string cmd = "squeue -h -r -j " + job + " -o %K 2>/dev/null";
        if (FILE* pipe = popen(cmd.c_str(), "r")) {
            char line[64];
            while (std::fgets(line, sizeof line, pipe))
                running_tasks.push_back(std::strtoull(line, nullptr, 10));
            pclose(pipe);
        }
    }
    std::uint64_t chunk_size = 1;
    if (fs::exists(s.spec.output + "/slurm_chunk_size"))
        std::ifstream(s.spec.output + "/slurm_chunk_size") >> chunk_size;
    for (const auto& p : s.points) {
        if (point_done(s, p))
            ++done;
        else if (fs::exists(point_file(s, p, ".error")))
            ++failed;
        else if (std::find(running_tasks.begin(), running_tasks.end(), p.index / chunk_size) !=
                 running_tasks.end())
            ++running;
    }
    std::printf("%s: %llu points: %llu done, %llu running, %llu failed, %llu missing\n", sweep_path.c_str(),
                static_cast<unsigned long long>(s.points.size()), static_cast<unsigned long long>(done),
                static_cast<unsigned long long>(running), static_cast<unsigned long long>(failed),
                static_cast<unsigned long long>(s.points.size() - done - failed - running));
    return done == s.points.size() ? 0 : 1;
}

int sweep_slurm(const std::string& sweep_path, const SweepOptions& o, const SlurmOptions& slurm) {
    const PreparedSweep s = prepare_sweep(sweep_path, true);
    const std::uint64_t chunks = (s.points.size() + slurm.chunk_size - 1) / slurm.chunk_size;
    const fs::path out = fs::absolute(s.spec.output);
    fs::create_directories(out / "slurm");
    std::string script = "#!/bin/bash\n# nmsim sweep as a Slurm job array: one task per chunk of points.\n";
    script += "#SBATCH --job-name=nmsim-sweep\n";
    script += fmt::format("#SBATCH --array=0-{}{}\n", chunks - 1,
                          slurm.array_max_parallel > 0 ? "%" + std::to_string(slurm.array_max_parallel) : "");
    script += fmt::format("#SBATCH --output={}/slurm/%A_%a.out\n", out.string());
    script += fmt::format("#SBATCH --cpus-per-task={}\n#SBATCH --time={}\n#SBATCH --mem={}\n", o.threads,
                          slurm.time, slurm.mem);
    if (!slurm.partition.empty()) script += "#SBATCH --partition=" + slurm.partition + "\n";
    script +=
        fmt::format("cd {}\nexec {} sweep {} --chunk \"$SLURM_ARRAY_TASK_ID\" --chunk-size {} --threads {}\n",
                    fs::current_path().string(), self_exe(), fs::absolute(sweep_path).string(),
                    slurm.chunk_size, o.threads);
    const std::string job = (out / "job.sbatch").string();
    write_text_atomically(job, script);
    write_text_atomically((out / "slurm_chunk_size").string(), std::to_string(slurm.chunk_size) + "\n");
    std::printf("%s\n", job.c_str());
    if (!slurm.submit) return 0;
    FILE* pipe = popen(("sbatch --parsable " + job + " 2>&1").c_str(), "r");
    if (!pipe) throw IoError("cannot run sbatch");
    std::string reply;
    char buf[256];
    while (std::fgets(buf, sizeof buf, pipe)) reply += buf;
    const int rc = pclose(pipe);
    while (!reply.empty() && (reply.back() == '\n' || reply.back() == '\r')) reply.pop_back();
    if (rc != 0) throw IoError("sbatch failed: " + reply);
    const std::string id = reply.substr(0, reply.find(';'));
    write_text_atomically((out / "slurm_job_id").string(), id + "\n");
    std::printf("submitted job %s\n", id.c_str());
    return 0;
}

} // namespace nmsim

namespace nmsim {

int sweep_collect(const std::string& sweep_path) {
    const PreparedSweep s = prepare_sweep(sweep_path, true, false);
    const std::vector<std::string> keys = swept_keys(s.spec);
    // Metrics of each done point; a requested metric covers its per-population variants.
    std::vector<nlohmann::json> metrics(s.points.size());
    std::vector<std::string> names;
    std::uint64_t done = 0;
    for (const auto& p : s.points) {
        if (!point_done(s, p)) continue;
        ++done;
        metrics[p.index] = nlohmann::json::parse(
            read_string_dataset(s.points_dir + "/" + p.id + ".h5", "/nmsim/sweep_point"))["metrics"];
        for (const auto& [name, value] : metrics[p.index].items())
            for (const auto& wanted : s.spec.metrics)
                if ((name == wanted || name.rfind(wanted + "_", 0) == 0) &&
                    std::find(names.begin(), names.end(), name) == names.end())
                    names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    auto value = [&](std::uint64_t i, const std::string& name) {
        const auto& m = metrics[i];
        return m.contains(name) && m[name].is_number() ? m[name].get<double>() : NAN;
    };
    auto numeric = [](const std::string& v) {
        char* end = nullptr;
        const double x = std::strtod(v.c_str(), &end);
        return end != v.c_str() && *end == '\0' ? x : NAN;
    };
    // summary.csv: one row per point.
    std::string csv = "id,index,repeat,seed";
    for (const auto& k : keys) csv += "," + k;
    csv += ",status";
    for (const auto& n : names) csv += "," + n;
    csv += "\n";
    for (const auto& p : s.points) {
        csv += fmt::format("{},{},{},{}", p.id, p.index, p.repeat, p.seed);
        for (const auto& [k, v] : p.values) csv += "," + v;
        csv += metrics[p.index].is_null()
                   ? (fs::exists(s.points_dir + "/" + p.id + ".error") ? ",failed" : ",missing")
                   : ",done";
        for (const auto& n : names) {
            const double v = value(p.index, n);
            csv += std::isnan(v) ? "," : fmt::format(",{:.9g}", v);
        }
        csv += "\n";
    }
    write_text_atomically(s.spec.output + "/summary.csv", csv);
    // summary.h5: per point arrays, and for pure grids one array per metric with an axis per key.
    std::vector<NamedArray> arrays;
    const std::uint64_t n = s.points.size();
    NamedArray rep{"points/repeat", {}, {n}}, seed{"points/seed", {}, {n}};
    for (const auto& p : s.points) {
        rep.data.push_back(static_cast<double>(p.repeat));
        seed.data.push_back(static_cast<double>(p.seed));
    }
    arrays.push_back(rep);
    arrays.push_back(seed);
    for (std::size_t k = 0; k < keys.size(); ++k) {
        NamedArray coord{"points/" + keys[k], {}, {n}};
        for (const auto& p : s.points) coord.data.push_back(numeric(p.values[k].second));
        arrays.push_back(coord);
    }
    for (const auto& name : names) {
        NamedArray a{"points/metrics/" + name, {}, {n}};
        for (const auto& p : s.points) a.data.push_back(value(p.index, name));
        arrays.push_back(a);
    }
    const bool pure_grid = s.spec.zip.empty() && s.spec.random.empty();
    if (pure_grid) {
        std::vector<std::uint64_t> dims;
        for (const auto& [k, values] : s.spec.grid) {
            dims.push_back(values.size());
            NamedArray axis{"axes/" + k, {}, {values.size()}};
            for (const auto& v : values) axis.data.push_back(numeric(v));
            arrays.push_back(axis);
        }
        dims.push_back(s.spec.repeats);
        for (const auto& name : names) {
            NamedArray a{"grid/" + name, {}, dims}; // points are already in row-major grid order
            for (const auto& p : s.points) a.data.push_back(value(p.index, name));
            arrays.push_back(a);
        }
    }
    std::string axes;
    for (const auto& [k, v] : s.spec.grid) axes += k + ",";
    write_arrays_h5(s.spec.output + "/summary.h5", arrays,
                    {{"sweep_hash", s.spec.hash},
                     {"sweep_file", sweep_path},
                     {"grid_axes", pure_grid ? axes + "repeat" : ""}});
    std::fprintf(stderr, "nmsim sweep: collected %llu of %zu points into %s/summary.h5 and summary.csv\n",
                 static_cast<unsigned long long>(done), s.points.size(), s.spec.output.c_str());
    return done == s.points.size() ? 0 : 1;
}

} // namespace nmsim
