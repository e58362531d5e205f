// Backups of a whole scimd store (issue #21, docs/OPERATIONS.md): a directory holding a
// RocksDB checkpoint (every tenant, one consistent moment) and SCIMD-BACKUP.json, the list
// of its files with their sizes and SHA-256 sums. `scimctl backup DIR` makes one, from a
// running server's admin API (--server: the server checkpoints into its data directory,
// scimctl downloads the files and checks each as it comes) or from a stopped data directory
// (--data); `scimctl restore DIR --data NEW` checks every file against the list, copies them
// into a new data directory and opens it as a store before saying it is done.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/base/store.h"

namespace scimd::tools {

inline constexpr char kBackupManifest[] = "SCIMD-BACKUP.json";

struct BackupFile {
  std::string name;  // a plain file name (the checkpoint has no subdirectories)
  uint64_t bytes = 0;
  std::string sha256;  // lower-case hex
};

struct BackupManifest {
  int64_t created_unix = 0;
  std::vector<BackupFile> files;
  uint64_t TotalBytes() const;
};

// SHA-256 over pieces (libsodium), as lower-case hex at the end.
class Sha256 {
 public:
  Sha256();
  void Update(std::string_view piece);
  std::string HexDigest();  // once

 private:
  alignas(16) unsigned char state_[128];  // crypto_hash_sha256_state (its size checked in .cc)
};

// Whether `name` may be a file of a backup: no path separators, not "." or "..", not the
// manifest itself.
bool IsBackupFileName(const std::string& name);
// SHA-256 of a whole file, as lower-case hex (libsodium).
core::Result<std::string> FileSha256(const std::string& path);
core::Status WriteManifest(const std::string& dir, const BackupManifest& manifest);
core::Result<BackupManifest> ReadManifest(const std::string& dir);
// Lists, sizes and sums the files of a checkpoint in `dir` (for a backup made locally).
core::Result<BackupManifest> DescribeCheckpoint(const std::string& dir, int64_t created_unix);
// `dir` must not exist or be an empty directory: removes an empty one (a checkpoint makes
// its own) and checks that its parent exists.
core::Status PrepareBackupDir(const std::string& dir);

// A local backup: a checkpoint of `store` into `dir`, then its manifest.
core::Result<BackupManifest> BackupStore(core::Store& store, const std::string& dir,
                                         int64_t now_unix);

struct RestoreSummary {
  uint64_t files = 0;
  uint64_t bytes = 0;
  uint64_t tenants = 0;
};
// Checks every file of the backup in `backup_dir` against its manifest, copies them into
// `data_dir` (which must not exist or be empty), syncs them, and opens the result as a
// store. Nothing is left in `data_dir` when a check fails.
core::Result<RestoreSummary> RestoreBackup(const std::string& backup_dir,
                                           const std::string& data_dir);

}  // namespace scimd::tools
