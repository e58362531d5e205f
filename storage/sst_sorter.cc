// SstSorter: see sst_sorter.h.
#include "storage/sst_sorter.h"

#include <rocksdb/env.h>
#include <rocksdb/iterator.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/sst_file_writer.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <queue>
#include <utility>

#include "storage/rocks_internal.h"

namespace scimd::storage {

using core::Result;
using core::Status;

namespace {

// A merged output file is closed past this size: RocksDB places ingested files one by one,
// and smaller files let a later compaction pick them up piecewise.
constexpr uint64_t kMergedFileBytes = uint64_t{256} << 20;

std::string Printable(std::string_view key) {
  std::string out;
  for (unsigned char c : key.substr(0, 64)) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      char hex[5];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      out += hex;
    }
  }
  return out;
}

Status Duplicate(std::string_view key) {
  return Status::Corruption("bulk load: the same key twice (" + Printable(key) + ")");
}

// Writes SST files in key order, starting a new one past kMergedFileBytes when allowed.
class SplittingWriter {
 public:
  SplittingWriter(const rocksdb::Options& options, std::function<std::string()> next_path)
      : options_(options), next_path_(std::move(next_path)) {}

  Status Put(std::string_view key, std::string_view value, bool may_split) {
    if (writer_ && may_split && writer_->FileSize() >= kMergedFileBytes) {
      SCIMD_RETURN_IF_ERROR(Close());
    }
    if (!writer_) {
      writer_ = std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(), options_);
      paths_.push_back(next_path_());
      SCIMD_RETURN_IF_ERROR(internal::FromRocks(writer_->Open(paths_.back()), "bulk load file"));
    }
    return internal::FromRocks(writer_->Put(rocksdb::Slice(key.data(), key.size()),
                                            rocksdb::Slice(value.data(), value.size())),
                               "bulk load write");
  }
  Status Close() {
    if (!writer_) return Status::Ok();
    rocksdb::Status s = writer_->Finish();
    writer_.reset();
    return internal::FromRocks(s, "bulk load file");
  }
  const std::vector<std::string>& paths() const { return paths_; }

 private:
  const rocksdb::Options& options_;
  std::function<std::string()> next_path_;
  std::unique_ptr<rocksdb::SstFileWriter> writer_;
  std::vector<std::string> paths_;
};

}  // namespace

SstSorter::SstSorter(std::string dir, std::string name, const rocksdb::Options& options,
                     size_t budget)
    : dir_(std::move(dir)), name_(std::move(name)), options_(options), budget_(budget) {}

std::string SstSorter::NextPath() {
  return dir_ + "/" + name_ + "-" + std::to_string(files_++) + ".sst";
}

Status SstSorter::Add(std::string_view key, std::string_view value) {
  if (key.size() > UINT32_MAX || value.size() > UINT32_MAX) {
    return Status::InvalidValue("bulk load: entry too large");
  }
  if (arena_.capacity() == 0) arena_.reserve(budget_);
  if (entries_ == 0) first_bytes_.assign(key.substr(0, kPrefixAt));
  if (key.substr(0, kPrefixAt) != first_bytes_) {
    return Status::InvalidValue("bulk load: keys of another tenant");
  }
  Entry e{arena_.size(),
          static_cast<uint32_t>(key.size()),
          static_cast<uint32_t>(value.size()),
          {0, 0}};
  for (size_t i = kPrefixAt; i < kPrefixAt + 16; ++i) {
    uint64_t& p = e.prefix[(i - kPrefixAt) / 8];
    p = p << 8 | (i < key.size() ? static_cast<unsigned char>(key[i]) : 0u);
  }
  buffer_.push_back(e);
  arena_.append(key);
  arena_.append(value);
  ++entries_;
  if (arena_.size() + buffer_.size() * sizeof(Entry) >= budget_) return Spill();
  return Status::Ok();
}

