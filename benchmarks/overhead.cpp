// benchmarks/overhead.cpp - what mpixx's typed point-to-point costs over the C calls it wraps.
//
// Run on 2 ranks: mpiexec -n 2 overhead [--smoke] [--rounds R]. Every case is a round trip between
// ranks 0 and 1, written once with raw MPI and once with mpixx, in the same process, on the same
// communicator and buffers; ranks above 1 only join the barriers. The target is ratio <= 1.02.
// The last rows price the debugging aids: the hang report (MPIXX_HANG_TIMEOUT; target <= 1.05) and
// checked mode (MPIXX_CHECKED; informational), the latter from overhead/checked_tu.cpp, a unit built
// in checked mode whatever this one is.
#include "bench.hpp"

#include <mpixx/detail/hang_watch.hpp>

#include <cstdlib>
#include <vector>

namespace overhead_checked { // overhead/checked_tu.cpp
void setup();
void teardown();
MPI_Comm native();
void pingpong(char* buf, int n, int me);
double allreduce(double x);
} // namespace overhead_checked

namespace {

// Raw MPI's probe-sized receive: match, size the vector to the message, receive into it.
void raw_probe_recv(std::vector<char>& v, int source, MPI_Comm comm) {
    MPI_Message msg;
    MPI_Status st;
    int count = 0;
    MPI_Mprobe(source, 0, comm, &msg, &st);
    MPI_Get_count(&st, MPI_CHAR, &count);
    v.resize(static_cast<std::size_t>(count));
    MPI_Mrecv(v.data(), count, MPI_CHAR, &msg, MPI_STATUS_IGNORE);
}

} // namespace

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    const bench::options opt = bench::parse(argc, argv);
    const auto comm = mpixx::world().dup();
    if (!bench::has_two_ranks(comm, "overhead")) return 1;
    const MPI_Comm raw = comm.native();
    const int me = comm.rank();
    bench::table table(raw, opt, "overhead");

    // One round trip of `buf` between ranks 0 and 1 (ranks above 1 do nothing): raw MPI on `c`, or mpixx.
    auto raw_round_trip = [me](std::vector<char>& buf, MPI_Comm c) {
        const int n = static_cast<int>(buf.size());
        if (me == 0) {
            MPI_Send(buf.data(), n, MPI_CHAR, 1, 0, c);
            MPI_Recv(buf.data(), n, MPI_CHAR, 1, 0, c, MPI_STATUS_IGNORE);
        } else if (me == 1) {
            MPI_Recv(buf.data(), n, MPI_CHAR, 0, 0, c, MPI_STATUS_IGNORE);
            MPI_Send(buf.data(), n, MPI_CHAR, 0, 0, c);
        }
    };
    auto mpixx_round_trip = [me, &comm](std::vector<char>& buf) {
        if (me == 0) {
            comm.send(buf, 1, 0);
            comm.recv(buf, 1, 0);
        } else if (me == 1) {
            comm.recv(buf, 0, 0);
            comm.send(buf, 0, 0);
        }
    };

    // Ping-pong into the caller's buffer: MPI_Send/MPI_Recv vs comm.send/comm.recv.
    struct size_case {
        const char* name;
        int bytes, iters;
    };
    for (const auto& [name, bytes, iters] : {size_case{"ping-pong 8 B", 8, 200},
                                             size_case{"ping-pong 1 KiB", 1024, 200},
                                             size_case{"ping-pong 1 MiB", 1 << 20, 1}}) {
        std::vector<char> buf(static_cast<std::size_t>(bytes), 'x');
        auto raw_pp = [&] { raw_round_trip(buf, raw); };
        auto mpixx_pp = [&] { mpixx_round_trip(buf); };
        table.run(name, iters, raw_pp, mpixx_pp);
        // An A/A control: raw against itself. How far its ratio is from 1 is this run's noise floor.
        if (bytes == 1024) table.run("control: raw vs raw, 1 KiB", iters, raw_pp, raw_pp, bench::informational);
    }

    // Probe-sized receive of 1 KiB into a new vector each time: Mprobe + Get_count + resize + Mrecv
    // vs the value-returning comm.recv<std::vector<char>>.
    const std::vector<char> kib(1024, 'x');
    table.run(
        "probe-recv 1 KiB (new vector)", 200,
        [&] {
            std::vector<char> v;
            if (me == 0) {
                MPI_Send(kib.data(), 1024, MPI_CHAR, 1, 0, raw);
                raw_probe_recv(v, 1, raw);
            } else if (me == 1) {
                raw_probe_recv(v, 0, raw);
                MPI_Send(v.data(), static_cast<int>(v.size()), MPI_CHAR, 0, 0, raw);
            }
        },
        [&] {
            if (me == 0) {
                comm.send(kib, 1, 0);
                auto v = comm.recv<std::vector<char>>(1, 0);
            } else if (me == 1) {
                auto v = comm.recv<std::vector<char>>(0, 0);
                comm.send(v, 0, 0);
            }
        });

    // The same into a vector that is reused (no allocation): vs comm.mprobe(...).recv_resize(v).
    std::vector<char> reused;
    table.run(
        "probe-recv 1 KiB (reused vector)", 200,
        [&] {
            if (me == 0) {
                MPI_Send(kib.data(), 1024, MPI_CHAR, 1, 0, raw);
                raw_probe_recv(reused, 1, raw);
            } else if (me == 1) {
                raw_probe_recv(reused, 0, raw);
                MPI_Send(reused.data(), static_cast<int>(reused.size()), MPI_CHAR, 0, 0, raw);
            }
        },
        [&] {
            if (me == 0) {
                comm.send(kib, 1, 0);
                comm.mprobe(1, 0).recv_resize(reused);
            } else if (me == 1) {
                comm.mprobe(0, 0).recv_resize(reused);
                comm.send(reused, 0, 0);
            }
        });

    // The bare cost of a call: with proc_null MPI does almost nothing, so the difference is the wrapper's
    // own time in ns per call (checks, status copy). Informational: the ratio of nearly nothing is large.
    std::vector<char> small(8);
    table.run(
        "send to proc_null (per call)", 2000,
        [&] { MPI_Send(small.data(), 8, MPI_CHAR, MPI_PROC_NULL, 0, raw); },
        [&] { comm.send(small, mpixx::proc_null, 0); }, bench::informational);
    table.run(
        "recv from proc_null (per call)", 2000,
        [&] { MPI_Recv(small.data(), 8, MPI_CHAR, MPI_PROC_NULL, 0, raw, MPI_STATUS_IGNORE); },
        [&] { comm.recv(small, mpixx::proc_null, 0); }, bench::informational);

    // The hang report on: each blocking call marks its slot (two relaxed stores around the call). Rows
    // with the flag set here measure that cost; the watchdog thread itself wakes a few times a second.
    std::vector<char> eight(8, 'x');
    auto raw_8 = [&] { raw_round_trip(eight, raw); };
    auto mpixx_8 = [&] { mpixx_round_trip(eight); };
    auto& hang_on = mpixx::hang_v1::hang_state::on;
    const bool was_on = hang_on.load();
    hang_on.store(true);
    table.run("ping-pong 8 B, hang report on", 200, raw_8, mpixx_8, 1.05);
    hang_on.store(was_on);

    // Checked mode (informational): a signature message before each send, checked by each receive;
    // one small allgather before each collective.
    overhead_checked::setup();
    const MPI_Comm checked_raw = overhead_checked::native();
    table.run(
        "ping-pong 8 B, checked mode", 200, [&] { raw_round_trip(eight, checked_raw); },
        [&] { overhead_checked::pingpong(eight.data(), 8, me); }, bench::informational);
    double sink = 0;
    table.run(
        "allreduce 1 double, checked mode", 200,
        [&] {
            double x = 1, y = 0;
            MPI_Allreduce(&x, &y, 1, MPI_DOUBLE, MPI_SUM, checked_raw);
            sink += y;
        },
        [&] { sink += overhead_checked::allreduce(1.0); }, bench::informational);
    overhead_checked::teardown();
    if (sink < 0) std::abort(); // keeps the reductions

    table.summary();
}
