// Tests of the blocking collectives (mpixx/collectives.hpp): the guide's Bcast/Scatter/Gather/Reduce/
// Allreduce patterns, value-returning and into-buffer forms, in-place forms, the v-variants with uneven
// sizes (rank r contributes r + 1 elements), reduce_scatter, scan/exscan, and the misuse errors (bad root,
// buffers of the wrong size) raised before MPI is called.
#include "mpixx_test.hpp"
#include "error_class.hpp"
#include "layout_v_blocks.hpp"

#include <mpixx/communicator.hpp>
#include <mpixx/layout.hpp>

#include <array>
#include <numeric>
#include <span>
#include <string>
#include <vector>

namespace {

struct particle {
    int id;
    double mass;
    friend bool operator==(const particle&, const particle&) = default;
};

/// 0, 1, ..., n-1
std::vector<int> iota(std::size_t n, int start = 0) {
    std::vector<int> v(n);
    std::iota(v.begin(), v.end(), start);
    return v;
}

/// Counts r + 1 for rank r, and their packed displacements.
std::vector<int> uneven_counts(int p) {
    std::vector<int> c(static_cast<std::size_t>(p));
    for (int r = 0; r < p; ++r) c[static_cast<std::size_t>(r)] = r + 1;
    return c;
}
std::vector<int> packed(const std::vector<int>& counts) {
    std::vector<int> d(counts.size());
    std::exclusive_scan(counts.begin(), counts.end(), d.begin(), 0);
    return d;
}

/// The concatenation of rank r's block "r + 1 copies of 10 * r + i" over ranks 0..p-1.
std::vector<int> uneven_block(int r) {
    std::vector<int> v(static_cast<std::size_t>(r + 1));
    for (int i = 0; i <= r; ++i) v[static_cast<std::size_t>(i)] = 10 * r + i;
    return v;
}
std::vector<int> uneven_all(int p) {
    std::vector<int> all;
    for (int r = 0; r < p; ++r) {
        auto b = uneven_block(r);
        all.insert(all.end(), b.begin(), b.end());
    }
    return all;
}

using mpixx_test::error_class_of;

} // namespace

TEST_CASE("collectives: barrier") {
    auto comm = mpixx::world().dup();
    comm.barrier();
    comm.barrier();
    SUCCEED();
}

TEST_CASE("collectives: bcast in place (the guide's Bcast), by value, sized from the root") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), r = comm.rank();
    for (int root : {0, p - 1}) {
        std::vector<int> data(4);
        if (r == root) data = {1, 2, 3, 4};
        comm.bcast(data, root);
        CHECK(data == std::vector<int>{1, 2, 3, 4});
        int n = r == root ? 42 : 0;
        comm.bcast(n, root);
        CHECK(n == 42);
        // the mpi4py spelling on a variable: `x = comm.bcast(x, root)` (in place, returns x)
        int x = r == root ? 7 : -1;
        x = comm.bcast(x, root);
        CHECK(x == 7);
        std::array<int, 2> pair{r, r};
        const auto copy = comm.bcast(pair, root);
        CHECK(copy == std::array<int, 2>{root, root});
        CHECK(pair == copy);
        // value forms
        CHECK(comm.bcast(r * 10 + 7, root) == root * 10 + 7);
        const auto v = comm.bcast(r == root ? iota(5, 3) : std::vector<int>{}, root); // sized from the root
        CHECK(v == iota(5, 3));
        const std::string s = comm.bcast(r == root ? std::string("hello from the root") : std::string(), root);
        CHECK(s == "hello from the root");
        const auto a = comm.bcast(std::array<double, 3>{double(r), 1.0, 2.0}, root);
        CHECK(a == std::array<double, 3>{double(root), 1.0, 2.0});
        CHECK(comm.bcast(particle{r, 0.5 * r}, root) == particle{root, 0.5 * root});
        // a span into a larger buffer
        std::vector<long> big(6, -1);
        if (r == root) big = {0, 1, 2, 3, 4, 5};
        comm.bcast(std::span<long>(big).subspan(1, 3), root);
        CHECK(big[1] == 1);
        CHECK(big[3] == 3);
        if (r != root) CHECK(big[4] == -1);
    }
}

