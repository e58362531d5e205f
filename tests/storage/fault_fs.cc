#include "tests/storage/fault_fs.h"

#include <unistd.h>

#include <functional>
#include <utility>

namespace scimd::storage::testing {
namespace {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;

std::string Normal(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::string DirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
}

}  // namespace

// A file written through the FaultFs: every append and sync goes through it, under its lock.
class FaultFs::File final : public rocksdb::FSWritableFileWrapper {
 public:
  File(FaultFs& fs, std::string path, std::unique_ptr<rocksdb::FSWritableFile> target)
      : FSWritableFileWrapper(target.get()),
        fs_(fs),
        path_(std::move(path)),
        owned_(std::move(target)) {}
  // The real file's destructor closes it, and a close may ftruncate a preallocated file to
  // the size written: under the lock, so that it cannot regrow a file DropUnsynced cut
  // (after a halt it waits for the process to end).
  ~File() override {
    std::lock_guard<std::mutex> lock(fs_.mu_);
    owned_.reset();
  }

  IOStatus Close(const IOOptions& options, IODebugContext* dbg) override {
    std::lock_guard<std::mutex> lock(fs_.mu_);
    if (IOStatus s = fs_.WritableLocked(); !s.ok()) return s;
    return target()->Close(options, dbg);
  }

  IOStatus Append(const rocksdb::Slice& data, const IOOptions& options,
                  IODebugContext* dbg) override {
    return Write(data.size(), [&] { return target()->Append(data, options, dbg); });
  }
  IOStatus Append(const rocksdb::Slice& data, const IOOptions& options,
                  const rocksdb::DataVerificationInfo& info, IODebugContext* dbg) override {
    return Write(data.size(), [&] { return target()->Append(data, options, info, dbg); });
  }
  IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset, const IOOptions& options,
                            IODebugContext* dbg) override {
    return WriteAt(offset + data.size(),
                   [&] { return target()->PositionedAppend(data, offset, options, dbg); });
  }
  IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset, const IOOptions& options,
                            const rocksdb::DataVerificationInfo& info,
                            IODebugContext* dbg) override {
    return WriteAt(offset + data.size(),
                   [&] { return target()->PositionedAppend(data, offset, options, info, dbg); });
  }
  IOStatus Truncate(uint64_t size, const IOOptions& options, IODebugContext* dbg) override {
    std::lock_guard<std::mutex> lock(fs_.mu_);
    if (IOStatus s = fs_.WritableLocked(); !s.ok()) return s;
    IOStatus s = target()->Truncate(size, options, dbg);
    if (s.ok()) {
      FileState& f = fs_.files_[path_];
      f.size = size;
      if (f.synced > size) f.synced = size;
    }
    return s;
  }
  IOStatus Sync(const IOOptions& options, IODebugContext* dbg) override {
    return SyncWith([&] { return target()->Sync(options, dbg); });
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    return SyncWith([&] { return target()->Fsync(options, dbg); });
  }
  IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const IOOptions& options,
                     IODebugContext* dbg) override {
    // Starts writeback; promises nothing, so it syncs nothing here either.
    if (IOStatus s = fs_.Writable(); !s.ok()) return s;
    return target()->RangeSync(offset, nbytes, options, dbg);
  }

 private:
  IOStatus Write(uint64_t length, const std::function<IOStatus()>& write) {
    std::lock_guard<std::mutex> lock(fs_.mu_);
    if (IOStatus s = fs_.WritableLocked(); !s.ok()) return s;
    IOStatus s = write();
    if (s.ok()) fs_.files_[path_].size += length;
    return s;
  }
  IOStatus WriteAt(uint64_t end, const std::function<IOStatus()>& write) {
    std::lock_guard<std::mutex> lock(fs_.mu_);
    if (IOStatus s = fs_.WritableLocked(); !s.ok()) return s;
    IOStatus s = write();
    if (s.ok()) {
      FileState& f = fs_.files_[path_];
      if (end > f.size) f.size = end;
    }
    return s;
  }
  IOStatus SyncWith(const std::function<IOStatus()>& sync) {
    std::lock_guard<std::mutex> lock(fs_.mu_);
    if (IOStatus s = fs_.WritableLocked(); !s.ok()) return s;
    IOStatus s = sync();
    if (s.ok()) {
      FileState& f = fs_.files_[path_];
      f.synced = f.size;
    }
    return s;
  }

  FaultFs& fs_;
  const std::string path_;
  std::unique_ptr<rocksdb::FSWritableFile> owned_;
};

