// One translation unit of the ODR test, compiled twice with different configurations (ODR_TU = a, b):
// each exports functions suffixed with its name, built with its own MPIXX_TYPE_CHECK and MPIXX_OOB_THRESHOLD.
#include <mpixx/communicator.hpp>
#include <mpixx/serialize.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#define ODR_CAT_(a, b) a##_##b
#define ODR_CAT(a, b) ODR_CAT_(a, b)
#define ODR_FN(name) ODR_CAT(name, ODR_TU)

bool ODR_FN(checks)() { return mpixx::detail::type_check_enabled; }
std::vector<std::byte> ODR_FN(encode)(const std::string& s) { return mpixx::serialize(s); }
std::string ODR_FN(decode)(std::span<const std::byte> b) { return mpixx::deserialize<std::string>(b); }
std::vector<int> ODR_FN(decode_ints)(std::span<const std::byte> b) { return mpixx::deserialize<std::vector<int>>(b); }
/// Number of out-of-band runs of a vector of n doubles under this unit's threshold.
std::size_t ODR_FN(oob_runs)(std::size_t n) { return mpixx::detail::encode(std::vector<double>(n)).segments.size(); }
/// Number of out-of-band runs the decoder of this unit expects from `b`.
std::size_t ODR_FN(oob_expected)(std::span<const std::byte> b) {
    std::vector<double> out;
    std::vector<mpixx::detail::oob_in> segs;
    mpixx::detail::decode_into(b, out, segs);
    return segs.size();
}
std::vector<std::byte> ODR_FN(encode_doubles)(std::size_t n) { return mpixx::detail::encode(std::vector<double>(n)).bytes; }
#ifdef ODR_WITH_COMM
/// Takes an mpixx type: calling it from a unit built differently must fail to link.
int ODR_FN(rank_of)(const mpixx::communicator& c) { return c.rank(); }
#endif
