// tests/package/consumer/main.cpp - a tiny program that uses mpixx the way a downstream project would.
// A typed aggregate goes one step around the ring (sendrecv), then a ring sum: n-2 more sendrecv steps
// after which every rank holds the sum of all ranks. Rank 0 prints the line check_packaging.sh checks;
// any other rank that sees a wrong value prints a FAILED line, and every wrong rank exits non-zero.
#include <mpixx/mpixx.hpp>

#include <cstdio>

namespace {
struct token {
    int origin;
    long value;
    double weight;
};
} // namespace

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    const auto world = mpixx::world();
    const int r = world.rank(), n = world.size();
    const int right = (r + 1) % n, left = (r + n - 1) % n;

    // One step: every rank sends to its right neighbour and receives from its left one.
    token got{};
    world.sendrecv(token{r, r, r * 0.5}, right, 1, got, left, 1);
    bool ok = got.origin == left && got.value == left && got.weight == left * 0.5;

    // Ring sum: pass the last token received on to the right, adding up what arrives; after n-1 tokens
    // every rank has seen every other rank's value once.
    long sum = r;
    token carry = got;
    for (int step = 1; step < n; ++step) {
        sum += carry.value;
        if (step + 1 < n) {
            token next{};
            world.sendrecv(carry, right, 2, next, left, 2);
            carry = next;
        }
    }
    const long expected = long(n) * (n - 1) / 2;
    ok = ok && sum == expected;

    if (r == 0 || !ok)
        std::printf("mpixx consumer %s: %d rank(s), ring %s, sum %ld (expected %ld)%s\n", mpixx::version_string, n,
                    ok ? "ok" : "FAILED", sum, expected, r == 0 ? "" : " [not rank 0]");
    return ok ? 0 : 1;
}