class FaultFs::Directory final : public rocksdb::FSDirectoryWrapper {
 public:
  Directory(FaultFs& fs, std::string path, std::unique_ptr<rocksdb::FSDirectory> target)
      : FSDirectoryWrapper(std::move(target)), fs_(fs), path_(std::move(path)) {}

  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    return Synced([&] { return FSDirectoryWrapper::Fsync(options, dbg); });
  }
  IOStatus FsyncWithDirOptions(const IOOptions& options, IODebugContext* dbg,
                               const rocksdb::DirFsyncOptions& dir_options) override {
    return Synced(
        [&] { return FSDirectoryWrapper::FsyncWithDirOptions(options, dbg, dir_options); });
  }

 private:
  IOStatus Synced(const std::function<IOStatus()>& sync) {
    std::lock_guard<std::mutex> lock(fs_.mu_);
    if (IOStatus s = fs_.WritableLocked(); !s.ok()) return s;
    IOStatus s = sync();
    if (s.ok()) fs_.pending_.erase(path_);
    return s;
  }

  FaultFs& fs_;
  const std::string path_;
};

FaultFs::FaultFs() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}

void FaultFs::PowerOff() {
  std::lock_guard<std::mutex> lock(mu_);
  powered_ = false;
}

void FaultFs::SetReadOnly(bool read_only) {
  std::lock_guard<std::mutex> lock(mu_);
  read_only_ = read_only;
}

FaultFs::DropStats FaultFs::DropUnsynced(bool halt) {
  std::unique_lock<std::mutex> lock(mu_);
  DropStats stats;
  for (const auto& [dir, entries] : pending_) {
    for (const std::string& path : entries) {
      if (::unlink(path.c_str()) == 0) ++stats.files_removed;
      files_.erase(path);
    }
  }
  pending_.clear();
  for (auto& [path, f] : files_) {
    if (f.size <= f.synced) continue;
    if (::truncate(path.c_str(), static_cast<off_t>(f.synced)) == 0) {
      ++stats.files_cut;
      stats.bytes_dropped += f.size - f.synced;
      f.size = f.synced;
    }
  }
  if (halt) lock.release();  // the machine is off: nothing touches a file again
  return stats;
}

IOStatus FaultFs::WritableLocked() const {
  if (!powered_) return IOStatus::IOError("power is off (simulated)");
  if (read_only_) return IOStatus::IOError("Read-only file system");
  return IOStatus::OK();
}

IOStatus FaultFs::Writable() const {
  std::lock_guard<std::mutex> lock(mu_);
  return WritableLocked();
}

void FaultFs::AddPendingLocked(const std::string& path) { pending_[DirOf(path)].insert(path); }

IOStatus FaultFs::TrackLocked(const std::string& path, bool created, const IOStatus& opened,
                              std::unique_ptr<rocksdb::FSWritableFile>* result) {
  if (!opened.ok()) return opened;
  FileState& f = files_[path];
  if (created) {
    f = FileState();
    AddPendingLocked(path);
  } else {
    const uint64_t size = (*result)->GetFileSize(IOOptions(), nullptr);
    f.size = size;
    f.synced = size;
  }
  *result = std::make_unique<File>(*this, path, std::move(*result));
  return IOStatus::OK();
}

// Opening a file for writing creates or truncates it: checked and done under the lock, so
// that no file appears after DropUnsynced.
IOStatus FaultFs::NewWritableFile(const std::string& path, const rocksdb::FileOptions& options,
                                  std::unique_ptr<rocksdb::FSWritableFile>* result,
                                  IODebugContext* dbg) {
  std::lock_guard<std::mutex> lock(mu_);
  if (IOStatus s = WritableLocked(); !s.ok()) return s;
  return TrackLocked(Normal(path), true, target()->NewWritableFile(path, options, result, dbg),
                     result);
}

IOStatus FaultFs::ReopenWritableFile(const std::string& path, const rocksdb::FileOptions& options,
                                     std::unique_ptr<rocksdb::FSWritableFile>* result,
                                     IODebugContext* dbg) {
  std::lock_guard<std::mutex> lock(mu_);
  if (IOStatus s = WritableLocked(); !s.ok()) return s;
  const std::string p = Normal(path);
  const bool known = files_.count(p) > 0;
  IOStatus s = target()->ReopenWritableFile(path, options, result, dbg);
  if (known && s.ok()) {  // keep what we know of its synced length
    *result = std::make_unique<File>(*this, p, std::move(*result));
    return s;
  }
  return TrackLocked(p, false, s, result);
}