TEST_CASE("collectives: scatter (the guide's Scatter), one element per rank, in place") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), r = comm.rank();
    const std::size_t P = static_cast<std::size_t>(p);
    std::vector<int> data;
    if (r == 0) data = iota(P * 4);
    std::vector<int> recvbuf(4);
    comm.scatter(data, recvbuf, 0);
    CHECK(recvbuf == iota(4, 4 * r));
    // one element each (mpi4py's lowercase scatter)
    std::vector<particle> parts;
    if (r == p - 1)
        for (int k = 0; k < p; ++k) parts.push_back({k, k * 1.5});
    CHECK(comm.scatter(parts, p - 1) == particle{r, r * 1.5});
    // in place: the root's own block stays where it is
    std::vector<int> buf = r == 0 ? iota(P * 2, 100) : std::vector<int>(2);
    comm.scatter(mpixx::in_place, buf, 0);
    if (r == 0) CHECK(buf == iota(P * 2, 100));
    else CHECK(buf == iota(2, 100 + 2 * r));
}

TEST_CASE("collectives: gather (the guide's Gather), by value, in place") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), r = comm.rank();
    const std::size_t P = static_cast<std::size_t>(p);
    std::vector<int> sendbuf(4, r);
    std::vector<int> recvbuf;
    if (r == 0) recvbuf.resize(P * 4);
    comm.gather(sendbuf, recvbuf, 0);
    if (r == 0)
        for (std::size_t i = 0; i < P * 4; ++i) CHECK(recvbuf[i] == int(i / 4));
    // by value: a vector at the root, empty elsewhere
    for (int root : {0, p - 1}) {
        auto v = comm.gather(r * r, root);
        if (r == root) {
            std::vector<int> want;
            for (int k = 0; k < p; ++k) want.push_back(k * k);
            CHECK(v == want);
        } else {
            CHECK(v.empty());
        }
        auto pv = comm.gather(particle{r, 1.0}, root);
        if (r == root) CHECK(pv.back() == particle{p - 1, 1.0});
    }
    // in place at the root
    std::vector<int> buf = r == 0 ? std::vector<int>(P * 2, -1) : std::vector<int>{r, -r};
    if (r == 0) buf[0] = 0, buf[1] = 0;
    comm.gather(mpixx::in_place, buf, 0);
    if (r == 0)
        for (int k = 0; k < p; ++k) {
            CHECK(buf[2 * std::size_t(k)] == k);
            CHECK(buf[2 * std::size_t(k) + 1] == -k);
        }
}

TEST_CASE("collectives: allgather and alltoall (into buffers, by value, in place)") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), r = comm.rank();
    const std::size_t P = static_cast<std::size_t>(p);
    auto all = comm.allgather(r + 100);
    CHECK(all == iota(P, 100));
    std::vector<double> out(P * 2);
    comm.allgather(std::array<double, 2>{double(r), -double(r)}, out);
    for (int k = 0; k < p; ++k) CHECK(out[2 * std::size_t(k) + 1] == -k);
    std::vector<int> inplace(P * 3, -1);
    for (int i = 0; i < 3; ++i) inplace[std::size_t(3 * r + i)] = r * 3 + i;
    comm.allgather(mpixx::in_place, inplace);
    CHECK(inplace == iota(P * 3));
    // alltoall: rank r sends 100 r + j to rank j
    std::vector<int> send(P);
    for (int j = 0; j < p; ++j) send[std::size_t(j)] = 100 * r + j;
    std::vector<int> want(P);
    for (int i = 0; i < p; ++i) want[std::size_t(i)] = 100 * i + r;
    CHECK(comm.alltoall(send) == want);
    std::vector<int> into(P);
    comm.alltoall(send, into);
    CHECK(into == want);
    comm.alltoall(mpixx::in_place, send);
    CHECK(send == want);
}

