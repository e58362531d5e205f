// The file an import reads, for scimctl's two backends: a path or "-" for stdin, opened
// once, with its size when it is a regular file (for the progress bar's ETA). Closes the
// descriptor when it goes (never stdin's). Thread rules: one thread.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "core/base/status.h"

namespace scimd::tools {

class ImportInput {
 public:
  static core::Result<std::unique_ptr<ImportInput>> Open(const std::string& file) {
    const bool is_stdin = file == "-";
    const int fd = is_stdin ? 0 : open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return core::Status::IoError("cannot open " + file + ": " + std::strerror(errno));
    struct stat st {};
    const uint64_t size =
        fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
    return std::unique_ptr<ImportInput>(new ImportInput(fd, size, is_stdin ? "stdin" : file));
  }
  ~ImportInput() {
    if (fd_ != 0) close(fd_);
  }
  ImportInput(const ImportInput&) = delete;
  ImportInput& operator=(const ImportInput&) = delete;

  int fd() const { return fd_; }
  uint64_t size() const { return size_; }  // 0: unknown (a pipe, stdin)
  const std::string& name() const { return name_; }

 private:
  ImportInput(int fd, uint64_t size, std::string name)
      : fd_(fd), size_(size), name_(std::move(name)) {}
  const int fd_;
  const uint64_t size_;
  const std::string name_;
};

}  // namespace scimd::tools