IOStatus FaultFs::ReuseWritableFile(const std::string& path, const std::string& old_path,
                                    const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    IODebugContext* dbg) {
  std::lock_guard<std::mutex> lock(mu_);
  if (IOStatus s = WritableLocked(); !s.ok()) return s;
  IOStatus s = target()->ReuseWritableFile(path, old_path, options, result, dbg);
  if (s.ok()) files_.erase(Normal(old_path));
  return TrackLocked(Normal(path), true, s, result);
}

IOStatus FaultFs::NewRandomRWFile(const std::string& path, const rocksdb::FileOptions& options,
                                  std::unique_ptr<rocksdb::FSRandomRWFile>* result,
                                  IODebugContext* dbg) {
  if (IOStatus s = Writable(); !s.ok()) return s;
  return target()->NewRandomRWFile(path, options, result, dbg);
}

IOStatus FaultFs::NewDirectory(const std::string& path, const IOOptions& options,
                               std::unique_ptr<rocksdb::FSDirectory>* result, IODebugContext* dbg) {
  IOStatus s = target()->NewDirectory(path, options, result, dbg);
  if (s.ok()) *result = std::make_unique<Directory>(*this, Normal(path), std::move(*result));
  return s;
}

IOStatus FaultFs::DeleteFile(const std::string& path, const IOOptions& options,
                             IODebugContext* dbg) {
  std::lock_guard<std::mutex> lock(mu_);
  if (IOStatus s = WritableLocked(); !s.ok()) return s;
  IOStatus s = target()->DeleteFile(path, options, dbg);
  if (s.ok()) {
    const std::string p = Normal(path);
    files_.erase(p);
    auto dir = pending_.find(DirOf(p));
    if (dir != pending_.end()) dir->second.erase(p);
  }
  return s;
}

IOStatus FaultFs::RenameFile(const std::string& from, const std::string& to,
                             const IOOptions& options, IODebugContext* dbg) {
  std::lock_guard<std::mutex> lock(mu_);
  if (IOStatus s = WritableLocked(); !s.ok()) return s;
  IOStatus s = target()->RenameFile(from, to, options, dbg);
  if (!s.ok()) return s;
  const std::string f = Normal(from), t = Normal(to);
  auto state = files_.find(f);
  if (state != files_.end()) {
    files_[t] = state->second;
    files_.erase(f);
  } else {
    files_.erase(t);
  }
  auto dir = pending_.find(DirOf(f));
  if (dir != pending_.end() && dir->second.erase(f) > 0) AddPendingLocked(t);
  return s;
}

IOStatus FaultFs::LinkFile(const std::string& from, const std::string& to, const IOOptions& options,
                           IODebugContext* dbg) {
  std::lock_guard<std::mutex> lock(mu_);
  if (IOStatus s = WritableLocked(); !s.ok()) return s;
  IOStatus s = target()->LinkFile(from, to, options, dbg);
  if (s.ok()) {
    auto state = files_.find(Normal(from));
    if (state != files_.end()) files_[Normal(to)] = state->second;
    AddPendingLocked(Normal(to));
  }
  return s;
}

IOStatus FaultFs::Truncate(const std::string& path, size_t size, const IOOptions& options,
                           IODebugContext* dbg) {
  std::lock_guard<std::mutex> lock(mu_);
  if (IOStatus s = WritableLocked(); !s.ok()) return s;
  IOStatus s = target()->Truncate(path, size, options, dbg);
  auto state = files_.find(Normal(path));
  if (s.ok() && state != files_.end()) {
    state->second.size = size;
    if (state->second.synced > size) state->second.synced = size;
  }
  return s;
}

IOStatus FaultFs::CreateDir(const std::string& path, const IOOptions& options,
                            IODebugContext* dbg) {
  if (IOStatus s = Writable(); !s.ok()) return s;
  return target()->CreateDir(path, options, dbg);
}

IOStatus FaultFs::CreateDirIfMissing(const std::string& path, const IOOptions& options,
                                     IODebugContext* dbg) {
  if (IOStatus s = Writable(); !s.ok()) return s;
  return target()->CreateDirIfMissing(path, options, dbg);
}

IOStatus FaultFs::DeleteDir(const std::string& path, const IOOptions& options,
                            IODebugContext* dbg) {
  if (IOStatus s = Writable(); !s.ok()) return s;
  return target()->DeleteDir(path, options, dbg);
}

}  // namespace scimd::storage::testing