Status SstSorter::Spill() {
  if (buffer_.empty()) return Status::Ok();
  auto less = [this](const Entry& a, const Entry& b) { return Less(a, b); };
  if (!std::is_sorted(buffer_.begin(), buffer_.end(), less)) {
    std::sort(buffer_.begin(), buffer_.end(), less);
  }
  // One file per run: a run is at most the budget, and is ingested as is when no other
  // run overlaps it.
  SplittingWriter writer(options_, [this] { return NextPath(); });
  for (size_t i = 0; i < buffer_.size(); ++i) {
    if (i > 0 && KeyOf(buffer_[i - 1]) == KeyOf(buffer_[i])) return Duplicate(KeyOf(buffer_[i]));
    SCIMD_RETURN_IF_ERROR(writer.Put(KeyOf(buffer_[i]), ValueOf(buffer_[i]), false));
  }
  SCIMD_RETURN_IF_ERROR(writer.Close());
  runs_.push_back({writer.paths().front(), std::string(KeyOf(buffer_.front())),
                   std::string(KeyOf(buffer_.back()))});
  buffer_.clear();
  arena_.clear();
  return Status::Ok();
}

Result<std::vector<std::string>> SstSorter::Finish() {
  SCIMD_RETURN_IF_ERROR(Spill());
  std::string().swap(arena_);
  std::vector<Entry>().swap(buffer_);
  std::sort(runs_.begin(), runs_.end(),
            [](const Run& a, const Run& b) { return a.smallest < b.smallest; });
  bool overlap = false;
  for (size_t i = 1; i < runs_.size(); ++i) {
    if (runs_[i].smallest == runs_[i - 1].largest) return Duplicate(runs_[i].smallest);
    overlap = overlap || runs_[i].smallest < runs_[i - 1].largest;
  }
  if (!overlap) {
    std::vector<std::string> paths;
    for (const Run& r : runs_) paths.push_back(r.path);
    return paths;
  }
  return Merge();
}

Result<std::vector<std::string>> SstSorter::Merge() {
  struct Source {
    std::unique_ptr<rocksdb::SstFileReader> reader;
    std::unique_ptr<rocksdb::Iterator> it;
  };
  std::vector<Source> sources;
  rocksdb::ReadOptions read;
  read.fill_cache = false;
  for (const Run& r : runs_) {
    Source src;
    src.reader = std::make_unique<rocksdb::SstFileReader>(options_);
    SCIMD_RETURN_IF_ERROR(internal::FromRocks(src.reader->Open(r.path), "bulk load run"));
    src.it.reset(src.reader->NewIterator(read));
    src.it->SeekToFirst();
    SCIMD_RETURN_IF_ERROR(internal::FromRocks(src.it->status(), "bulk load run"));
    if (src.it->Valid()) sources.push_back(std::move(src));
  }
  // A min-heap of sources by their current key.
  auto greater = [&sources](size_t a, size_t b) {
    return sources[a].it->key().compare(sources[b].it->key()) > 0;
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(greater)> heap(greater);
  for (size_t i = 0; i < sources.size(); ++i) heap.push(i);

  SplittingWriter writer(options_, [this] { return NextPath(); });
  std::string last;
  bool first = true;
  while (!heap.empty()) {
    const size_t i = heap.top();
    heap.pop();
    rocksdb::Iterator& it = *sources[i].it;
    const std::string_view key(it.key().data(), it.key().size());
    if (!first && key == last) return Duplicate(key);
    SCIMD_RETURN_IF_ERROR(
        writer.Put(key, std::string_view(it.value().data(), it.value().size()), true));
    last.assign(key);
    first = false;
    it.Next();
    SCIMD_RETURN_IF_ERROR(internal::FromRocks(it.status(), "bulk load run"));
    if (it.Valid()) heap.push(i);
  }
  SCIMD_RETURN_IF_ERROR(writer.Close());
  sources.clear();
  for (const Run& r : runs_) std::remove(r.path.c_str());
  runs_.clear();
  return writer.paths();
}

}  // namespace scimd::storage
