// FaultFs: a RocksDB FileSystem over the real one, for tests of what a machine's failures
// leave behind. Each file written through it knows how many of its bytes were synced, and
// each directory which new entries it has not synced yet. Two failures:
// - Power loss. PowerOff() makes every later write, sync and file operation fail (what was
//   in flight is not acknowledged); DropUnsynced() then does to the files what the power
//   cut does to a disk's page cache: each file is cut back to its last sync, and a file
//   created (or renamed into place) since its directory's last sync disappears.
// - A read-only file system. SetReadOnly(true) makes every write and file operation fail
//   with EROFS's text ("Read-only file system"), as Linux does after a remount; reads go on.
// Simplifications, on the safe side for what RocksDB does: a rename or a delete of a file
// whose directory entry was already synced is taken as durable at once (RocksDB syncs the
// directory right after the renames it relies on: CURRENT, the OPTIONS file); a write
// through a memory map is not modelled (RocksDB does not map files for writing here).
#pragma once

#include <rocksdb/file_system.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace scimd::storage::testing {

class FaultFs final : public rocksdb::FileSystemWrapper {
 public:
  struct DropStats {
    uint64_t files_cut = 0;      // cut back to their last sync
    uint64_t bytes_dropped = 0;  // written, never synced
    uint64_t files_removed = 0;  // created since their directory's last sync
  };

  FaultFs();
  const char* Name() const override { return "ScimdFaultFs"; }

  void PowerOff();
  // REQUIRES: PowerOff(). With `halt`, every later call into this file system (a close, a
  // file's destruction included) blocks until the process ends: the machine is off, and a
  // background thread must not touch the cut files before the process exits.
  DropStats DropUnsynced(bool halt = false);
  void SetReadOnly(bool read_only);

  // Writes.
  rocksdb::IOStatus NewWritableFile(const std::string& path, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& path, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& path, const std::string& old_path,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewRandomRWFile(const std::string& path, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSRandomRWFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewDirectory(const std::string& path, const rocksdb::IOOptions& options,
                                 std::unique_ptr<rocksdb::FSDirectory>* result,
                                 rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& path, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& from, const std::string& to,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus LinkFile(const std::string& from, const std::string& to,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Truncate(const std::string& path, size_t size,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus CreateDir(const std::string& path, const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus CreateDirIfMissing(const std::string& path, const rocksdb::IOOptions& options,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteDir(const std::string& path, const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* dbg) override;

 private:
  class File;
  class Directory;
  struct FileState {
    uint64_t size = 0;    // bytes written through us
    uint64_t synced = 0;  // of which synced
  };

  // OK, or why nothing may be written now. REQUIRES: mu_ held.
  rocksdb::IOStatus WritableLocked() const;
  rocksdb::IOStatus Writable() const;
  // A file created (or renamed into place) in its directory, not yet synced there.
  void AddPendingLocked(const std::string& path);
  // Wraps a file just opened for writing (a new one: nothing synced, its entry pending).
  // REQUIRES: mu_ held.
  rocksdb::IOStatus TrackLocked(const std::string& path, bool created,
                                const rocksdb::IOStatus& opened,
                                std::unique_ptr<rocksdb::FSWritableFile>* result);

  mutable std::mutex mu_;
  bool powered_ = true;
  bool read_only_ = false;
  std::map<std::string, FileState> files_;
  std::map<std::string, std::set<std::string>> pending_;  // directory -> new entries
};

}  // namespace scimd::storage::testing