TEST_CASE("collectives: reduce and allreduce (the guide's Reduce/Allreduce), value, buffer, in place") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), r = comm.rank();
    const int total = p * (p + 1) / 2;
    // the guide: sendbuf [rank + 1], recvbuf at the root
    std::vector<int> sendbuf{r + 1}, recvbuf(1);
    comm.reduce(sendbuf, recvbuf, mpixx::sum, 0);
    if (r == 0) CHECK(recvbuf[0] == total);
    comm.allreduce(sendbuf, recvbuf, mpixx::sum);
    CHECK(recvbuf[0] == total);
    // value forms
    for (int root : {0, p - 1}) {
        const int at_root = comm.reduce(r + 1, mpixx::sum, root);
        CHECK(at_root == (r == root ? total : 0));
        auto vec = comm.reduce(std::vector<double>{1.0, double(r)}, mpixx::max, root);
        if (r == root) CHECK(vec == std::vector<double>{1.0, double(p - 1)});
        else CHECK(vec.empty());
    }
    CHECK(comm.allreduce(r + 1, mpixx::sum) == total);
    CHECK(comm.allreduce(std::array<int, 2>{r, 1}, mpixx::sum) == std::array<int, 2>{p * (p - 1) / 2, p});
    // in place
    std::vector<long> buf{long(r), 1};
    comm.allreduce(mpixx::in_place, buf, mpixx::sum);
    CHECK(buf == std::vector<long>{long(p * (p - 1) / 2), long(p)});
    std::vector<long> rb{long(r), 2};
    comm.reduce(mpixx::in_place, rb, mpixx::prod, p - 1);
    if (r == p - 1) CHECK(rb[1] == (1L << p));
    // spans and C arrays
    int carr[3] = {r, r, r};
    int cout_[3] = {};
    comm.allreduce(carr, cout_, mpixx::sum);
    CHECK(cout_[2] == p * (p - 1) / 2);
    auto from_span = comm.allreduce(std::span<const int>(carr), mpixx::sum);
    CHECK(from_span == std::vector<int>(3, p * (p - 1) / 2));
}

TEST_CASE("collectives: scan and exscan") {
    auto comm = mpixx::world().dup();
    const int r = comm.rank();
    CHECK(comm.scan(r + 1, mpixx::sum) == (r + 1) * (r + 2) / 2);
    const int ex = comm.exscan(r + 1, mpixx::sum);
    CHECK(ex == (r == 0 ? 0 : r * (r + 1) / 2));
    std::vector<int> in{r + 1, 1}, out(2, -7);
    comm.scan(in, out, mpixx::sum);
    CHECK(out == std::vector<int>{(r + 1) * (r + 2) / 2, r + 1});
    comm.exscan(in, out, mpixx::sum);
    if (r > 0) CHECK(out == std::vector<int>{r * (r + 1) / 2, r});
    std::vector<int> ip{r + 1, 1};
    comm.scan(mpixx::in_place, ip, mpixx::max);
    CHECK(ip == std::vector<int>{r + 1, 1});
    std::vector<int> ep{2, 2};
    comm.exscan(mpixx::in_place, ep, mpixx::prod);
    if (r > 0) CHECK(ep == std::vector<int>{1 << r, 1 << r});
    auto exv = comm.exscan(std::vector<double>{1.0, 2.0}, mpixx::sum);
    CHECK(exv == std::vector<double>{1.0 * r, 2.0 * r}); // value-initialised on rank 0
}

TEST_CASE("collectives: reduce_scatter_block and reduce_scatter with uneven counts") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), r = comm.rank();
    const std::size_t P = static_cast<std::size_t>(p);
    // block: element i of every rank's buffer is i + r; rank k receives block k (2 elements)
    std::vector<int> send(P * 2);
    for (std::size_t i = 0; i < send.size(); ++i) send[i] = int(i) + r;
    const int rsum = p * (p - 1) / 2;
    std::vector<int> want{2 * r * p + rsum, (2 * r + 1) * p + rsum};
    CHECK(comm.reduce_scatter_block(send, mpixx::sum) == want);
    std::vector<int> out(2);
    comm.reduce_scatter_block(send, out, mpixx::sum);
    CHECK(out == want);
    auto ip = send;
    comm.reduce_scatter_block(mpixx::in_place, ip, mpixx::sum);
    CHECK(std::vector<int>(ip.begin(), ip.begin() + 2) == want);
    // uneven: rank k receives k + 1 elements
    const auto counts = uneven_counts(p);
    const std::size_t total = std::size_t(p * (p + 1) / 2);
    std::vector<int> vsend(total);
    for (std::size_t i = 0; i < total; ++i) vsend[i] = int(i) * (r + 1);
    const int factor = p * (p + 1) / 2; // sum over ranks of (r + 1)
    const int first = r * (r + 1) / 2;  // this rank's first element index
    std::vector<int> vwant(std::size_t(r + 1));
    for (int i = 0; i <= r; ++i) vwant[std::size_t(i)] = (first + i) * factor;
    CHECK(comm.reduce_scatter(vsend, counts, mpixx::sum) == vwant);
    std::vector<int> vout(std::size_t(r + 1));
    comm.reduce_scatter(vsend, vout, counts, mpixx::sum);
    CHECK(vout == vwant);
    auto vip = vsend;
    comm.reduce_scatter(mpixx::in_place, vip, counts, mpixx::sum);
    CHECK(std::vector<int>(vip.begin(), vip.begin() + r + 1) == vwant);
}

