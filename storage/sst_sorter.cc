// SstSorter: see sst_sorter.h.
#include "storage/sst_sorter.h"

#include <fcntl.h>
#include <rocksdb/env.h>
#include <rocksdb/iterator.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/sst_file_writer.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <utility>

#include "storage/rocks_internal.h"

namespace scimd::storage {

using core::Result;
using core::Status;

namespace {

// Entries between two marks of a temporary run.
constexpr size_t kMarkEvery = 4096;

// A merged output file is closed past this size: RocksDB places ingested files one by one,
// and smaller files let a later compaction pick them up piecewise.
constexpr uint64_t kMergedFileBytes = uint64_t{256} << 20;

// Eight key bytes from `p` (fewer when the key ends: zero-padded) as a big-endian number.
uint64_t PrefixWord(const char* p, size_t n) {
  uint64_t w = 0;
  if (n >= 8) {
    std::memcpy(&w, p, 8);
    return __builtin_bswap64(w);  // big-endian: compared as numbers, in the bytes' order
  }
  for (size_t i = 0; i < 8; ++i) w = w << 8 | (i < n ? static_cast<unsigned char>(p[i]) : 0u);
  return w;
}

// Whether a key starts with `first` (the `n` bytes every key shares; a prefix of a word
// or a few words): one load and compare in the common sizes, not a call.
bool SharesFirst(std::string_view key, std::string_view first, size_t n) {
  if (key.size() < n) return false;
  if (n == 8) {
    uint64_t a, b;
    std::memcpy(&a, key.data(), 8);
    std::memcpy(&b, first.data(), 8);
    return a == b;
  }
  if (n == 4) {
    uint32_t a, b;
    std::memcpy(&a, key.data(), 4);
    std::memcpy(&b, first.data(), 4);
    return a == b;
  }
  return std::memcmp(key.data(), first.data(), n) == 0;
}

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

// A temporary run: entries in key order, each as varint(bytes shared with the previous
// key), varint(the key's other bytes), varint(value size), those key bytes, the value.
// Sorted keys share most of their start (an index partition's attribute, a value's first
// letters), so a run is about half the bytes of its entries; an entry written with
// `restart` shares nothing, and a reader may start at it (the run's marks). Written and
// read through buffers of our own with write(2) and pread(2): a stdio call per field was
// most of writing small entries.
constexpr size_t kFlatBufferBytes = size_t{1} << 20;

char* PutVarint(char* p, uint32_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

// Reads a varint from [p, end); nullptr when it does not end there (or is over 5 bytes).
const char* GetVarint(const char* p, const char* end, uint32_t* v) {
  uint32_t out = 0;
  for (int shift = 0; shift <= 28 && p < end; shift += 7) {
    const uint32_t byte = static_cast<unsigned char>(*p++);
    out |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      *v = out;
      return p;
    }
  }
  return nullptr;
}

class FlatWriter {
 public:
  ~FlatWriter() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Open(const std::string& path) {
    path_ = path;
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd_ < 0) return Status::IoError("bulk load: cannot write " + path);
    buffer_.reserve(kFlatBufferBytes);
    return Status::Ok();
  }
  // `restart`: the entry shares nothing with the previous key (a reader may start here).
  Status Put(std::string_view key, std::string_view value, bool restart) {
    size_t shared = 0;
    if (!restart) {
      const size_t most = std::min(key.size(), last_.size());
      for (uint64_t a, b; shared + 8 <= most; shared += 8) {
        std::memcpy(&a, key.data() + shared, 8);
        std::memcpy(&b, last_.data() + shared, 8);
        if (a != b) break;
      }
      while (shared < most && key[shared] == last_[shared]) ++shared;
    }
    const std::string_view rest = key.substr(shared);
    char head[15];
    char* end = PutVarint(head, static_cast<uint32_t>(shared));
    end = PutVarint(end, static_cast<uint32_t>(rest.size()));
    end = PutVarint(end, static_cast<uint32_t>(value.size()));
    const size_t head_size = static_cast<size_t>(end - head);
    if (buffer_.size() + head_size + rest.size() + value.size() > kFlatBufferBytes) {
      SCIMD_RETURN_IF_ERROR(Flush());
    }
    buffer_.append(head, head_size);
    buffer_.append(rest);
    buffer_.append(value);
    offset_ += head_size + rest.size() + value.size();
    last_.assign(key);
    return Status::Ok();
  }
  uint64_t offset() const { return offset_; }
  Status Close() {
    SCIMD_RETURN_IF_ERROR(Flush());
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0 ? Status::Ok()
                            : Status::IoError("bulk load: writing " + path_ + " failed");
  }

