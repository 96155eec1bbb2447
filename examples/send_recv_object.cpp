// The guide's "Send and Receive": rank 0 sends a Python dict {'key': 'value', 'number': 42} to rank 1
// with the lowercase (pickle) API; both print it in Python's dict repr. A dict with fixed keys is a
// plain aggregate in C++: mpixx serializes it by reflection (no hook, no macro), the fields keep their
// static types, and printing it takes one format string. (A std::map<std::string,
// std::variant<std::string, int>> would also travel, but it needs a hand-written repr of the variant to
// print the same line, and its reader must std::get every value.) Needs 2 ranks; ranks above 1 idle.
#include <fmt/format.h>
#include <mpixx/mpixx.hpp>

#include <string>

struct record { std::string key; int number; }; // the guide's {'key': 'value', 'number': 42}
std::string repr(const record& d) { return fmt::format("{{'key': '{}', 'number': {}}}", d.key, d.number); }

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    auto comm = mpixx::world();
    if (!mpixx::require_ranks(comm, 2, "send_recv_object")) return 1;
    if (comm.rank() == 0) {
        const record data{"value", 42};
        comm.send(data, 1, 11);
        fmt::print("Rank 0 sent: {}\n", repr(data));
    } else if (comm.rank() == 1) {
        const auto data = comm.recv<record>(0, 11);
        fmt::print("Rank 1 received: {}\n", repr(data));
    }
}