TEST_CASE("collectives: gatherv, scatterv, allgatherv, alltoallv with rank r contributing r + 1 elements") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), r = comm.rank();
    const auto counts = uneven_counts(p);
    const auto displs = packed(counts);
    const auto all = uneven_all(p);
    const auto mine = uneven_block(r);
    for (int root : {0, p - 1}) {
        // value forms: counts computed by mpixx
        auto g = comm.gatherv(mine, root);
        if (r == root) CHECK(g == all);
        else CHECK(g.empty());
        // explicit counts, packed
        std::vector<int> into(r == root ? all.size() : 0);
        comm.gatherv(mine, into, counts, root);
        if (r == root) CHECK(into == all);
        // explicit counts and displacements with a gap of one element after each block
        std::vector<int> gapped_displs(counts.size());
        for (std::size_t k = 0; k < counts.size(); ++k) gapped_displs[k] = displs[k] + int(k);
        std::vector<int> gapped(r == root ? all.size() + std::size_t(p) : 0, -1);
        comm.gatherv(mine, gapped, counts, gapped_displs, root);
        if (r == root)
            for (int k = 0; k < p; ++k) {
                CHECK(gapped[std::size_t(gapped_displs[std::size_t(k)])] == 10 * k);
                CHECK(gapped[std::size_t(gapped_displs[std::size_t(k)] + k + 1)] == -1);
            }
        // scatterv: the inverse
        CHECK(comm.scatterv(r == root ? all : std::vector<int>{}, counts, root) == mine);
        std::vector<int> piece(std::size_t(r + 1));
        comm.scatterv(r == root ? all : std::vector<int>{}, counts, piece, root);
        CHECK(piece == mine);
        std::vector<int> piece2(std::size_t(r + 1));
        comm.scatterv(gapped, counts, gapped_displs, piece2, root);
        CHECK(piece2 == mine);
    }
    // allgatherv
    CHECK(comm.allgatherv(mine) == all);
    std::vector<int> ag(all.size());
    comm.allgatherv(mine, ag, counts);
    CHECK(ag == all);
    std::vector<int> agd(all.size());
    comm.allgatherv(mine, agd, counts, displs);
    CHECK(agd == all);
    std::vector<int> agi(all.size(), -1);
    std::copy(mine.begin(), mine.end(), agi.begin() + displs[std::size_t(r)]);
    comm.allgatherv(mpixx::in_place, agi, counts);
    CHECK(agi == all);
    // empty contributions are fine
    auto some = comm.allgatherv(r % 2 == 0 ? std::vector<double>{double(r)} : std::vector<double>{});
    CHECK(some.size() == std::size_t((p + 1) / 2));
    // alltoallv: rank r sends j + 1 copies of 100 r + j to rank j, receives r + 1 copies from each rank
    const std::size_t P = static_cast<std::size_t>(p);
    std::vector<int> send, sendcounts(P), recvcounts(P, r + 1);
    for (int j = 0; j < p; ++j) {
        sendcounts[std::size_t(j)] = j + 1;
        for (int c = 0; c <= j; ++c) send.push_back(100 * r + j);
    }
    std::vector<int> want;
    for (int i = 0; i < p; ++i)
        for (int c = 0; c <= r; ++c) want.push_back(100 * i + r);
    CHECK(comm.alltoallv(send, sendcounts) == want);
    std::vector<int> got(want.size());
    comm.alltoallv(send, sendcounts, got, recvcounts);
    CHECK(got == want);
    std::vector<int> got2(want.size());
    comm.alltoallv(send, sendcounts, packed(sendcounts), got2, recvcounts, packed(recvcounts));
    CHECK(got2 == want);
}