 private:
  Status Flush() {
    size_t done = 0;
    while (done < buffer_.size()) {
      const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Status::IoError("bulk load: writing " + path_ + " failed");
      done += static_cast<size_t>(n);
    }
    buffer_.clear();
    return Status::Ok();
  }

  std::string path_;
  int fd_ = -1;
  std::string buffer_;
  std::string last_;  // the previous key
  uint64_t offset_ = 0;
};

class FlatReader {
 public:
  ~FlatReader() {
    if (fd_ >= 0) ::close(fd_);
  }
  // Positioned on the entry at `offset` (one FlatWriter::offset() gave before an entry
  // written with `restart`).
  Status Open(const std::string& path, uint64_t offset) {
    path_ = path;
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return Status::IoError("bulk load: cannot read " + path);
    file_offset_ = offset;
    buffer_.resize(kFlatBufferBytes);
    return Next();
  }
  bool Valid() const { return valid_; }
  std::string_view key() const { return key_; }
  std::string_view value() const { return value_; }
  Status Next() {
    for (;;) {
      const char* p = buffer_.data() + at_;
      const char* end = buffer_.data() + filled_;
      uint32_t shared, rest, value_size;
      const char* q = GetVarint(p, end, &shared);
      if (q) q = GetVarint(q, end, &rest);
      if (q) q = GetVarint(q, end, &value_size);
      if (q && static_cast<size_t>(end - q) >= size_t{rest} + value_size) {
        if (shared > key_.size()) {  // more shared bytes than the previous key has
          valid_ = false;
          return Status::Corruption("bulk load: " + path_ + " is corrupt");
        }
        key_.resize(shared);
        key_.append(q, rest);
        value_ = std::string_view(q + rest, value_size);
        at_ = static_cast<size_t>(q + rest + value_size - buffer_.data());
        valid_ = true;
        return Status::Ok();
      }
      // The entry goes past what is buffered: move its start to the front, read more.
      const size_t left = filled_ - at_;
      if (left > 0 && at_ > 0) std::memmove(buffer_.data(), buffer_.data() + at_, left);
      filled_ = left;
      at_ = 0;
      if (q && size_t{rest} + value_size + 15 > buffer_.size()) {
        buffer_.resize(size_t{rest} + value_size + 15);  // one entry larger than the buffer
      }
      ssize_t n;
      do {
        n = ::pread(fd_, buffer_.data() + filled_, buffer_.size() - filled_,
                    static_cast<off_t>(file_offset_));
      } while (n < 0 && errno == EINTR);
      if (n < 0) return Status::IoError("bulk load: reading " + path_ + " failed");
      if (n == 0) {
        valid_ = false;
        return filled_ == 0 ? Status::Ok() : Truncated();
      }
      filled_ += static_cast<size_t>(n);
      file_offset_ += static_cast<uint64_t>(n);
    }
  }

 private:
  Status Truncated() {
    valid_ = false;
    return Status::Corruption("bulk load: " + path_ + " is truncated");
  }

  std::string path_;
  int fd_ = -1;
  uint64_t file_offset_ = 0;  // of the next byte to read
  std::string buffer_;
  size_t at_ = 0;      // the next entry in buffer_
  size_t filled_ = 0;  // bytes of buffer_ read
  std::string key_;
  std::string_view value_;  // in buffer_
  bool valid_ = false;
};

}  // namespace

SstSorter::SstSorter(std::string dir, std::string name, const rocksdb::Options& options,
                     size_t budget)
    : SstSorter(std::move(dir), std::move(name), options, budget, Tuning()) {}

