// tests/hang/hang_other_abi.cpp - a receive compiled with another mpixx configuration (checked mode on,
// so another ABI namespace) than hang_cases.cpp, whose environment starts the report: the report is one
// per process whatever the configuration of each translation unit (the "other_abi" case).
#include <mpixx/communicator.hpp>

void hang_recv_in_other_abi(int source, int tag) {
    int data[4] = {};
    mpixx::world().recv(data, source, tag);
}
