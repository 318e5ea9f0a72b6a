// `mpirun -n K nmsim sweep S`: rank 0 prepares the sweep and hands out point indices one at a time to
// whichever rank asks (slow points do not stall the others); ranks 1..K-1 run points in-process with
// the same worker as the local runner. Built only when MPI is found (NMSIM_HAVE_MPI).
#include <cstdio>
#include <mpi.h>
#include <vector>

#include "sim/cli/exit_codes.hpp"
#include "sim/sweep/sweep_runner.hpp"

namespace nmsim {

int sweep_mpi(const std::string& sweep_path, const SweepOptions& options) {
    MPI_Init(nullptr, nullptr);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    // Rank 0 validates and writes the manifest first; the others wait for its verdict.
    int verdict = 0;
    PreparedSweep sweep;
    if (rank == 0)
        verdict = run_guarded([&] {
            sweep = prepare_sweep(sweep_path, options.resume);
            return 0;
        });
    MPI_Bcast(&verdict, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (verdict != 0) {
        MPI_Finalize();
        return verdict;
    }
    if (rank != 0) sweep = prepare_sweep(sweep_path, true, false);
    constexpr int tag_ask = 1, tag_give = 2;
    int rc = 0;
    if (rank == 0) {
        std::vector<long long> pending;
        for (const auto& p : sweep.points)
            if (!point_done(sweep, p)) pending.push_back(static_cast<long long>(p.index));
        std::size_t next = 0;
        int active = size - 1;
        if (size == 1) // a single rank does the work itself
            for (long long i : pending)
                rc |= run_point(sweep, static_cast<std::uint64_t>(i), options.threads);
        while (active > 0) {
            long long report[2]; // {finished point or -1, its result}
            MPI_Status status;
            MPI_Recv(report, 2, MPI_LONG_LONG, MPI_ANY_SOURCE, tag_ask, MPI_COMM_WORLD, &status);
            if (report[0] >= 0) {
                rc |= static_cast<int>(report[1]);
                std::fprintf(stderr, "nmsim sweep: rank %d finished point %lld\n", status.MPI_SOURCE,
                             report[0]);
            }
            long long give = next < pending.size() ? pending[next++] : -1;
            MPI_Send(&give, 1, MPI_LONG_LONG, status.MPI_SOURCE, tag_give, MPI_COMM_WORLD);
            if (give < 0) --active;
        }
        rc = run_guarded([&] {
            const auto m = update_manifest(sweep);
            std::fprintf(stderr, "nmsim sweep: %llu done, %llu failed of %zu points on %d ranks\n",
                         static_cast<unsigned long long>(m["done"].get<std::uint64_t>()),
                         static_cast<unsigned long long>(m["failed"].get<std::uint64_t>()),
                         sweep.points.size(), size);
            return m["done"].get<std::uint64_t>() == sweep.points.size() ? 0 : 1;
        });
    } else {
        long long report[2] = {-1, 0};
        for (;;) {
            MPI_Send(report, 2, MPI_LONG_LONG, 0, tag_ask, MPI_COMM_WORLD);
            long long index = -1;
            MPI_Recv(&index, 1, MPI_LONG_LONG, 0, tag_give, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (index < 0) break;
            report[0] = index;
            report[1] = run_point(sweep, static_cast<std::uint64_t>(index), options.threads);
        }
    }
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Finalize();
    return rc;
}

} // namespace nmsim