SstSorter::SstSorter(std::string dir, std::string name, const rocksdb::Options& options,
                     size_t budget, const Tuning& tuning)
    : dir_(std::move(dir)),
      name_(std::move(name)),
      options_(options),
      budget_(budget / 2),
      tuning_(tuning) {
  buffer_.cached_end = tuning_.shared_bytes + 8 * kPrefixWords;
}

SstSorter::~SstSorter() {
  if (spiller_.joinable()) spiller_.join();
  if (ordered_writer_) ordered_writer_.reset();  // abandoned: the load's directory goes
}

std::string SstSorter::NextPath() {
  return dir_ + "/" + name_ + "-" + std::to_string(files_.fetch_add(1)) + ".sst";
}

Status SstSorter::Add(std::string_view key, std::string_view value) {
  if (key.size() > UINT32_MAX || value.size() > UINT32_MAX) {
    return Status::InvalidValue("bulk load: entry too large");
  }
  // Reserved, not touched: pages are mapped as entries fill them, and the buffer never
  // grows by copying itself. (A new std::string has a small capacity, not 0: the test is
  // against what this buffer needs, which grows once if its keys stop coming in order.)
  const size_t reserve = in_order_ ? std::min(budget_, tuning_.ordered_run_bytes) : budget_;
  if (buffer_.arena.capacity() < reserve) {
    buffer_.arena.reserve(reserve);
    if (!tuning_.keep_buffers) buffer_.entries.reserve(reserve / sizeof(Entry));
  }
  const size_t shared = tuning_.shared_bytes;
  if (entries_ == 0) first_bytes_.assign(key.substr(0, shared));
  if (!SharesFirst(key, first_bytes_, shared)) {
    return Status::InvalidValue("bulk load: keys of another tenant");
  }
  // Keys share their first bytes: the order of two is that of the words after them when
  // those differ (most keys), else of the keys.
  const uint64_t word =
      key.size() > shared ? PrefixWord(key.data() + shared, key.size() - shared) : 0;
  const uint64_t last_word = last_word_;
  last_word_ = word;
  if (!buffer_.entries.empty()) {
    if (buffer_.sorted && (word < last_word ||
                           (word == last_word && !(buffer_.KeyOf(buffer_.entries.back()) < key)))) {
      buffer_.sorted = false;
      if (in_order_) {
        // Entries in order are never sorted, so they were added without their prefix.
        for (Entry& e : buffer_.entries) SetPrefix(e, buffer_.KeyOf(e));
      }
      in_order_ = false;
    }
  } else if (in_order_ && entries_ > 0 && !(std::string_view(last_spilled_) < key)) {
    in_order_ = false;
  }
  Entry e{buffer_.arena.size(),
          static_cast<uint32_t>(key.size()),
          static_cast<uint32_t>(value.size()),
          {0, 0, 0}};
  if (!in_order_) SetPrefix(e, key);
  buffer_.entries.push_back(e);
  buffer_.arena.append(key);
  buffer_.arena.append(value);
  ++entries_;
  // Input in order gains nothing from a large buffer (no sort, no merge): it is written
  // in pieces of ordered_run_bytes, and the rest of the budget is never touched.
  const size_t limit = in_order_ ? std::min(budget_, tuning_.ordered_run_bytes) : budget_;
  if (buffer_.bytes() >= limit) return StartSpill(in_order_);
  return Status::Ok();
}

void SstSorter::SetPrefix(Entry& e, std::string_view key) const {
  for (size_t w = 0; w < kPrefixWords; ++w) {
    const size_t at = tuning_.shared_bytes + 8 * w;
    e.prefix[w] = at < key.size() ? PrefixWord(key.data() + at, key.size() - at) : 0;
  }
}

