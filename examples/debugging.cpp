// The guide's "Debugging MPI Programs": "Print with Rank" and "Attach Debugger".
// mpixx::print is the guide's debug_print: it prefixes "[Rank r] ", writes the whole line at once and
// flushes, so lines of different ranks never mix. mpixx::wait_for_debugger is the compiled program's
// `pdb.set_trace()`: it does nothing unless MPIXX_DEBUG_RANK names this rank. To debug rank 0:
//   MPIXX_DEBUG_RANK=0 mpiexec -n 4 ./debugging
//   mpixx: rank 0 waiting for debugger: gdb -p 12345 (host node07)
//   $ gdb -p 12345
//   (gdb) set var mpixx_debugger_attached = 1
//   (gdb) continue
// (MPIXX_DEBUG_RANK also takes "all", "0,2" or "1-3"; MPIXX_DEBUG_TIMEOUT=S makes it go on after S s.)
#include <mpixx/mpixx.hpp>

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    auto comm = mpixx::world();
    mpixx::print("Starting computation");
    mpixx::wait_for_debugger(); // a no-op unless MPIXX_DEBUG_RANK selects this rank
    const int total = comm.allreduce(comm.rank() + 1, mpixx::sum);
    mpixx::print("Finished: total = {}", total);
}
