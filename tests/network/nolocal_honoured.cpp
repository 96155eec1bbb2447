// Proves that the network-path run really bypasses shared memory: MPICH's control variable
// MPIR_CVAR_NOLOCAL, read back through the MPI tool interface, must be 1 on every rank, and a message
// still arrives. Run by the CI's network stage (MPIR_CVAR_NOLOCAL=1 for the whole suite).
#include <mpixx/communicator.hpp>
#include <mpixx/environment.hpp>

#include <cstdio>
#include <cstring>

namespace {
/// The value of MPICH's MPIR_CVAR_NOLOCAL, or -1 when this MPI has no such variable.
int nolocal() {
    int provided = 0, n = 0, value = -1;
    if (MPI_T_init_thread(MPI_THREAD_SINGLE, &provided) != MPI_SUCCESS) return -1;
    MPI_T_cvar_get_num(&n);
    for (int i = 0; i < n; ++i) {
        char name[256], desc[1024];
        int name_len = sizeof name, desc_len = sizeof desc, verbosity = 0, bind = 0, scope = 0;
        MPI_Datatype type = MPI_DATATYPE_NULL;
        MPI_T_enum enumtype = MPI_T_ENUM_NULL;
        MPI_T_cvar_get_info(i, name, &name_len, &verbosity, &type, &enumtype, desc, &desc_len, &bind, &scope);
        if (std::strcmp(name, "MPIR_CVAR_NOLOCAL") != 0 || type != MPI_INT) continue;
        MPI_T_cvar_handle handle = MPI_T_CVAR_HANDLE_NULL;
        int count = 0;
        MPI_T_cvar_handle_alloc(i, nullptr, &handle, &count);
        MPI_T_cvar_read(handle, &value);
        MPI_T_cvar_handle_free(&handle);
    }
    MPI_T_finalize();
    return value;
}
} // namespace

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    auto comm = mpixx::world();
    const int v = nolocal();
    const int next = (comm.rank() + 1) % comm.size(), prev = (comm.rank() + comm.size() - 1) % comm.size();
    const int got = comm.sendrecv<int>(comm.rank(), next, 0, prev, 0);
    const bool ok = v == 1 && got == prev;
    const int all_ok = comm.allreduce(ok ? 1 : 0, mpixx::min);
    if (comm.rank() == 0) std::printf("MPIR_CVAR_NOLOCAL = %d on rank 0; %s\n", v, all_ok ? "honoured" : "NOT honoured");
    return all_ok ? 0 : 1;
}