Status SstSorter::StartSpill(bool final) {
  SCIMD_RETURN_IF_ERROR(WaitSpill());
  if (buffer_.entries.empty()) return Status::Ok();
  if (in_order_) last_spilled_.assign(buffer_.KeyOf(buffer_.entries.back()));
  // The buffer written last, emptied, fills next: its pages are already mapped (a fresh
  // buffer of hundreds of MiB costs a page fault per 4 KiB).
  std::unique_ptr<Buffer> written = std::move(spilling_);
  spilling_ = std::make_unique<Buffer>(std::move(buffer_));
  spilling_bytes_ = spilling_->bytes();
  buffer_ = Buffer();
  buffer_.cached_end = spilling_->cached_end;
  if (written) buffer_ = std::move(*written);
  if (tuning_.keep_buffers) buffer_.entries.reserve(spilling_->entries.size());
  spilling_run_ = Run();
  spill_done_.store(false, std::memory_order_release);
  spiller_ = std::thread([this, final] {
    spill_status_ = WriteRun(*spilling_, final, spilling_run_);
    if (tuning_.keep_buffers) {
      spilling_->arena.clear();  // keeps its capacity
      spilling_->entries.clear();
      spilling_->sorted = true;
    } else {
      spilling_.reset();
    }
    spill_done_.store(true, std::memory_order_release);
  });
  return Status::Ok();
}

Status SstSorter::WaitSpill() {
  if (!spiller_.joinable()) return spill_status_;
  spiller_.join();
  spilling_bytes_ = 0;
  if (spill_status_.ok() && !spilling_run_.path.empty()) {
    temporary_runs_ += !spilling_run_.final;
    runs_.push_back(std::move(spilling_run_));
  }
  return spill_status_;
}

void SstSorter::RadixSort(const Buffer& b, Entry* first, Entry* last, size_t byte) {
  // MSD radix sort on the cached bytes (an American flag sort: each level counts the
  // entries per byte value, then swaps each entry into its bucket in place), down to
  // buckets small enough for a comparison sort, or to entries equal in every cached byte
  // (the comparison reads the rest of their keys).
  constexpr size_t kSmall = 64;
  auto byte_of = [](const Entry& e, size_t d) {
    return static_cast<unsigned>(e.prefix[d / 8] >> (56 - 8 * (d % 8))) & 0xffu;
  };
  const size_t n = static_cast<size_t>(last - first);
  size_t count[256];
  for (;;) {
    if (n < kSmall || byte == 8 * kPrefixWords) {
      std::sort(first, last, [&b](const Entry& x, const Entry& y) { return b.Less(x, y); });
      return;
    }
    std::fill(std::begin(count), std::end(count), 0);
    for (const Entry* e = first; e != last; ++e) ++count[byte_of(*e, byte)];
    if (count[byte_of(*first, byte)] != n) break;
    ++byte;  // every entry has the same byte here (the attribute, a common start)
  }
  Entry* head[256];
  Entry* end[256];
  Entry* at = first;
  for (size_t v = 0; v < 256; ++v) {
    head[v] = at;
    at += count[v];
    end[v] = at;
  }
  for (size_t v = 0; v < 256; ++v) {
    while (head[v] != end[v]) {
      const unsigned to = byte_of(*head[v], byte);
      if (to == v) {
        ++head[v];
      } else {
        std::swap(*head[v], *head[to]++);  // one more entry in its bucket
      }
    }
  }
  at = first;
  for (size_t v = 0; v < 256; ++v) {
    if (count[v] > 1) RadixSort(b, at, at + count[v], byte + 1);
    at += count[v];
  }
}

Status SstSorter::SortBuffer(Buffer& b) {
  if (b.sorted) return Status::Ok();
  RadixSort(b, b.entries.data(), b.entries.data() + b.entries.size(), 0);
  b.sorted = true;
  for (size_t i = 1; i < b.entries.size(); ++i) {
    if (b.SameKey(b.entries[i - 1], b.entries[i])) return Duplicate(b.KeyOf(b.entries[i]));
  }
  return Status::Ok();
}

Status SstSorter::CloseOrdered() {
  if (!ordered_writer_) return Status::Ok();
  rocksdb::Status s = ordered_writer_->Finish();
  ordered_writer_.reset();
  SCIMD_RETURN_IF_ERROR(internal::FromRocks(s, "bulk load file"));
  ordered_run_.middle = ordered_run_.smallest;  // a merge's split point: any key will do
  ordered_run_.final = true;
  ordered_runs_.push_back(std::move(ordered_run_));
  ordered_run_ = Run();
  return Status::Ok();
}

