// tests/support/fd_capture.hpp - points a file descriptor (stdout, stderr) at a temporary file for a
// while, so that a test can check what this process wrote there.
#pragma once

#include "mpixx_test.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

namespace mpixx_test {

/// Points file descriptor `fd` at a fresh temporary file until text() is called (or destruction).
class fd_capture {
public:
    explicit fd_capture(int fd = STDOUT_FILENO) : fd_(fd) {
        std::fflush(nullptr);
        char name[] = "/tmp/mpixx_test_capture_XXXXXX";
        file_ = mkstemp(name);
        REQUIRE(file_ >= 0);
        unlink(name);
        saved_ = dup(fd_);
        REQUIRE(saved_ >= 0);
        REQUIRE(dup2(file_, fd_) == fd_);
    }
    fd_capture(const fd_capture&) = delete;
    fd_capture& operator=(const fd_capture&) = delete;
    ~fd_capture() {
        restore();
        if (file_ >= 0) close(file_);
    }

    /// Restores the descriptor and returns everything written to it meanwhile.
    std::string text() {
        restore();
        std::string out;
        char buf[4096];
        lseek(file_, 0, SEEK_SET);
        for (ssize_t n; (n = read(file_, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
        return out;
    }

private:
    void restore() {
        if (saved_ < 0) return;
        std::fflush(nullptr);
        dup2(saved_, fd_);
        close(saved_);
        saved_ = -1;
    }

    int fd_;
    int file_ = -1;
    int saved_ = -1;
};

} // namespace mpixx_test
