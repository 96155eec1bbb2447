// Tests of mpixx/file.hpp (MPI-IO): every rank writes its block, contents checked byte for byte;
// collective, individual-pointer, shared-pointer and ordered access; non-blocking forms (borrowed and
// owned buffers); views (etype offsets, a 2D block of a global array with a subarray filetype); size,
// resize, preallocate, sync, atomicity, hints; and bad input: missing file or directory, writing a
// read-only file, views that do not fit, a refused argument on one rank of a collective (the others
// complete), a failed open leaving no handle anywhere; views, seeks, sizes and atomicity MPI would refuse
// on one rank only (all ranks throw), buffers of partial etypes in collective calls, and offsets whose
// byte positions overflow MPI_Offset. PMPI counts prove no file, info, communicator or
// datatype handle leaks. Files are created in $MPIXX_TEST_DIR or the current directory (ctest runs in
// the build tree) and removed at the end of each case.
#include "mpixx_test.hpp"

#include "error_class.hpp"

#include <mpixx/communicator.hpp>
#include <mpixx/file.hpp>
#include <mpixx/layout.hpp>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <string_view>
#include <vector>

using mpixx::file;
using mpixx::file_mode;
using mpixx_test::error_class_of;

// ---- PMPI interposition: live files, infos, communicators and datatypes -----------------------------
namespace {
int live_files = 0, live_infos = 0, live_comms = 0, live_types = 0;
int counted(int rc, int& live) {
    if (rc == MPI_SUCCESS) ++live;
    return rc;
}
int uncounted(int rc, int& live) {
    if (rc == MPI_SUCCESS) --live;
    return rc;
}
} // namespace

extern "C" {
int MPI_File_open(MPI_Comm c, const char* name, int amode, MPI_Info i, MPI_File* fh) {
    return counted(PMPI_File_open(c, name, amode, i, fh), live_files);
}
int MPI_File_close(MPI_File* fh) { return uncounted(PMPI_File_close(fh), live_files); }
int MPI_Info_create(MPI_Info* i) { return counted(PMPI_Info_create(i), live_infos); }
int MPI_Info_dup(MPI_Info i, MPI_Info* o) { return counted(PMPI_Info_dup(i, o), live_infos); }
int MPI_File_get_info(MPI_File fh, MPI_Info* o) { return counted(PMPI_File_get_info(fh, o), live_infos); }
int MPI_Info_free(MPI_Info* i) { return uncounted(PMPI_Info_free(i), live_infos); }
int MPI_Comm_dup(MPI_Comm c, MPI_Comm* o) { return counted(PMPI_Comm_dup(c, o), live_comms); }
int MPI_Comm_free(MPI_Comm* c) { return uncounted(PMPI_Comm_free(c), live_comms); }
int MPI_Type_create_subarray(int n, const int* s, const int* u, const int* st, int order, MPI_Datatype old,
                             MPI_Datatype* o) {
    return counted(PMPI_Type_create_subarray(n, s, u, st, order, old, o), live_types);
}
// (Not MPI_Type_create_resized: ROMIO makes resized types through it inside set_view and collective
// calls and frees them internally. The test counts the one it makes itself.)
int MPI_Type_contiguous(int n, MPI_Datatype t, MPI_Datatype* o) {
    return counted(PMPI_Type_contiguous(n, t, o), live_types);
}
int MPI_Type_vector(int n, int b, int s, MPI_Datatype t, MPI_Datatype* o) {
    return counted(PMPI_Type_vector(n, b, s, t, o), live_types);
}
int MPI_Type_free(MPI_Datatype* t) { return uncounted(PMPI_Type_free(t), live_types); }
// set_view walks a filetype's typemap (MPI_Type_get_contents hands out new references to derived types,
// which it frees): counted, so that a leaked or doubly freed reference shows.
int MPI_Type_get_contents(MPI_Datatype t, int ni, int na, int nd, int* ints, MPI_Aint* addrs, MPI_Datatype* types) {
    const int rc = PMPI_Type_get_contents(t, ni, na, nd, ints, addrs, types);
    for (int i = 0; rc == MPI_SUCCESS && i < nd; ++i) {
        int a = 0, b = 0, c = 0, comb = MPI_COMBINER_NAMED;
        PMPI_Type_get_envelope(types[i], &a, &b, &c, &comb);
        if (comb != MPI_COMBINER_NAMED) ++live_types;
    }
    return rc;
}
}