Status SstSorter::WriteRun(Buffer& b, bool final, Run& run) {
  // REQUIRES for `final` with a sorted buffer: every earlier run came in order before it.
  if (!final || tuning_.ordered_file_bytes == 0 || !b.sorted) {
    SCIMD_RETURN_IF_ERROR(CloseOrdered());  // input out of order from now on
  } else {
    // Appended to the open file: the keys come after every key it holds.
    for (const Entry& e : b.entries) {
      if (ordered_writer_ && ordered_bytes_ >= tuning_.ordered_file_bytes) {
        SCIMD_RETURN_IF_ERROR(CloseOrdered());
      }
      const std::string_view key = b.KeyOf(e);
      const std::string_view value = b.ValueOf(e);
      if (!ordered_writer_) {
        ordered_writer_ = std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(), options_);
        ordered_run_.path = NextPath();
        ordered_run_.smallest.assign(key);
        ordered_bytes_ = 0;
        SCIMD_RETURN_IF_ERROR(
            internal::FromRocks(ordered_writer_->Open(ordered_run_.path), "bulk load file"));
      }
      ordered_bytes_ += key.size() + value.size();
      SCIMD_RETURN_IF_ERROR(
          internal::FromRocks(ordered_writer_->Put(rocksdb::Slice(key.data(), key.size()),
                                                   rocksdb::Slice(value.data(), value.size())),
                              "bulk load write"));
    }
    ordered_run_.largest.assign(b.KeyOf(b.entries.back()));
    return Status::Ok();
  }
  SCIMD_RETURN_IF_ERROR(SortBuffer(b));
  run.smallest.assign(b.KeyOf(b.entries.front()));
  run.largest.assign(b.KeyOf(b.entries.back()));
  run.middle.assign(b.KeyOf(b.entries[b.entries.size() / 2]));
  run.final = final;
  if (!final) {
    // Read once, front to back, by the merge: a plain file of entries, with a mark every
    // kMarkEvery entries so that a merge of a key range starts near it.
    run.path = NextPath() + ".run";
    FlatWriter out;
    SCIMD_RETURN_IF_ERROR(out.Open(run.path));
    for (size_t i = 0; i < b.entries.size(); ++i) {
      b.Prefetch(i + kPrefetchAhead);
      const Entry& e = b.entries[i];
      const bool mark = i % kMarkEvery == 0;
      if (mark) run.marks.emplace_back(std::string(b.KeyOf(e)), out.offset());
      SCIMD_RETURN_IF_ERROR(out.Put(b.KeyOf(e), b.ValueOf(e), /*restart=*/mark));
    }
    return out.Close();
  }
  // One file per run: a run is at most the budget, and is ingested as is when no other
  // run overlaps it.
  SplittingWriter writer(options_, [this] { return NextPath(); });
  for (size_t i = 0; i < b.entries.size(); ++i) {
    b.Prefetch(i + kPrefetchAhead);
    SCIMD_RETURN_IF_ERROR(writer.Put(b.KeyOf(b.entries[i]), b.ValueOf(b.entries[i]), false));
  }
  SCIMD_RETURN_IF_ERROR(writer.Close());
  run.path = writer.paths().front();
  return Status::Ok();
}

