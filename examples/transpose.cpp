// A distributed matrix transpose in one MPI_Alltoallw, with layouts instead of packing.
//
// A is N x M = 12 x 9 with A[i][j] = 100 i + j, its rows split over the ranks in blocks
// (mpixx::block_range); B = A^T is M x N, its rows (A's columns) split the same way. Rank p sends rank q
// the part of its rows that lies in q's columns, TRANSPOSED ON THE WAY by the send layout:
//   column c of the local rows is vector_layout<double>(rows, 1, M) (one element per row, M apart),
//   resized to an extent of one double, so that instance k of a view starts one column further: a
//   view of cols_q instances at column c0_q reads the block column by column.
// Rank q receives it as a subarray layout of its rows of B: all of them, the columns A's rows came from.
// One comm.alltoallw(sends, recvs) with one view per peer; MPI moves every element from A to its place
// in B, with no intermediate buffer on either side.
//
// Check: every rank compares its rows of B with A's formula; rank 0 prints the position-weighted
// checksum sum over B of B[j][i] * (N j + i + 1) (an integer; a misplaced element changes it). Output:
//   transpose: A is 12 x 9 (rows over P ranks), B = A^T is 9 x 12 (rows over P ranks)
//   transpose: weighted checksum of B = S
//   transpose: OK (every rank's rows of B are the columns of A)
#include <fmt/format.h>
#include <mpixx/layout.hpp>
#include <mpixx/md_view.hpp>
#include <mpixx/mpixx.hpp>

#include <cstddef>
#include <vector>

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    const auto comm = mpixx::world();
    constexpr int N = 12, M = 9;
    const auto p = static_cast<std::size_t>(comm.size()), me = static_cast<std::size_t>(comm.rank());

    // My rows of A (rows x M) and my rows of B (cols x N): B's rows are A's columns.
    const auto rows = mpixx::block_range(N, p, me), cols = mpixx::block_range(M, p, me);
    std::vector<double> a(rows.size() * M), b(cols.size() * N, -1.0);
    for (std::size_t i = 0; i < rows.size(); ++i)
        for (std::size_t j = 0; j < M; ++j) a[i * M + j] = 100.0 * static_cast<double>(rows.begin + i) + static_cast<double>(j);

    // One column of my rows, resized to one element so that consecutive instances are consecutive columns.
    const mpixx::resized_layout column(mpixx::vector_layout<double>(static_cast<long long>(rows.size()), 1, M), 0,
                                       sizeof(double));
    std::vector<mpixx::layout_view<const double, mpixx::resized_layout<double>>> sends;
    std::vector<mpixx::layout_view<double, mpixx::subarray_layout<double>>> recvs;
    for (std::size_t q = 0; q < p; ++q) {
        const auto cq = mpixx::block_range(M, p, q); // q's rows of B: these columns of A
        const auto rq = mpixx::block_range(N, p, q); // q's rows of A: these columns of B
        sends.emplace_back(a.data() + cq.begin, column, cq.size());
        recvs.emplace_back(b.data(), mpixx::subarray_layout<double>({static_cast<int>(cols.size()), N},
                                                                    {static_cast<int>(cols.size()), static_cast<int>(rq.size())},
                                                                    {0, static_cast<int>(rq.begin)}));
    }
    comm.alltoallw(sends, recvs);

    // Every element of my rows of B is the element of A across the diagonal.
    long long wrong = 0;
    double checksum = 0;
    for (std::size_t j = 0; j < cols.size(); ++j)
        for (std::size_t i = 0; i < N; ++i) {
            const double want = 100.0 * static_cast<double>(i) + static_cast<double>(cols.begin + j);
            const double got = b[j * N + i];
            wrong += got != want;
            checksum += got * static_cast<double>((cols.begin + j) * N + i + 1);
        }
    wrong = comm.allreduce(wrong, mpixx::sum);
    checksum = comm.reduce(checksum, mpixx::sum, 0);
    if (comm.rank() == 0) {
        fmt::print("transpose: A is {} x {} (rows over {} ranks), B = A^T is {} x {} (rows over {} ranks)\n", N, M, p, M,
                   N, p);
        fmt::print("transpose: weighted checksum of B = {:.0f}\n", checksum);
        if (wrong == 0) fmt::print("transpose: OK (every rank's rows of B are the columns of A)\n");
        else fmt::print("transpose: MISMATCH ({} elements of B are wrong)\n", wrong);
    }
    return wrong == 0 ? 0 : 1;
}
