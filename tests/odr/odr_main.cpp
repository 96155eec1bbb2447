// The ODR test (issue 9.10): two units built with different MPIXX_TYPE_CHECK / MPIXX_OOB_THRESHOLD each
// keep their own behaviour, whatever the link order (the configuration keys mpixx's inline namespace),
// and their streams stay compatible. No MPI communication: plain asserts, exit status 0 on success.
#include <cstddef>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include <mpixx/error.hpp>

bool checks_a();
bool checks_b();
std::vector<std::byte> encode_a(const std::string&);
std::vector<std::byte> encode_b(const std::string&);
std::string decode_a(std::span<const std::byte>);
std::string decode_b(std::span<const std::byte>);
std::vector<int> decode_ints_a(std::span<const std::byte>);
std::size_t oob_runs_a(std::size_t);
std::size_t oob_runs_b(std::size_t);
std::size_t oob_expected_a(std::span<const std::byte>);
std::size_t oob_expected_b(std::span<const std::byte>);
std::vector<std::byte> encode_doubles_a(std::size_t);
std::vector<std::byte> encode_doubles_b(std::size_t);

static int failures = 0;
#define EXPECT(cond)                                                                                       \
    do {                                                                                                   \
        if (!(cond)) {                                                                                     \
            std::printf("FAILED: %s (line %d)\n", #cond, __LINE__);                                       \
            ++failures;                                                                                    \
        }                                                                                                  \
    } while (0)

int main() {
    // Unit a checks types (its streams carry the type name), unit b does not.
    EXPECT(checks_a());
    EXPECT(!checks_b());
    const auto a = encode_a("hello");
    const auto b = encode_b("hello");
    EXPECT(a.size() > b.size());
    std::printf("std::string \"hello\": %zu bytes from the checking unit, %zu from the other\n", a.size(), b.size());
    // Each decodes the other's stream.
    EXPECT(decode_a(b) == "hello");
    EXPECT(decode_b(a) == "hello");
    // The checking unit still checks.
    int cls = MPI_SUCCESS;
    try {
        (void)decode_ints_a(a);
    } catch (const mpixx::error& e) {
        cls = e.error_class();
    }
    EXPECT(cls == MPI_ERR_TYPE);
    // Thresholds: a = 1 KiB, b = 64 KiB. 4 KiB of doubles travel out of band from a only, and each
    // decoder expects what the stream says, not what its own threshold would have done.
    EXPECT(oob_runs_a(512) == 1);
    EXPECT(oob_runs_b(512) == 0);
    EXPECT(oob_expected_b(encode_doubles_a(512)) == 1);
    EXPECT(oob_expected_a(encode_doubles_b(512)) == 0);
    std::printf("%d passed, %d failed\n", failures == 0 ? 1 : 0, failures == 0 ? 0 : 1);
    return failures == 0 ? 0 : 1;
}