Result<std::vector<std::string>> SstSorter::Finish() {
  SCIMD_RETURN_IF_ERROR(WaitSpill());
  spilling_.reset();
  if (!buffer_.entries.empty()) {
    const bool streamed = tuning_.ordered_file_bytes != 0 && in_order_;
    if (in_order_ || (runs_.empty() && ordered_runs_.empty() && !ordered_writer_)) {
      // The last run: in the final format when it is the only one, or all came in order.
      Run run;
      SCIMD_RETURN_IF_ERROR(WriteRun(buffer_, true, run));
      if (!streamed) runs_.push_back(std::move(run));
      buffer_ = Buffer();
    } else {
      // Merged with the runs straight from memory: not written and read back.
      SCIMD_RETURN_IF_ERROR(SortBuffer(buffer_));
      Run run;
      run.smallest.assign(buffer_.KeyOf(buffer_.entries.front()));
      run.largest.assign(buffer_.KeyOf(buffer_.entries.back()));
      run.middle.assign(buffer_.KeyOf(buffer_.entries[buffer_.entries.size() / 2]));
      run.memory = &buffer_;
      runs_.push_back(std::move(run));
    }
  }
  SCIMD_RETURN_IF_ERROR(CloseOrdered());
  for (Run& r : ordered_runs_) runs_.push_back(std::move(r));
  ordered_runs_.clear();
  std::sort(runs_.begin(), runs_.end(),
            [](const Run& a, const Run& b) { return a.smallest < b.smallest; });
  bool merge = false;
  for (size_t i = 0; i < runs_.size(); ++i) {
    merge = merge || !runs_[i].final || runs_[i].memory != nullptr;
    if (i == 0) continue;
    if (runs_[i].smallest == runs_[i - 1].largest) return Duplicate(runs_[i].smallest);
    merge = merge || runs_[i].smallest < runs_[i - 1].largest;
  }
  if (!merge) {
    std::vector<std::string> paths;
    for (const Run& r : runs_) paths.push_back(r.path);
    runs_.clear();
    return paths;
  }
  Result<std::vector<std::string>> merged = Merge();
  buffer_ = Buffer();
  return merged;
}

Result<std::vector<std::string>> SstSorter::Merge() {
  // Two key ranges merged at once, split at the median of the runs' middle keys: the runs
  // of an unordered input are samples of the same keys, so the halves come out even.
  std::vector<std::string> middles;
  for (const Run& r : runs_) middles.push_back(r.middle);
  std::sort(middles.begin(), middles.end());
  const std::string split = middles[middles.size() / 2];
  Result<std::vector<std::string>> low = Status::Internal("bulk load: merge did not run");
  std::thread low_thread;
  if (!split.empty()) low_thread = std::thread([&] { low = MergeRange("", split); });
  Result<std::vector<std::string>> high = MergeRange(split, "");
  if (low_thread.joinable()) low_thread.join();
  if (!split.empty() && !low.ok()) return low.status();
  if (!high.ok()) return high.status();
  std::vector<std::string> paths = split.empty() ? std::vector<std::string>() : std::move(*low);
  for (std::string& p : *high) paths.push_back(std::move(p));
  for (const Run& r : runs_) {
    if (!r.memory) std::remove(r.path.c_str());
  }
  runs_.clear();
  return paths;
}