TEST_CASE("collectives: allgatherv takes layout views; counts are items of the receive buffer's datatype") {
    // The send count is the send buffer's own (items of its layout), checked by type signature against
    // counts[rank()]: a layout view sent or received was refused (MPI_ERR_COUNT) as if it had to hold
    // counts[rank()] items of the receive buffer's datatype.
    auto comm = mpixx::world().dup();
    const int p = comm.size(), r = comm.rank();
    const auto P = static_cast<std::size_t>(p);
    const mpixx_test::layout_v_blocks b(p, r);
    // plain doubles received as one item of a 3-double layout per rank
    std::vector<double> out(3 * P, -1);
    comm.allgatherv(b.mine, mpixx::layout_view(out, b.three, p), b.ones, b.items);
    CHECK(out == b.all);
    // one item of the layout sent, received as 3 doubles per rank
    std::vector<double> out2(3 * P, -1);
    comm.allgatherv(mpixx::layout_view(b.mine, b.three), out2, b.threes, b.elems);
    CHECK(out2 == b.all);
    // a block that does not carry counts[rank()] items is still refused, on every rank alike
    const mpixx::contiguous_layout<double> two(2);
    CHECK(error_class_of([&] { comm.allgatherv(mpixx::layout_view(b.mine, two), out2, b.threes, b.elems); }) ==
          MPI_ERR_COUNT);
    comm.barrier();
}

TEST_CASE("collectives: a bad root is MPI_ERR_ROOT on every rank, before MPI is called") {
    auto comm = mpixx::world().dup();
    const int p = comm.size();
    std::vector<int> buf(2);
    for (int root : {-1, p, MPI_PROC_NULL, MPI_ROOT}) {
        CHECK(error_class_of([&] { comm.bcast(buf, root); }) == MPI_ERR_ROOT);
        CHECK(error_class_of([&] { (void)comm.bcast(1, root); }) == MPI_ERR_ROOT);
        CHECK(error_class_of([&] { (void)comm.gather(1, root); }) == MPI_ERR_ROOT);
        CHECK(error_class_of([&] { comm.gather(buf, buf, root); }) == MPI_ERR_ROOT);
        CHECK(error_class_of([&] { (void)comm.scatter(buf, root); }) == MPI_ERR_ROOT);
        CHECK(error_class_of([&] { (void)comm.reduce(1, mpixx::sum, root); }) == MPI_ERR_ROOT);
        CHECK(error_class_of([&] { (void)comm.gatherv(buf, root); }) == MPI_ERR_ROOT);
        CHECK(error_class_of([&] { (void)comm.scatterv(buf, std::vector<int>(std::size_t(p), 1), root); }) ==
              MPI_ERR_ROOT);
    }
    try {
        comm.bcast(buf, p);
    } catch (const mpixx::error& e) {
        CHECK(std::string(e.what()).find("root " + std::to_string(p) + " is out of range") != std::string::npos);
        CHECK(e.routine() == "mpixx::bcast");
    }
    comm.barrier(); // nothing was left half-started
}

