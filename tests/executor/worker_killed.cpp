// A worker of an mpixx::executor dies by SIGKILL in the middle of a task (tests/executor/check_worker_killed.sh
// runs it): the client, blocked waiting for that task's result, must not hang: the job ends, with the
// launcher naming the signal, within seconds.
#include <mpixx/executor.hpp>
#include <mpixx/environment.hpp>

#include <csignal>
#include <cstdio>
#include <vector>

MPIXX_REGISTER_TASK(die_on_three, [](int x) {
    if (x == 3) std::raise(SIGKILL);
    return x;
});

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    mpixx::executor ex(mpixx::world());
    if (!ex.is_client()) return 0;
    std::vector<mpixx::future<int>> fs;
    for (int i = 0; i < 8; ++i) fs.push_back(ex.submit(die_on_three, i));
    long sum = 0;
    for (auto& f : fs) sum += f.get(); // blocks on task 3: its worker is dead
    std::printf("worker_killed: the client got every result (%ld): the killed worker was not noticed\n", sum);
    return 0;
}