namespace {

struct handle_counts {
    int files = live_files, infos = live_infos, comms = live_comms, types = live_types;
};

/// Checks at scope exit that every handle created in the scope was freed.
struct no_leaks {
    handle_counts before;
    ~no_leaks() {
        const handle_counts after;
        CHECK(after.files == before.files);
        CHECK(after.infos == before.infos);
        CHECK(after.comms == before.comms);
        CHECK(after.types == before.types);
    }
};

mpixx::communicator world() { return mpixx::world(); }

/// A file name for this case and world size (ctest may run the rank counts side by side).
std::string path_for(const char* tag) {
    const char* dir = std::getenv("MPIXX_TEST_DIR");
    return std::string(dir && *dir ? dir : ".") + "/mpixx_test_file_" + tag + "_n" + std::to_string(world().size()) +
           ".dat";
}

bool exists(const std::string& path) { return std::ifstream(path).good(); }

/// Rank 0 removes the file once every rank is done with it.
void remove_file(const std::string& path) {
    MPI_Barrier(MPI_COMM_WORLD);
    if (world().rank() == 0) std::remove(path.c_str());
    MPI_Barrier(MPI_COMM_WORLD);
}

/// The file's bytes, as rank 0 sees them with plain C++ I/O.
std::vector<unsigned char> bytes_of(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<unsigned char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

template <class T>
std::vector<unsigned char> bytes_of(const std::vector<T>& v) {
    std::vector<unsigned char> b(v.size() * sizeof(T));
    if (!v.empty()) std::memcpy(b.data(), v.data(), b.size());
    return b;
}

/// Whether the error names the routine and the path.
bool names(const mpixx::error& e, const std::string& routine, const std::string& path) {
    return e.routine() == routine && std::string(e.what()).find(path) != std::string::npos;
}

template <class F>
mpixx::error error_of(F&& f) {
    try {
        f();
    } catch (const mpixx::error& e) {
        return e;
    }
    return mpixx::error("none", MPI_SUCCESS, "no error thrown");
}

constexpr int block = 5;

} // namespace

TEST_CASE("file: each rank writes its block at its offset; read back byte for byte") {
    no_leaks guard;
    auto comm = world();
    const std::string path = path_for("blocks");
    const int r = comm.rank(), p = comm.size();
    std::vector<int> mine(block);
    std::iota(mine.begin(), mine.end(), 100 * r);
    {
        file f(comm, path, file_mode::write | file_mode::create);
        CHECK(f.is_open());
        CHECK(f.path() == path);
        CHECK(has(f.mode(), file_mode::write | file_mode::create));
        f.write_at(static_cast<file::offset>(r * block * sizeof(int)), mine); // no view: byte offsets
    } // collective close by every rank
    std::vector<int> expected;
    for (int q = 0; q < p; ++q)
        for (int i = 0; i < block; ++i) expected.push_back(100 * q + i);
    if (r == 0) CHECK(bytes_of(path) == bytes_of(expected));
    {
        file f(comm, path, file_mode::read);
        f.set_view<int>();
        CHECK(f.size() == static_cast<file::offset>(expected.size() * sizeof(int)));
        CHECK(f.read_at<int>(0, expected.size()) == expected);
        // A read past the end returns what there is.
        CHECK(f.read_at<int>(static_cast<file::offset>(expected.size()) - 2, 10) ==
              std::vector<int>(expected.end() - 2, expected.end()));
        CHECK(f.read_at<int>(static_cast<file::offset>(expected.size()) + 3, 4).empty());
        // Collective reads past the end too (MPI's status would claim the count requested).
        CHECK(f.read_at_all<int>(static_cast<file::offset>(expected.size()) - 2, 10) ==
              std::vector<int>(expected.end() - 2, expected.end()));
        std::vector<int> past(4, -7);
        CHECK(f.read_at_all(static_cast<file::offset>(expected.size()) - 1, past) == 1u);
        CHECK(past == std::vector<int>{expected.back(), -7, -7, -7});
        auto nb = f.iread_at<int>(static_cast<file::offset>(expected.size()) - 1, 3);
        CHECK(nb.wait() == std::vector<int>{expected.back()});
        f.seek(static_cast<file::offset>(expected.size()) - 3);
        CHECK(f.read_all<int>(5) == std::vector<int>(expected.end() - 3, expected.end()));
        std::vector<int> into(block, -1);
        CHECK(f.read_at(r * block, into) == static_cast<std::size_t>(block));
        CHECK(into == mine);
        int one = -1;
        CHECK(f.read_at(r * block + 1, one) == 1u);
        CHECK(one == 100 * r + 1);
        std::vector<int> all(expected.size());
        CHECK(f.read_at_all(0, std::span<int>(all)) == expected.size());
        CHECK(all == expected);
        CHECK(f.read_at_all<int>(r * block, block) == mine);
    }
    remove_file(path);
}

TEST_CASE("file: collective writes in etype units after a displacement; byte_offset") {
    no_leaks guard;
    auto comm = world();
    const std::string path = path_for("etype");
    const int r = comm.rank(), p = comm.size();
    const std::vector<double> mine(3, 1.5 + r);
    {
        file f(comm, path, file_mode::read_write | file_mode::create);
        f.set_view<double>(16); // a 16-byte header, then doubles
        CHECK(f.byte_offset(2) == 16 + 2 * 8);
        f.write_at_all(3 * r, mine);
        f.sync(); // MPI's sync-barrier-sync: every rank's writes are then visible to every rank
        comm.barrier();
        f.sync();
        CHECK(f.size() == 16 + 3 * 8 * p);
        CHECK(f.read_at_all<double>(3 * ((r + 1) % p), 3) == std::vector<double>(3, 1.5 + (r + 1) % p));
        f.set_view<char>(0);
        if (r == 0) f.write_at(0, std::string_view("mpixx file header").substr(0, 16));
    }
    if (r == 0) {
        const auto b = bytes_of(path);
        CHECK(b.size() == static_cast<std::size_t>(16 + 3 * 8 * p));
        CHECK(std::string(b.begin(), b.begin() + 16) == "mpixx file heade");
        std::vector<double> all;
        for (int q = 0; q < p; ++q) all.insert(all.end(), 3, 1.5 + q);
        CHECK(std::vector<unsigned char>(b.begin() + 16, b.end()) == bytes_of(all));
    }
    remove_file(path);
}

TEST_CASE("file: individual file pointers: seek, write, read, position") {
    no_leaks guard;
    auto comm = world();
    const std::string path = path_for("pointer");
    const int r = comm.rank(), p = comm.size();
    {
        file f(comm, path, file_mode::read_write | file_mode::create);
        f.set_view<int>();
        CHECK(f.position() == 0);
        f.seek(2 * r);
        f.write(std::vector<int>{r, -r});
        CHECK(f.position() == 2 * r + 2);
        f.seek(-2, mpixx::seek_from::current);
        CHECK(f.position() == 2 * r);
        CHECK(f.read<int>(2) == std::vector<int>{r, -r});
        comm.barrier();
        f.sync(); // every rank's writes visible to every rank (sync-barrier-sync)
        comm.barrier();
        f.sync();
        f.seek(0);
        std::vector<int> all(static_cast<std::size_t>(2 * p));
        CHECK(f.read_all(all) == all.size());
        for (int q = 0; q < p; ++q) {
            CHECK(all[static_cast<std::size_t>(2 * q)] == q);
            CHECK(all[static_cast<std::size_t>(2 * q + 1)] == -q);
        }
        CHECK(f.read<int>(5).empty()); // at the end of the file
        f.seek(-1, mpixx::seek_from::end);
        CHECK(f.read<int>(5) == std::vector<int>{-(p - 1)});
        f.sync(); // other ranks may still be reading what this rank overwrites next (sync-barrier-sync)
        comm.barrier();
        f.sync();
        f.seek(2 * r);
        f.write_all(std::vector<int>{10 * r, 10 * r + 1});
        f.seek(2 * r);
        CHECK(f.read_all<int>(2) == std::vector<int>{10 * r, 10 * r + 1});
    }
    remove_file(path);
}

TEST_CASE("file: shared file pointer: write_ordered in rank order, write_shared once each") {
    no_leaks guard;
    auto comm = world();
    const std::string path = path_for("shared");
    const int r = comm.rank(), p = comm.size();
    // Rank r contributes r + 1 copies of r: ordered, the file is 0 1 1 2 2 2 ...
    const std::vector<int> mine(static_cast<std::size_t>(r + 1), r);
    std::vector<int> expected;
    for (int q = 0; q < p; ++q) expected.insert(expected.end(), static_cast<std::size_t>(q + 1), q);
    {
        file f(comm, path, file_mode::read_write | file_mode::create);
        f.set_view<int>();
        f.write_ordered(mine);
        CHECK(f.position_shared() == static_cast<file::offset>(expected.size()));
        comm.barrier(); // before seek_shared moves the pointer that other ranks may still be reading
        f.seek_shared(0);
        CHECK(f.read_ordered<int>(mine.size()) == mine);
        f.seek_shared(0);
        // Past the end: rank p-1's part is cut to what the file holds.
        CHECK(f.read_ordered<int>(mine.size() + (r == p - 1 ? 4u : 0u)) == mine);
        f.seek_shared(0);
        std::vector<int> back(mine.size());
        CHECK(f.read_ordered(back) == mine.size());
        CHECK(back == mine);
    }
    if (r == 0) CHECK(bytes_of(path) == bytes_of(expected));
    {
        // write_shared: each rank appends one record of 2 ints, in an order MPI chooses.
        file f(comm, path, file_mode::read_write);
        f.set_view<int>();
        f.seek_shared(0, mpixx::seek_from::end);
        f.write_shared(std::vector<int>{r, r * r});
        comm.barrier();
        f.sync();
        comm.barrier();
        f.sync();
        CHECK(f.position_shared() == static_cast<file::offset>(expected.size() + 2u * p));
        comm.barrier();
        std::vector<int> seen;
        for (int q = 0; q < p; ++q) {
            auto rec = f.read_at<int>(static_cast<file::offset>(expected.size()) + 2 * q, 2);
            REQUIRE(rec.size() == 2u);
            CHECK(rec[1] == rec[0] * rec[0]);
            seen.push_back(rec[0]);
        }
        std::sort(seen.begin(), seen.end());
        std::vector<int> ranks(static_cast<std::size_t>(p));
        std::iota(ranks.begin(), ranks.end(), 0);
        CHECK(seen == ranks);
        f.seek_shared(0);
        if (r == 0) CHECK(f.read_shared<int>(1) == std::vector<int>{0});
        comm.barrier();
        int one = -1;
        if (r == 0) CHECK(f.read_shared(one) == 1u);
        if (r == 0) CHECK(one == f.read_at<int>(1, 1).at(0));
    }
    remove_file(path);
}

TEST_CASE("file: non-blocking access, borrowed and owned buffers") {
    no_leaks guard;
    auto comm = world();
    const std::string path = path_for("nonblocking");
    const int r = comm.rank(), p = comm.size();
    std::vector<int> mine(block, r);
    std::vector<int> expected;
    for (int q = 0; q < p; ++q) expected.insert(expected.end(), block, q);
    {
        file f(comm, path, file_mode::read_write | file_mode::create);
        f.set_view<int>();
        {
            auto w = f.iwrite_at(r * block, mine); // borrowed lvalue: request<>
            static_assert(std::is_same_v<decltype(w), mpixx::request<>>);
            w.wait();
        }
        {
            auto w = f.iwrite_at(static_cast<file::offset>(p * block) + r, std::vector<int>{7 * r}); // owned
            static_assert(std::is_same_v<decltype(w), mpixx::request<std::vector<int>>>);
            CHECK(w.wait() == std::vector<int>{7 * r});
        }
        {
            auto w = f.iwrite_at_all(r * block, std::span<const int>(mine)); // borrowed range
            w.wait();
        }
        comm.barrier();
        f.sync();
        comm.barrier();
        f.sync();
        auto a = f.iread_at<int>(0, expected.size()); // request<std::vector<int>>
        CHECK(a.wait() == expected);
        std::vector<int> into(block);
        auto b = f.iread_at(r * block, into); // borrowed
        b.wait();
        CHECK(b.status().count<int>() == static_cast<std::size_t>(block));
        CHECK(into == mine);
        auto c = f.iread_at(r * block, std::vector<int>(2)); // owned temporary, handed back
        CHECK(c.wait() == std::vector<int>{r, r});
        auto d = f.iread_at_all<int>(static_cast<file::offset>(p * block), static_cast<std::size_t>(p) + 3);
        std::vector<int> tail(static_cast<std::size_t>(p));
        for (int q = 0; q < p; ++q) tail[static_cast<std::size_t>(q)] = 7 * q;
        CHECK(d.wait() == tail); // cut to what the file holds
        std::vector<int> span_into(block);
        auto e = f.iread_at_all(r * block, std::span<int>(span_into));
        e.wait();
        CHECK(span_into == mine);
        f.seek(r * block);
        auto g = f.iread<int>(block);
        CHECK(g.wait() == mine);
        comm.barrier(); // every rank has read the whole file (`a`) before rank 0 rewrites its block
        f.seek(r * block);
        auto h = f.iwrite(std::vector<int>(block, r + 50));
        (void)h.wait();
        f.seek(r * block);
        std::vector<int> got(block);
        auto i = f.iread(got);
        i.wait();
        CHECK(got == std::vector<int>(block, r + 50));
        f.seek(r * block);
        auto j = f.iwrite_all(mine);
        j.wait();
        f.seek(r * block);
        std::vector<int> got_all(block);
        auto k = f.iread_all(got_all);
        k.wait();
        CHECK(got_all == mine);
        // The shared pointer: one record each, somewhere after the data.
        f.seek_shared(0, mpixx::seek_from::end);
        auto s = f.iwrite_shared(std::vector<int>{1000 + r});
        (void)s.wait();
        comm.barrier();
        f.sync();
        comm.barrier();
        f.sync();
        CHECK(f.size() == static_cast<file::offset>((p * block + 2 * p) * sizeof(int)));
        // A request dropped without wait() completes in its destructor, before the buffer goes.
        {
            std::vector<int> late(block);
            auto dropped = f.iread_at(r * block, late);
        }
    }
    remove_file(path);
}

TEST_CASE("file: size, resize, preallocate, atomicity, hints, delete_on_close, move") {
    no_leaks guard;
    auto comm = world();
    const std::string path = path_for("size");
    {
        file f(comm, path, file_mode::read_write | file_mode::create, mpixx::info{{"access_style", "read_mostly"}});
        // (A barrier after each check: a faster rank's next resize must not change what this one sees.)
        CHECK(f.size() == 0);
        comm.barrier();
        f.resize(1000);
        CHECK(f.size() == 1000);
        comm.barrier();
        f.resize(10);
        CHECK(f.size() == 10);
        comm.barrier();
        f.preallocate(100);
        CHECK(f.size() >= 100);
        CHECK_FALSE(f.atomicity());
        f.set_atomicity(true);
        CHECK(f.atomicity());
        f.set_atomicity(false);
        f.set_info(mpixx::info{{"access_style", "write_once"}});
        mpixx::info used = f.get_info(); // a new handle, freed with `used`
        (void)used.size();
        file g = std::move(f);
        CHECK_FALSE(f.is_open());
        CHECK(g.is_open());
        CHECK(g.path() == path);
        f = std::move(g);
        CHECK(f.is_open());
        f.close();
        CHECK_FALSE(f.is_open());
        f.close(); // closing a closed file does nothing
    }
    comm.barrier();
    CHECK(exists(path));
    {
        file f(comm, path, file_mode::read_write | file_mode::delete_on_close);
        f.write_at(0, 42);
    }
    comm.barrier();
    CHECK_FALSE(exists(path)); // deleted when closed
    comm.barrier();            // every rank has looked before rank 0 creates the file again
    if (comm.rank() == 0) {
        { std::ofstream(path) << "x"; }
        file::delete_file(path);
        CHECK_FALSE(exists(path));
    }
    comm.barrier();
}

TEST_CASE("file: a 2D block of a global array, written with one collective call through a subarray view") {
    no_leaks guard;
    auto comm = world();
    const std::string path = path_for("subarray");
    const int r = comm.rank(), p = comm.size();
    int dims[2] = {0, 0};
    MPI_Dims_create(p, 2, dims);
    const int by = 3, bx = 4;                   // each rank's block
    const int gy = dims[0] * by, gx = dims[1] * bx; // the global array
    const int py = r / dims[1], px = r % dims[1];
    std::vector<int> local(static_cast<std::size_t>(by * bx));
    for (int y = 0; y < by; ++y)
        for (int x = 0; x < bx; ++x) local[static_cast<std::size_t>(y * bx + x)] = (py * by + y) * gx + (px * bx + x);
    {
        int sizes[2] = {gy, gx}, subs[2] = {by, bx}, starts[2] = {py * by, px * bx};
        MPI_Datatype sub = MPI_DATATYPE_NULL;
        MPI_Type_create_subarray(2, sizes, subs, starts, MPI_ORDER_C, MPI_INT, &sub);
        MPI_Type_commit(&sub);
        file f(comm, path, file_mode::write | file_mode::create);
        f.set_view(0, MPI_INT, sub);
        f.write_all(local); // one MPI_File_write_all
        MPI_Type_free(&sub);
    }
    if (r == 0) {
        std::vector<int> global(static_cast<std::size_t>(gy * gx));
        std::iota(global.begin(), global.end(), 0);
        CHECK(bytes_of(path) == bytes_of(global));
    }
    remove_file(path);
}

TEST_CASE("file: bad input - missing file, missing directory, read-only, write-only, bad modes") {
    no_leaks guard;
    auto comm = world();
    const std::string missing = path_for("does_not_exist");
    std::remove(missing.c_str());
    comm.barrier();
    {
        const auto e = error_of([&] { file f(comm, missing, file_mode::read); });
        CHECK(names(e, "MPI_File_open", missing));
        CHECK(e.error_class() != MPI_SUCCESS);
        CHECK((e.error_class() == MPI_ERR_NO_SUCH_FILE || e.error_class() == MPI_ERR_FILE ||
               e.error_class() == MPI_ERR_IO));
    }
    {
        const std::string nodir = "./mpixx_no_such_directory/x.dat";
        const auto e = error_of([&] { file f(comm, nodir, file_mode::write | file_mode::create); });
        CHECK(names(e, "MPI_File_open", nodir));
        CHECK(e.error_class() != MPI_SUCCESS);
    }
    {
        const auto e = error_of([&] { file::delete_file(missing); });
        CHECK(names(e, "MPI_File_delete", missing));
    }
    const std::string path = path_for("readonly");
    {
        file f(comm, path, file_mode::write | file_mode::create);
        f.write_at(0, std::vector<int>{1, 2, 3});
        // Reading a write-only file is refused before MPI sees it.
        std::vector<int> v(3);
        const auto e = error_of([&] { (void)f.read_at(0, v); });
        CHECK(names(e, "MPI_File_read_at", path));
        CHECK(e.error_class() == MPI_ERR_ACCESS);
    }
    {
        file f(comm, path, file_mode::read);
        const std::vector<int> v{9};
        auto e = error_of([&] { f.write_at(0, v); });
        CHECK(names(e, "MPI_File_write_at", path));
        CHECK(e.error_class() == MPI_ERR_READ_ONLY);
        e = error_of([&] { f.write_at_all(0, v); }); // collective, refused on every rank alike
        CHECK(names(e, "MPI_File_write_at_all", path));
        CHECK(error_class_of([&] { (void)f.iwrite_at(0, std::vector<int>{1}); }) == MPI_ERR_READ_ONLY);
        CHECK(error_class_of([&] { f.write_ordered(v); }) == MPI_ERR_READ_ONLY);
        CHECK(f.read_at<int>(0, 3) == std::vector<int>{1, 2, 3}); // still usable
    }
    {
        // Exclusive creation of an existing file fails on every rank; no handle is left anywhere.
        const auto e = error_of([&] { file f(comm, path, file_mode::write | file_mode::create | file_mode::exclusive); });
        CHECK(names(e, "MPI_File_open", path));
        CHECK(e.error_class() != MPI_SUCCESS);
    }
    // Modes MPI forbids are refused before MPI sees them.
    CHECK(error_class_of([&] { file f(comm, path, file_mode::read | file_mode::write); }) == MPI_ERR_AMODE);
    CHECK(error_class_of([&] { file f(comm, path, file_mode::read | file_mode::create); }) == MPI_ERR_AMODE);
    CHECK(error_class_of([&] { file f(comm, path, file_mode::create); }) == MPI_ERR_AMODE);
    CHECK(error_class_of([&] {
              file f(comm, path, file_mode::read_write | file_mode::sequential);
          }) == MPI_ERR_AMODE);
    // A closed (or default) file refuses every call.
    file closed;
    auto e = error_of([&] { closed.write_at(0, 1); });
    CHECK(e.error_class() == MPI_ERR_FILE);
    CHECK(e.routine() == "MPI_File_write_at");
    CHECK(error_class_of([&] { (void)closed.size(); }) == MPI_ERR_FILE);
    CHECK(error_class_of([&] { closed.set_view<int>(); }) == MPI_ERR_FILE);
    CHECK(error_class_of([&] { closed.resize(4); }) == MPI_ERR_FILE);
    remove_file(path);
}

TEST_CASE("file: every rank must name the same file; a failed open leaves no handle on any rank") {
    no_leaks guard;
    auto comm = world();
    if (comm.size() < 2) return;
    const std::string path = path_for(comm.rank() == 0 ? "name_a" : "name_b");
    const auto e = error_of([&] { file f(comm, path, file_mode::write | file_mode::create); });
    CHECK(e.error_class() == MPI_ERR_NOT_SAME);
    CHECK(names(e, "MPI_File_open", path));
    CHECK_FALSE(exists(path)); // refused before MPI created anything
    const auto m = error_of([&] {
        file f(comm, path_for("mode"), comm.rank() == 0 ? file_mode::write | file_mode::create : file_mode::read_write | file_mode::create);
    });
    CHECK(m.error_class() == MPI_ERR_NOT_SAME);
}

TEST_CASE("file: views that do not fit are refused on every rank, before MPI sees them") {
    no_leaks guard;
    auto comm = world();
    const std::string path = path_for("badview");
    const int r = comm.rank(), p = comm.size();
    {
        file f(comm, path, file_mode::read_write | file_mode::create);
        // A filetype whose extent (6 bytes) is not a multiple of the etype's (int: 4).
        MPI_Datatype odd = MPI_DATATYPE_NULL;
        MPI_Type_create_resized(MPI_INT, 0, 6, &odd);
        ++live_types; // freed by MPI_Type_free below (counted)
        MPI_Type_commit(&odd);
        auto e = error_of([&] { f.set_view(0, MPI_INT, odd); });
        CHECK(names(e, "mpixx::file::set_view", path));
        CHECK(e.error_class() == MPI_ERR_TYPE);
        CHECK(std::string(e.what()).find("extent") != std::string::npos);
        // A filetype of 3 chars holds no whole int.
        MPI_Datatype three = MPI_DATATYPE_NULL;
        MPI_Type_contiguous(3, MPI_CHAR, &three);
        MPI_Type_commit(&three);
        e = error_of([&] { f.set_view(0, MPI_INT, three); });
        CHECK(e.error_class() == MPI_ERR_TYPE);
        CHECK(error_class_of([&] { f.set_view<int>(-8); }) == MPI_ERR_ARG);
        CHECK(error_class_of([&] { f.set_view(0, MPI_DOUBLE, MPI_INT); }) == MPI_ERR_TYPE); // an int is no double
        // Refused on one rank only: the others learn it and throw too (no rank hangs in MPI).
        e = error_of([&] { f.set_view(0, MPI_INT, r == p - 1 ? odd : MPI_INT); });
        CHECK(e.error_class() == MPI_ERR_TYPE);
        if (r != p - 1) CHECK(std::string(e.what()).find("another process") != std::string::npos);
        MPI_Type_free(&odd);
        MPI_Type_free(&three);
        // The file is still usable with a good view.
        f.set_view<int>();
        f.write_at(r, r);
    }
    remove_file(path);
}

TEST_CASE("file: a refused argument on one rank of a collective call: that rank throws, the others complete") {
    no_leaks guard;
    auto comm = world();
    const std::string path = path_for("refused");
    const int r = comm.rank(), p = comm.size();
    const bool bad = r == p - 1;
    {
        file f(comm, path, file_mode::read_write | file_mode::create);
        f.set_view<int>();
        const std::vector<int> v{r};
        const auto e = error_of([&] { f.write_at_all(bad ? -1 : r, v); });
        if (bad) {
            CHECK(names(e, "MPI_File_write_at_all", path));
            CHECK(e.error_class() == MPI_ERR_ARG);
        } else {
            CHECK(e.error_class() == MPI_SUCCESS);
        }
        f.sync(); // the other ranks' writes visible (sync-barrier-sync)
        comm.barrier();
        f.sync();
        std::vector<int> back(1, -1);
        const auto e2 = error_of([&] { (void)f.read_at_all(bad ? -5 : r, back); });
        CHECK(e2.error_class() == (bad ? MPI_ERR_ARG : MPI_SUCCESS));
        if (!bad) CHECK(back[0] == r);
        const auto e3 = error_of([&] {
            auto q = f.iwrite_at_all(bad ? -1 : r, v);
            q.wait();
        });
        CHECK(e3.error_class() == (bad ? MPI_ERR_ARG : MPI_SUCCESS));
        CHECK(error_class_of([&] { (void)f.read_at<int>(-1, 1); }) == MPI_ERR_ARG);
        CHECK(error_class_of([&] { f.resize(-1); }) == MPI_ERR_ARG);
    }
    remove_file(path);
}

TEST_CASE("file: layouts - a subarray view of the global array, a ghosted local block as the buffer") {
    no_leaks guard;
    auto comm = world();
    const std::string path = path_for("layout");
    const int r = comm.rank(), p = comm.size();
    int dims[2] = {0, 0};
    MPI_Dims_create(p, 2, dims);
    const int by = 2, bx = 3, g = 1;                 // block and ghost width
    const int gy = dims[0] * by, gx = dims[1] * bx;  // global array
    const int py = r / dims[1], px = r % dims[1];
    const int ly = by + 2 * g, lx = bx + 2 * g;      // local array with ghosts
    std::vector<int> local(static_cast<std::size_t>(ly * lx), -1);
    for (int y = 0; y < by; ++y)
        for (int x = 0; x < bx; ++x)
            local[static_cast<std::size_t>((y + g) * lx + x + g)] = (py * by + y) * gx + (px * bx + x);
    const mpixx::subarray_layout<int> interior({ly, lx}, {by, bx}, {g, g});
    const mpixx::subarray_layout<int> in_file({gy, gx}, {by, bx}, {py * by, px * bx});
    {
        file f(comm, path, file_mode::read_write | file_mode::create);
        f.set_view<int>(0, in_file);
        f.write_all(mpixx::layout_view(local.data(), interior)); // one MPI_File_write_all, no packing
        f.sync();
        comm.barrier();
        f.sync();
        // Read the block back into a fresh ghosted array: the ghosts stay untouched.
        std::vector<int> back(local.size(), -1);
        f.seek(0);
        CHECK(f.read_all(mpixx::layout_view(back.data(), interior)) == 1u); // one instance of the layout
        CHECK(back == local);
        // Explicit offsets count etypes of the view: element 1 of this rank's block.
        CHECK(f.read_at<int>(1, 1) == std::vector<int>{local[static_cast<std::size_t>(g * lx + g + 1)]});
        CHECK(f.size() == static_cast<file::offset>(gy * gx * sizeof(int)));
        // A layout that does not fit the etype is refused: a row of 3 ints seen as doubles.
        const mpixx::subarray_layout<int> odd({gy, gx}, {1, 3}, {0, 0});
        CHECK(error_class_of([&] { f.set_view<double>(0, odd); }) == MPI_ERR_TYPE);
    }
    if (r == 0) {
        std::vector<int> global(static_cast<std::size_t>(gy * gx));
        std::iota(global.begin(), global.end(), 0);
        CHECK(bytes_of(path) == bytes_of(global));
    }
    remove_file(path);
}

namespace {
/// A committed indexed filetype of ints at the given element displacements (one int each).
MPI_Datatype ints_at(std::initializer_list<int> at) {
    std::vector<int> lens(at.size(), 1), disps(at);
    MPI_Datatype t = MPI_DATATYPE_NULL;
    MPI_Type_indexed(static_cast<int>(lens.size()), lens.data(), disps.data(), MPI_INT, &t);
    ++live_types; // MPI_Type_indexed is not counted; MPI_Type_free is
    MPI_Type_commit(&t);
    return t;
}
} // namespace

TEST_CASE("file: views MPI refuses on one rank only (decreasing or overlapping filetype, datarep) throw everywhere") {
    no_leaks guard;
    auto comm = world();
    const std::string path = path_for("view1rank");
    const int r = comm.rank(), p = comm.size();
    const bool last = r == p - 1;
    {
        file f(comm, path, file_mode::read_write | file_mode::create);
        // Element 1, then element 0: MPI requires nondecreasing displacements (ROMIO checks each rank alone).
        MPI_Datatype dec = ints_at({1, 0});
        auto e = error_of([&] { f.set_view(0, MPI_INT, dec); });
        CHECK(names(e, "mpixx::file::set_view", path));
        CHECK(e.error_class() == MPI_ERR_TYPE);
        CHECK(std::string(e.what()).find("decrease") != std::string::npos);
        e = error_of([&] { f.set_view(0, MPI_INT, last ? dec : MPI_INT); });
        CHECK(e.error_class() == MPI_ERR_TYPE);
        if (!last) CHECK(std::string(e.what()).find("another process") != std::string::npos);
        // Nested: a vector whose blocks go backwards (negative stride), a struct of two such blocks.
        MPI_Datatype back = MPI_DATATYPE_NULL, pair = MPI_DATATYPE_NULL;
        MPI_Type_vector(2, 1, -1, MPI_INT, &back);
        MPI_Type_commit(&back);
        CHECK(error_class_of([&] { f.set_view(0, MPI_INT, last ? back : MPI_INT); }) == MPI_ERR_TYPE);
        int lens[2] = {1, 1};
        MPI_Aint at[2] = {8, 0};
        MPI_Datatype types[2] = {MPI_INT, MPI_INT};
        MPI_Type_create_struct(2, lens, at, types, &pair);
        ++live_types;
        MPI_Type_commit(&pair);
        CHECK(error_class_of([&] { f.set_view(0, MPI_INT, pair); }) == MPI_ERR_TYPE);
        // Overlapping elements (0 and 0) in a writable file: refused; the same view of a read-only file is not.
        MPI_Datatype twice = ints_at({0, 0});
        e = error_of([&] { f.set_view(0, MPI_INT, twice); });
        CHECK(e.error_class() == MPI_ERR_TYPE);
        CHECK(std::string(e.what()).find("overlapping") != std::string::npos);
        // Nondecreasing types are accepted: gaps, a vector of a contiguous type, an indexed type of
        // vectors (get_contents' references to them freed: no_leaks).
        MPI_Datatype gaps = ints_at({0, 2, 2 + p, 3 + 2 * p}), two = MPI_DATATYPE_NULL, rows = MPI_DATATYPE_NULL;
        f.set_view(0, MPI_INT, gaps);
        MPI_Type_contiguous(2, MPI_INT, &two);
        MPI_Type_vector(3, 1, 2, two, &rows);
        MPI_Type_commit(&rows);
        f.set_view(0, MPI_INT, rows);
        int blens[2] = {1, 2}, bdisps[2] = {0, 6};
        MPI_Datatype idx = MPI_DATATYPE_NULL;
        MPI_Type_indexed(2, blens, bdisps, two, &idx);
        ++live_types;
        MPI_Type_commit(&idx);
        f.set_view(0, MPI_INT, idx);
        // The ranks must pass the same data representation and etype extent.
        if (p > 1) {
            e = error_of([&] { f.set_view<int>(0, last ? "external32" : "native"); });
            CHECK(e.error_class() == MPI_ERR_NOT_SAME);
            CHECK(names(e, "mpixx::file::set_view", path));
            CHECK(error_class_of([&] {
                      if (last) f.set_view<double>();
                      else f.set_view<int>();
                  }) == MPI_ERR_NOT_SAME);
        }
        // MPI_DISPLACEMENT_CURRENT is for sequential files only.
        CHECK(error_class_of([&] { f.set_view<int>(MPI_DISPLACEMENT_CURRENT); }) == MPI_ERR_ARG);
        // Still usable: every rank set the same (good) view.
        f.set_view<int>();
        f.write_at_all(r, r + 1);
        f.sync();
        comm.barrier();
        f.sync();
        CHECK(f.read_at<int>(0, static_cast<std::size_t>(p)).size() == static_cast<std::size_t>(p));
        for (MPI_Datatype* t : {&dec, &back, &pair, &gaps, &two, &rows, &idx}) MPI_Type_free(t);
        f.close();
        file ro(comm, path, file_mode::read);
#ifdef OPEN_MPI
        // OMPIO refuses overlapping regions in any view (on each rank alone): so does mpixx, on every rank.
        CHECK(error_class_of([&] { ro.set_view(0, MPI_INT, r == 0 ? twice : MPI_INT); }) == MPI_ERR_TYPE);
#else
        ro.set_view(0, MPI_INT, twice); // overlapping regions may be read (ROMIO)
        CHECK(ro.read_at<int>(0, 2) == std::vector<int>{1, 1});
#endif
        MPI_Type_free(&twice);
    }
    remove_file(path);
}

TEST_CASE("file: a collective call whose buffer is not a whole number of etypes on one rank: that rank throws") {
    no_leaks guard;
    auto comm = world();
    const std::string path = path_for("partial");
    const int r = comm.rank(), p = comm.size();
    const bool bad = r == p - 1;
    {
        file f(comm, path, file_mode::read_write | file_mode::create);
        f.set_view<int>();
        f.write_at_all(r, r + 10);
        f.sync();
        comm.barrier();
        f.sync();
        std::vector<char> three(3);
        std::vector<int> one(1, -1);
        auto e = error_of([&] {
            if (bad) (void)f.read_at_all(0, three);
            else (void)f.read_at_all(r, one);
        });
        if (bad) {
            CHECK(names(e, "MPI_File_read_at_all", path));
            CHECK(e.error_class() == MPI_ERR_TYPE);
            CHECK(std::string(e.what()).find("etype") != std::string::npos);
        } else {
            CHECK(e.error_class() == MPI_SUCCESS);
            CHECK(one[0] == r + 10);
        }
        CHECK(error_class_of([&] {
                  if (bad) f.write_all(three);
                  else f.write_all(one);
              }) == (bad ? MPI_ERR_TYPE : MPI_SUCCESS));
        CHECK(error_class_of([&] {
                  auto q = bad ? f.iread_at_all(0, three) : f.iread_at_all(r, one);
                  q.wait();
              }) == (bad ? MPI_ERR_TYPE : MPI_SUCCESS));
        CHECK(error_class_of([&] {
                  if (bad) f.write_ordered(three);
                  else f.write_ordered(one);
              }) == (bad ? MPI_ERR_TYPE : MPI_SUCCESS));
        // Partial elements adding up to whole etypes are fine: two shorts are one int.
        std::vector<short> shorts(2, 0);
        CHECK(f.read_at_all(r, shorts) == 2u);
    }
    remove_file(path);
}

TEST_CASE("file: seek_shared, resize, preallocate, set_atomicity with different arguments throw on every rank") {
    no_leaks guard;
    auto comm = world();
    const std::string path = path_for("notsame");
    const int r = comm.rank(), p = comm.size();
    {
        file f(comm, path, file_mode::read_write | file_mode::create);
        f.set_view<int>();
        if (p > 1) {
            auto e = error_of([&] { f.seek_shared(10 * r); });
            CHECK(names(e, "mpixx::file::seek_shared", path));
            CHECK(e.error_class() == MPI_ERR_NOT_SAME);
            CHECK(error_class_of([&] { f.seek_shared(0, r == 0 ? mpixx::seek_from::start : mpixx::seek_from::end); }) ==
                  MPI_ERR_NOT_SAME);
            CHECK(error_class_of([&] { f.set_atomicity(r == 0); }) == MPI_ERR_NOT_SAME);
            CHECK(error_class_of([&] { f.resize(100 + 100 * r); }) == MPI_ERR_NOT_SAME);
            CHECK(error_class_of([&] { f.preallocate(100 + 100 * r); }) == MPI_ERR_NOT_SAME);
            // One rank's negative size: every rank throws, with its class.
            e = error_of([&] { f.resize(r == p - 1 ? -1 : 8); });
            CHECK(e.error_class() == MPI_ERR_ARG);
            CHECK(names(e, "mpixx::file::resize", path));
        }
        // Nothing changed; the same arguments everywhere work.
        CHECK_FALSE(f.atomicity());
        CHECK(f.size() == 0);
        comm.barrier();
        f.seek_shared(3);
        CHECK(f.position_shared() == 3);
        f.set_atomicity(true);
        CHECK(f.atomicity());
        f.resize(40);
        CHECK(f.size() == 40);
    }
    remove_file(path);
}

TEST_CASE("file: offsets whose byte positions overflow MPI_Offset are MPI_ERR_ARG, before MPI sees them") {
    no_leaks guard;
    auto comm = world();
    const std::string path = path_for("bigoff");
    const int r = comm.rank(), p = comm.size();
    const file::offset huge = file::offset(1) << 62; // * sizeof(int) wraps to byte 0
    {
        file f(comm, path, file_mode::read_write | file_mode::create);
        f.set_view<int>();
        if (r == 0) f.write_at(0, std::vector<int>{1, 2, 3, 4});
        f.sync();
        comm.barrier();
        f.sync();
        auto e = error_of([&] { (void)f.read_at<int>(huge, 4); });
        CHECK(names(e, "MPI_File_read_at", path));
        CHECK(e.error_class() == MPI_ERR_ARG);
        CHECK(error_class_of([&] { f.write_at(huge, 99); }) == MPI_ERR_ARG);
        CHECK(error_class_of([&] { (void)f.byte_offset(huge); }) == MPI_ERR_ARG);
        CHECK(error_class_of([&] { (void)f.iread_at<int>(huge, 1); }) == MPI_ERR_ARG);
        CHECK(error_class_of([&] { (void)f.iwrite_at(huge, std::vector<int>{5}); }) == MPI_ERR_ARG);
        CHECK(error_class_of([&] { f.seek(huge); }) == MPI_ERR_ARG);
        CHECK(error_class_of([&] { f.seek(huge, mpixx::seek_from::current); }) == MPI_ERR_ARG);
        CHECK(error_class_of([&] { f.seek(huge, mpixx::seek_from::end); }) == MPI_ERR_ARG);
        CHECK(f.position() == 0);
        // The last offset that fits, with data reaching past it.
        const file::offset top = (std::numeric_limits<file::offset>::max() - 4) / 4;
        CHECK(error_class_of([&] { (void)f.read_at<int>(top - 1, 4); }) == MPI_ERR_ARG);
        // Collective: all ranks refused alike, or one rank refused while the others complete.
        CHECK(error_class_of([&] { (void)f.read_at_all<int>(huge + 1, 2); }) == MPI_ERR_ARG);
        CHECK(error_class_of([&] { f.seek_shared(huge); }) == MPI_ERR_ARG);
        const bool bad = r == p - 1;
        e = error_of([&] { f.write_at_all(bad ? huge : 4 + r, 7); });
        CHECK(e.error_class() == (bad ? MPI_ERR_ARG : MPI_SUCCESS));
        CHECK(error_class_of([&] {
                  auto q = f.iread_at_all<int>(bad ? huge : 0, 1);
                  (void)q.wait();
              }) == (bad ? MPI_ERR_ARG : MPI_SUCCESS));
        f.sync();
        comm.barrier();
        f.sync();
        // Nothing was written at a wrapped offset: the first int is still 1.
        CHECK(f.read_at<int>(0, 4) == std::vector<int>{1, 2, 3, 4});
        // A sparse view (one int per 2^40 bytes) overflows at much smaller offsets; near ones still work.
        MPI_Datatype sparse = MPI_DATATYPE_NULL;
        MPI_Type_create_resized(MPI_INT, 0, MPI_Aint(1) << 40, &sparse);
        ++live_types;
        MPI_Type_commit(&sparse);
        f.set_view(0, MPI_INT, sparse);
        CHECK(error_class_of([&] { (void)f.read_at<int>(file::offset(1) << 23, 1); }) == MPI_ERR_ARG);
        CHECK(f.read_at<int>(0, 1) == std::vector<int>{1});
        MPI_Type_free(&sparse);
    }
    remove_file(path);
}

TEST_CASE("file: counts above INT_MAX without MPI-4 are MPI_ERR_COUNT; a collective still completes elsewhere") {
#if MPI_VERSION >= 4
    SUCCEED("MPI-4: such counts go to the large-count calls (the [.large] case writes 2 GiB)");
#else
    no_leaks guard;
    auto comm = world();
    const std::string path = path_for("count");
    const int r = comm.rank(), p = comm.size();
    {
        file f(comm, path, file_mode::read_write | file_mode::create);
        // A view of INT_MAX + 1 bytes over one byte of memory: refused before MPI touches it.
        char byte = 'x';
        const auto huge = mpixx::raw(&byte, static_cast<long long>(INT_MAX) + 1, MPI_BYTE);
        auto e = error_of([&] { f.write_at(0, huge); });
        CHECK(names(e, "MPI_File_write_at", path));
        CHECK(e.error_class() == MPI_ERR_COUNT);
        CHECK(error_class_of([&] { (void)f.iwrite_at(0, huge); }) == MPI_ERR_COUNT);
        // In a collective call only the last rank's count is too large: it throws, the others complete.
        const bool bad = r == p - 1;
        e = error_of([&] {
            if (bad) f.write_at_all(0, huge);
            else f.write_at_all(r, byte);
        });
        CHECK(e.error_class() == (bad ? MPI_ERR_COUNT : MPI_SUCCESS));
    }
    remove_file(path);
#endif
}

TEST_CASE("file: counts above INT_MAX use the large-count calls", "[.large]") {
    auto comm = world();
    const std::string path = path_for("large");
    const std::size_t n = (std::size_t(1) << 31) + 16; // one byte more than an int count can say
    {
        file f(comm, path, file_mode::read_write | file_mode::create | file_mode::delete_on_close);
        if (comm.rank() == 0) {
            std::vector<char> big(n, 'x');
            big.back() = 'y';
#if MPI_VERSION >= 4
            f.write_at(0, big); // MPI_File_write_at_c
            CHECK(f.size() == static_cast<file::offset>(n));
            CHECK(f.read_at<char>(static_cast<file::offset>(n) - 2, 4) == std::vector<char>{'x', 'y'});
            std::fill(big.begin(), big.end(), '\0');
            CHECK(f.read_at(0, big) == n); // MPI_File_read_at_c
            CHECK(big[12345] == 'x');
            CHECK(big.back() == 'y');
#else
            CHECK(error_class_of([&] { f.write_at(0, big); }) == MPI_ERR_COUNT);
#endif
        }
    }
}