TEST_CASE("collectives: buffers of the wrong size are errors naming both sizes") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), r = comm.rank();
    const std::size_t P = static_cast<std::size_t>(p);
    // root-only checks: only the root calls, so no other rank is left waiting in the collective
    if (r == 0) {
        std::vector<int> small(2 * P - 1);
        try {
            comm.gather(std::vector<int>{1, 2}, small, 0);
            FAIL("no error");
        } catch (const mpixx::error& e) {
            CHECK(e.error_class() == MPI_ERR_TRUNCATE);
            const std::string what = e.what();
            CHECK(what.find(std::to_string(2 * P - 1) + " x MPI_INT") != std::string::npos);
            CHECK(what.find(std::to_string(2 * P) + " x MPI_INT") != std::string::npos);
        }
        std::vector<int> one(1);
        CHECK(error_class_of([&] { comm.reduce(std::vector<int>{1, 2}, one, mpixx::sum, 0); }) == MPI_ERR_TRUNCATE);
        CHECK(error_class_of([&] { comm.scatter(std::vector<int>(P + 1), one, 0); }) == MPI_ERR_COUNT);
        CHECK(error_class_of([&] { (void)comm.scatter(std::vector<int>(P + 1), 0); }) == MPI_ERR_COUNT);
        const auto counts = uneven_counts(p);
        std::vector<int> short_recv(std::size_t(p * (p + 1) / 2 - 1));
        CHECK(error_class_of([&] { comm.gatherv(std::vector<int>(1), short_recv, counts, 0); }) == MPI_ERR_TRUNCATE);
        std::vector<int> full(std::size_t(p * (p + 1) / 2));
#if !MPIXX_CHECKED // checked mode reports the root's own block on every rank (test_checked_counts)
        CHECK(error_class_of([&] { comm.gatherv(std::vector<int>(2), full, counts, 0); }) == MPI_ERR_COUNT);
#endif
        CHECK(error_class_of([&] { comm.gatherv(std::vector<int>(1), short_recv, std::vector<int>{1}, 0); }) ==
              (p == 1 ? MPI_ERR_TRUNCATE : MPI_ERR_COUNT));
        CHECK(error_class_of([&] { comm.scatterv(short_recv, counts, one, 0); }) == MPI_ERR_COUNT);
        std::vector<int> negative(P, 1);
        negative[P - 1] = -1;
        CHECK(error_class_of([&] { comm.gatherv(std::vector<int>(1), short_recv, negative, 0); }) == MPI_ERR_COUNT);
    }
    // checks every rank makes the same way
    std::vector<int> too_small(P - 1 + 1);
    CHECK(error_class_of([&] { comm.allgather(std::vector<int>{1, 2}, too_small); }) == MPI_ERR_TRUNCATE);
    std::vector<int> one(1);
    CHECK(error_class_of([&] { comm.allreduce(std::vector<int>{1, 2}, one, mpixx::sum); }) == MPI_ERR_TRUNCATE);
    CHECK(error_class_of([&] { comm.scan(std::vector<int>{1, 2}, one, mpixx::sum); }) == MPI_ERR_TRUNCATE);
    if (p > 1) {
        CHECK(error_class_of([&] { (void)comm.alltoall(std::vector<int>(P + 1)); }) == MPI_ERR_COUNT);
        CHECK(error_class_of([&] { (void)comm.reduce_scatter_block(std::vector<int>(P + 1), mpixx::sum); }) ==
              MPI_ERR_COUNT);
        std::vector<int> odd(P + 1);
        CHECK(error_class_of([&] { comm.allgather(mpixx::in_place, odd); }) == MPI_ERR_COUNT);
    }
    CHECK(error_class_of([&] { (void)comm.reduce_scatter(std::vector<int>(3), std::vector<int>(P, 1), mpixx::sum); }) ==
          (p == 3 ? MPI_SUCCESS : MPI_ERR_COUNT));
    CHECK(error_class_of([&] { (void)comm.allgatherv(std::vector<int>(1), one, std::vector<int>(P + 1, 1)); }) ==
          MPI_ERR_COUNT);
    comm.barrier();
}

TEST_CASE("collectives: counts above INT_MAX use the large-count calls", "[.large]") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), r = comm.rank();
    // 2^31 + 16 bytes: more elements than an int count can say; one buffer reused to bound memory.
    // (The large-count user op, MPI_Op_create_c, is tested cheaply in test_ops with MPI_Reduce_local_c.)
    const std::size_t n = (std::size_t(1) << 31) + 16;
    std::vector<unsigned char> big(n, 0);
#if MPI_VERSION < 4
    // No large-count calls: MPI_ERR_COUNT on every rank, before any data moves (the count is known everywhere).
    CHECK(mpixx_test::error_class_of([&] { comm.bcast(std::span(big), 0); }) == MPI_ERR_COUNT);
    CHECK(mpixx_test::error_class_of([&] { comm.bcast(big, 0); }) == MPI_ERR_COUNT);
    CHECK(mpixx_test::error_class_of([&] { comm.allreduce(mpixx::in_place, big, mpixx::max); }) == MPI_ERR_COUNT);
    (void)p;
    (void)r;
    return;
#endif
    if (r == 0) big.back() = 7;
    comm.bcast(big, 0); // MPI_Bcast_c
    CHECK(big.back() == 7);
    big.back() = static_cast<unsigned char>(r + 1);
    big.front() = static_cast<unsigned char>(10 * (r + 1));
    comm.allreduce(mpixx::in_place, big, mpixx::max); // MPI_Allreduce_c with MPI_MAX
    CHECK(big.back() == p);
    CHECK(big.front() == 10 * p);
}
