// Helpers for storage tests: a fresh temporary directory removed at scope exit, and
// deterministic resource ids whose byte order follows the number they are made from.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/base/ids.h"

namespace scimd::storage::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/scimd-storage-test-XXXXXX";
    char* p = mkdtemp(tmpl.data());
    if (p != nullptr) path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // A path inside the directory (for a store that must be created by Open).
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Id whose first 8 bytes are `n` big-endian and whose last 8 bytes are `salt`.
inline core::ResourceId Id(uint64_t n, uint64_t salt = 0) {
  core::ResourceId id;
  for (int i = 0; i < 8; ++i) {
    id.bytes[i] = static_cast<uint8_t>(n >> (56 - 8 * i));
    id.bytes[8 + i] = static_cast<uint8_t>(salt >> (56 - 8 * i));
  }
  return id;
}

}  // namespace scimd::storage::testing
