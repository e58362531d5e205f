// A clock for tests of time-dependent behaviour across whole processes (token expiry and
// rotation grace): when the environment variable SCIMD_CLOCK_FILE names a file, scimd and
// scimctl read the time from it (whole seconds since the Unix epoch), re-read whenever the
// file changes (write a temporary file and rename it into place), instead of the system
// clock. Never in production: scimd says so loudly.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>

#include "core/base/clock.h"

namespace scimd::tools {

class FileClock final : public core::Clock {
 public:
  explicit FileClock(std::string path) : path_(std::move(path)) {}

  int64_t NowMicros() const override {
    struct stat st {};
    std::lock_guard<std::mutex> lock(mu_);
    // File times are only as fine as the kernel's tick: a new inode (a write to a temporary
    // file renamed into place, as tests do) tells two writes within one tick apart.
    if (stat(path_.c_str(), &st) == 0 &&
        (st.st_ino != inode_ || st.st_mtim.tv_sec != seen_.tv_sec ||
         st.st_mtim.tv_nsec != seen_.tv_nsec || st.st_size != size_)) {
      inode_ = st.st_ino;
      seen_ = st.st_mtim;
      size_ = st.st_size;
      std::ifstream in(path_);
      int64_t seconds = 0;
      if (in >> seconds) now_us_ = seconds * 1'000'000;
    }
    return now_us_;
  }

 private:
  const std::string path_;
  mutable std::mutex mu_;
  mutable ino_t inode_ = 0;
  mutable timespec seen_{};
  mutable off_t size_ = -1;
  mutable int64_t now_us_ = 0;
};

// The clock of this process: a FileClock when SCIMD_CLOCK_FILE is set, else the system's.
// `holder` keeps the FileClock alive.
inline const core::Clock& ProcessClock(std::unique_ptr<FileClock>& holder) {
  const char* path = std::getenv("SCIMD_CLOCK_FILE");
  if (path == nullptr || *path == '\0') return core::Clock::System();
  holder = std::make_unique<FileClock>(path);
  return *holder;
}

}  // namespace scimd::tools