Result<std::vector<std::string>> SstSorter::MergeRange(const std::string& from,
                                                       const std::string& to) {
  // A run's entries from `from` on: a temporary run's file, the last buffer in memory,
  // or an SST file's iterator.
  struct Source {
    std::unique_ptr<FlatReader> flat;
    const Buffer* memory = nullptr;
    size_t at = 0;  // in memory->entries
    std::unique_ptr<rocksdb::SstFileReader> reader;
    std::unique_ptr<rocksdb::Iterator> it;
    bool Valid() const {
      if (memory) return at < memory->entries.size();
      return flat ? flat->Valid() : it->Valid();
    }
    std::string_view key() const {
      if (memory) return memory->KeyOf(memory->entries[at]);
      return flat ? flat->key() : std::string_view(it->key().data(), it->key().size());
    }
    std::string_view value() const {
      if (memory) return memory->ValueOf(memory->entries[at]);
      return flat ? flat->value() : std::string_view(it->value().data(), it->value().size());
    }
    Status Next() {
      if (memory) {
        memory->Prefetch(++at + kPrefetchAhead);
        return Status::Ok();
      }
      if (flat) return flat->Next();
      it->Next();
      return internal::FromRocks(it->status(), "bulk load run");
    }
  };
  std::vector<Source> sources;
  rocksdb::ReadOptions read;
  read.fill_cache = false;
  read.readahead_size = size_t{1} << 20;  // each run is read once, front to back
  auto in_range = [&](const Source& src) {
    return src.Valid() && (to.empty() || src.key() < std::string_view(to));
  };
  for (const Run& r : runs_) {
    if ((!to.empty() && r.smallest >= to) || (!from.empty() && r.largest < from)) continue;
    Source src;
    if (r.memory) {
      src.memory = r.memory;
      const auto& entries = r.memory->entries;
      src.at = std::partition_point(
                   entries.begin(), entries.end(),
                   [&](const Entry& e) { return r.memory->KeyOf(e) < std::string_view(from); }) -
               entries.begin();
    } else if (!r.final) {
      // From the last mark before `from`, then entry by entry up to it.
      uint64_t offset = 0;
      for (const auto& [key, at] : r.marks) {
        if (key >= from) break;
        offset = at;
      }
      src.flat = std::make_unique<FlatReader>();
      SCIMD_RETURN_IF_ERROR(src.flat->Open(r.path, offset));
      while (src.flat->Valid() && src.flat->key() < std::string_view(from)) {
        SCIMD_RETURN_IF_ERROR(src.flat->Next());
      }
    } else {
      src.reader = std::make_unique<rocksdb::SstFileReader>(options_);
      SCIMD_RETURN_IF_ERROR(internal::FromRocks(src.reader->Open(r.path), "bulk load run"));
      src.it.reset(src.reader->NewIterator(read));
      if (from.empty()) {
        src.it->SeekToFirst();
      } else {
        src.it->Seek(from);
      }
      SCIMD_RETURN_IF_ERROR(internal::FromRocks(src.it->status(), "bulk load run"));
    }
    if (in_range(src)) sources.push_back(std::move(src));
  }
  // A tournament of the sources by their current key (a loser tree: each inner node
  // keeps the source that lost there): the next key in log2(k) comparisons, each mostly
  // of the 16 key bytes after the shared ones, cached per source, without a memcmp.
  const size_t k = sources.size();
  const size_t shared = tuning_.shared_bytes;
  std::vector<std::array<uint64_t, 2>> words(k);
  std::vector<char> live(k);
  auto load = [&](size_t i) {
    live[i] = in_range(sources[i]);
    if (!live[i]) return;
    const std::string_view key = sources[i].key();
    for (size_t w = 0; w < 2; ++w) {
      const size_t at = shared + 8 * w;
      words[i][w] = key.size() > at ? PrefixWord(key.data() + at, key.size() - at) : 0;
    }
  };
  auto before = [&](size_t a, size_t b) {  // a's key comes first; spent sources last
    if (!live[a] || !live[b]) return live[a] && !live[b];
    if (words[a] != words[b]) return words[a] < words[b];
    return sources[a].key() < sources[b].key();
  };
  for (size_t i = 0; i < k; ++i) load(i);
  // Leaves are nodes k..2k-1 (source i at k + i); inner nodes 1..k-1; loser[0] the winner.
  std::vector<size_t> loser(std::max<size_t>(k, 1), 0);
  std::function<size_t(size_t)> play = [&](size_t node) -> size_t {
    if (node >= k) return node - k;
    const size_t a = play(2 * node);
    const size_t b = play(2 * node + 1);
    const bool a_wins = before(a, b);
    loser[node] = a_wins ? b : a;
    return a_wins ? a : b;
  };
  if (k > 0) loser[0] = k == 1 ? 0 : play(1);

  SplittingWriter writer(options_, [this] { return NextPath(); });
  std::string last;
  bool first = true;
  while (k > 0 && live[loser[0]]) {
    const size_t i = loser[0];
    Source& src = sources[i];
    const std::string_view key = src.key();
    if (!first && key == last) return Duplicate(key);
    SCIMD_RETURN_IF_ERROR(writer.Put(key, src.value(), true));
    last.assign(key);
    first = false;
    SCIMD_RETURN_IF_ERROR(src.Next());
    load(i);
    // Replayed from its leaf up: at each node the winner goes on, the loser stays.
    size_t winner = i;
    for (size_t node = (k + i) / 2; node >= 1; node /= 2) {
      if (before(loser[node], winner)) std::swap(loser[node], winner);
    }
    loser[0] = winner;
  }
  SCIMD_RETURN_IF_ERROR(writer.Close());
  return writer.paths();
}

}  // namespace scimd::storage
