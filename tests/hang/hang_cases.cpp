// tests/hang/hang_cases.cpp - programs for the hang report (MPIXX_HANG_TIMEOUT), run by check_hang.sh.
//
// hang_cases <case>:
//   collective  rank 0 calls allreduce, every other rank a barrier: a partial collective, it never ends
//   p2p         every rank receives from the next one (tag 5 + rank); nobody sends
//   other_abi   as p2p (tag 8 + rank, 4 ints), but the receive is compiled with checked mode on
//               (hang_other_abi.cpp): another ABI namespace than this file's environment
//   wait        rank 0 waits on an irecv from rank 1 that never sends; the others wait in a barrier
//   dup         MPI_THREAD_MULTIPLE, on a named duplicate of world: every rank receives from the next one
//               (tag 4), nobody sends; the report names the communicator and its size when MPI allows it
//   no_hang     every call completes, but rank 0 computes 0.3 s before each of them: no report, exit 0
//   late        rank 1's receive blocks past the timeout, then completes in the grace period: exit 0
//   fence       every rank creates a window; rank 0 calls fence(), the others wait in a barrier
//   halo        every rank builds a 1D periodic halo; rank 0 exchanges, the others wait in a barrier
//   file        every rank opens <dir>/hang.dat (argv[2]); rank 0 writes collectively (write_at_all of 4
//               ints; where that returns at once, it blocks in the collective close), the others wait in
//               a barrier
//   off         prints whether the report is on, after blocking calls (nothing runs without the variable)
// Built with checked mode off: its signature check would catch the partial collective before it hangs.
#include <mpixx/communicator.hpp>
#include <mpixx/environment.hpp>
#include <mpixx/file.hpp>
#include <mpixx/halo.hpp>
#include <mpixx/request.hpp>
#include <mpixx/topology.hpp>
#include <mpixx/window.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

void hang_recv_in_other_abi(int source, int tag); // hang_other_abi.cpp

namespace {

void compute(double seconds) { std::this_thread::sleep_for(std::chrono::duration<double>(seconds)); }

void print_state(const mpixx::communicator& world) {
    // One line per rank: whether the report is on, and whether any thread was ever marked.
    std::printf("hang_cases: rank %d: report %s, slots %s\n", world.rank(),
                mpixx::detail::hang_watch_on() ? "on" : "off",
                mpixx::detail::hang_state::slots.load() ? "used" : "unused");
    std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
    const std::string what = argc > 1 ? argv[1] : "";
    mpixx::environment env(argc, argv, what == "dup" ? mpixx::thread_level::multiple : mpixx::thread_level::single);
    const auto world = mpixx::world();
    const int me = world.rank(), n = world.size();
    if (what == "collective") {
        if (me == 0) {
            const double total = world.allreduce(1.0, mpixx::sum);
            std::printf("hang_cases: unexpected allreduce result %g\n", total);
        } else {
            world.barrier();
        }
        return 3; // never reached
    }
    if (what == "p2p") {
        int data[3] = {};
        world.recv(data, (me + 1) % n, 5 + me);
        return 3;
    }
    if (what == "dup") {
        const auto comm = world.dup();
        char name[] = "hang_dup";
        MPI_Comm_set_name(comm.native(), name);
        std::printf("hang_cases: rank %d: thread level %s\n", me,
                    env.provided() == mpixx::thread_level::multiple ? "multiple" : "lower");
        std::fflush(stdout);
        double x[2] = {};
        comm.recv(x, (me + 1) % n, 4);
        return 3;
    }
    if (what == "other_abi") {
        hang_recv_in_other_abi((me + 1) % n, 8 + me);
        return 3;
    }
    if (what == "wait") {
        if (me == 0) {
            int x = 0;
            auto r = world.irecv(x, n > 1 ? 1 : 0, 9);
            r.wait();
        } else {
            world.barrier();
        }
        return 3;
    }
    if (what == "fence") {
        auto win = mpixx::window<int>::allocate(world, 4);
        if (me == 0) win.fence();
        else world.barrier();
        return 3;
    }
    if (what == "halo") {
        const auto grid = mpixx::cart_create(world, {n}, {true});
        std::vector<double> u(8, 1.0); // 6 owned cells, one ghost cell each side
        mpixx::halo h(grid, u, {8}, 1);
        if (me == 0) h.exchange();
        else world.barrier();
        return 3;
    }
    if (what == "file") {
        const std::string dir = argc > 2 ? argv[2] : ".";
        mpixx::file f(world, dir + "/hang.dat", mpixx::file_mode::write | mpixx::file_mode::create);
        const int block[4] = {me, me, me, me};
        if (me == 0) f.write_at_all(0, block);
        else world.barrier();
        return 3;
    }
    if (what == "no_hang" || what == "off") {
        // Each call waits 0.3 s for rank 0, well under the 1 s timeout of the no_hang run.
        for (int round = 0; round < 3; ++round) {
            if (me == 0) compute(0.3);
            const double total = world.allreduce(1.0, mpixx::sum);
            if (total != n) return 4;
            if (me == 0) compute(0.3);
            int token = round;
            if (me == 0) {
                for (int r = 1; r < n; ++r) world.send(token, r, 1);
            } else {
                world.recv(token, 0, 1);
                if (token != round) return 5;
            }
            if (me == 0) compute(0.3);
            auto req = world.irecv(token, me == 0 ? MPI_PROC_NULL : 0, 2);
            if (me == 0)
                for (int r = 1; r < n; ++r) world.send(round, r, 2);
            req.wait();
        }
        world.barrier();
        print_state(world);
        return 0;
    }
    if (what == "late") {
        // Rank 1 blocks about 2 s with a 1 s timeout: reported at about 1 s, completed at 2 s, before the
        // grace period (1.5 s) ends, so the job goes on.
        int token = 0;
        if (me == 0) {
            compute(2.0);
            world.send(token, 1, 3);
        } else if (me == 1) {
            world.recv(token, 0, 3);
        }
        world.barrier();
        print_state(world);
        return 0;
    }
    std::fprintf(stderr, "hang_cases: unknown case '%s'\n", what.c_str());
    return 2;
}
