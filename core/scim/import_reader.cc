// ReadImportFile and FileSource: see import_reader.h.
#include "core/scim/import_reader.h"

#include <fcntl.h>
#include <simdjson.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "core/base/json.h"
#include "core/base/strings.h"
#include "core/resource/schema.h"

namespace scimd::core {

namespace {

constexpr size_t kReadBytes = size_t{1} << 20;

// Counts lines as records are found in a document (positions only move forward).
class LineCounter {
 public:
  explicit LineCounter(std::string_view text) : text_(text) {}
  uint64_t LineAt(const char* p) {
    const char* end = std::clamp(p, text_.data(), text_.data() + text_.size());
    line_ += static_cast<uint64_t>(std::count(at_, end, '\n'));
    at_ = std::max(at_, end);
    return line_;
  }

 private:
  std::string_view text_;
  const char* at_ = text_.data();
  uint64_t line_ = 1;
};

Status Invalid(uint64_t line, const std::string& what) {
  return Status::InvalidSyntax("line " + std::to_string(line) + ": " + what);
}

// A Bulk request operation: POSTs of Users or Groups are records.
Status AddOperation(std::string_view op_text, uint64_t line, Importer& importer) {
  auto op = Json::Parse(op_text);
  if (!op.ok() || !op->is_object()) return importer.Reject(line, "an operation is a JSON object");
  auto text = [&](std::string_view name) -> std::string {
    const Json* v = op->FindCi(name);
    return v != nullptr && v->is_string() ? v->as_string() : std::string();
  };
  if (!EqualsCi(text("method"), "POST")) {
    return importer.Reject(line, "only POST operations can be imported (this is " +
                                     (text("method").empty() ? "none" : text("method")) + ")");
  }
  const std::string path_text = text("path");
  std::string_view path = path_text;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::optional<ResourceType> type = SchemaRegistry::Default().FindEndpoint(path);
  if (!type) return importer.Reject(line, "path must be /Users or /Groups");
  const Json* data = op->FindCi("data");
  if (data == nullptr || !data->is_object()) return importer.Reject(line, "no \"data\" object");
  return importer.Add(data->Serialize(), line, type, text("bulkId"));
}

// One JSON document (or one NDJSON line holding a container) starting at `first_line`.
Status AddDocument(std::string_view text, uint64_t first_line, Importer& importer) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(text);
  LineCounter lines(padded);
  auto where = [&](std::string_view raw) { return first_line - 1 + lines.LineAt(raw.data()); };
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS) {
    return importer.Reject(first_line, "not JSON");
  }
  simdjson::ondemand::json_type kind;
  if (doc.type().get(kind) != simdjson::SUCCESS) return importer.Reject(first_line, "not JSON");
  auto each = [&](simdjson::ondemand::array array, bool operations) -> Status {
    for (auto item : array) {
      simdjson::ondemand::object record;
      std::string_view raw;
      if (item.get_object().get(record) != simdjson::SUCCESS ||
          record.raw_json().get(raw) != simdjson::SUCCESS) {
        // Not an object, or not JSON at all: nothing after it can be trusted either.
        return Invalid(lines.LineAt(padded.data()), "an element that is not a JSON object");
      }
      const uint64_t line = where(raw);
      SCIMD_RETURN_IF_ERROR(operations ? AddOperation(raw, line, importer)
                                       : importer.Add(raw, line));
    }
    return Status::Ok();
  };
  if (kind == simdjson::ondemand::json_type::array) {
    simdjson::ondemand::array array;
    if (doc.get_array().get(array) != simdjson::SUCCESS) return Invalid(first_line, "not JSON");
    return each(array, false);
  }
  if (kind != simdjson::ondemand::json_type::object) {
    return importer.Reject(first_line, "a record is a JSON object");
  }
  // A container (ListResponse, Bulk request) or a resource.
  simdjson::ondemand::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS) return Invalid(first_line, "not JSON");
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) break;
    const bool resources = EqualsCi(key, "Resources");
    if (!resources && !EqualsCi(key, "Operations")) continue;
    simdjson::ondemand::array array;
    if (field.value().get_array().get(array) != simdjson::SUCCESS) {
      return importer.Reject(first_line, std::string(key) + " must be an array");
    }
    return each(array, !resources);
  }
  return importer.Add(text, first_line);  // a lone resource
}

// NDJSON records prepared on worker threads (the parse, decode and derivation that are most
// of an import's work) and accepted in the file's order on the calling thread.
class ParallelAdder {
 public:
  ParallelAdder(Importer& importer, unsigned workers) : importer_(importer) {
    for (unsigned i = 0; i < workers; ++i) threads_.emplace_back([this] { Work(); });
  }
  ~ParallelAdder() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    work_cv_.notify_all();
    for (auto& t : threads_) t.join();
  }

  // Queues one line; accepts whatever is ready. Returns the importer's first error.
  Status Add(std::string_view text, uint64_t line) {
    if (!batch_) batch_ = NewBatch();
    batch_->lines.push_back({batch_->text.size(), text.size(), line});
    batch_->text.append(text);
    if (batch_->lines.size() < kBatchRecords && batch_->text.size() < kBatchBytes) {
      return Status::Ok();
    }
    return Submit();
  }
  // Accepts everything still queued.
  Status Drain() {
    SCIMD_RETURN_IF_ERROR(Submit());
    return AcceptReady(/*all=*/true);
  }

 private:
  static constexpr size_t kBatchRecords = 256;
  static constexpr size_t kBatchBytes = size_t{1} << 20;
  static constexpr size_t kSpareBatches = 8;  // more than are ever in flight at once
  struct Line {
    size_t at, size;
    uint64_t number;
  };
  struct Batch {
    std::string text;
    std::vector<Line> lines;
    std::vector<PreparedRecord> prepared;
  };

  // A batch accepted before, emptied (its memory stays mapped), or a new one.
  std::unique_ptr<Batch> NewBatch() {
    if (!spare_.empty()) {
      std::unique_ptr<Batch> b = std::move(spare_.back());
      spare_.pop_back();
      return b;
    }
    auto b = std::make_unique<Batch>();
    b->text.reserve(kBatchBytes + (kBatchBytes >> 2));  // filled without growing (most lines)
    b->lines.reserve(kBatchRecords);
    b->prepared.reserve(kBatchRecords);
    return b;
  }

  Status Submit() {
    if (batch_ && !batch_->lines.empty()) {
      std::unique_lock<std::mutex> lock(mu_);
      queue_.emplace_back(next_in_++, std::move(batch_));
      work_cv_.notify_one();
    }
    batch_.reset();
    return AcceptReady(/*all=*/false);
  }

  // Accepts prepared batches in order; waits while too many are in flight, or (all) until
  // none is.
  Status AcceptReady(bool all) {
    for (;;) {
      std::unique_ptr<Batch> ready;
      {
        std::unique_lock<std::mutex> lock(mu_);
        done_cv_.wait(lock, [&] {
          return done_.count(next_out_) > 0 ||
                 (!all && next_in_ - next_out_ <= 2 * threads_.size() + 2) || next_in_ == next_out_;
        });
        auto it = done_.find(next_out_);
        if (it == done_.end()) return Status::Ok();
        ready = std::move(it->second);
        done_.erase(it);
        ++next_out_;
      }
      for (size_t i = 0; i < ready->prepared.size(); ++i) {
        PreparedRecord& r = ready->prepared[i];
        if (r.container) {  // a ListResponse or Bulk request on one line: its records
          const Line& l = ready->lines[i];
          SCIMD_RETURN_IF_ERROR(
              AddDocument(std::string_view(ready->text).substr(l.at, l.size), l.number, importer_));
          continue;
        }
        SCIMD_RETURN_IF_ERROR(importer_.Accept(std::move(r)));
      }
      if (spare_.size() < kSpareBatches) {
        ready->text.clear();
        ready->lines.clear();
        ready->prepared.clear();
        spare_.push_back(std::move(ready));
      }
    }
  }

  void Work() {
    for (;;) {
      std::pair<uint64_t, std::unique_ptr<Batch>> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (stop_) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      Batch& b = *job.second;
      b.prepared.reserve(b.lines.size());
      for (const Line& l : b.lines) {
        b.prepared.push_back(importer_.Prepare(std::string_view(b.text).substr(l.at, l.size),
                                               l.number, {}, {}, /*detect_containers=*/true));
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        done_.emplace(job.first, std::move(job.second));
      }
      done_cv_.notify_all();
    }
  }

  Importer& importer_;
  std::unique_ptr<Batch> batch_;
  std::vector<std::unique_ptr<Batch>> spare_;  // accepted, emptied: filled next
  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<std::pair<uint64_t, std::unique_ptr<Batch>>> queue_;
  std::map<uint64_t, std::unique_ptr<Batch>> done_;
  uint64_t next_in_ = 0, next_out_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace

ImportSource FileSource(int fd, uint64_t* consumed) {
  // zlib reads plain input through unchanged (gzdopen "transparent" mode).
  const int gz_fd = dup(fd);
  std::shared_ptr<gzFile_s> gz(gzdopen(gz_fd, "rb"), [](gzFile f) {
    if (f != nullptr) gzclose(f);
  });
  if (gz) gzbuffer(gz.get(), 1 << 20);
  // dropped: input the page cache was told to drop; advise: false once it cannot be (a pipe)
  return [gz, gz_fd, consumed, dropped = uint64_t{0}, advise = true](
             char* buf, size_t n) mutable -> Result<size_t> {
    if (!gz) return Status::IoError("cannot read the input");
    const int got = gzread(gz.get(), buf, static_cast<unsigned>(std::min<size_t>(n, 1 << 30)));
    if (got < 0) {
      int err = 0;
      const char* what = gzerror(gz.get(), &err);
      return Status::IoError(std::string("reading the input: ") + (what ? what : "error"));
    }
    const uint64_t offset = static_cast<uint64_t>(gzoffset(gz.get()));
    if (consumed != nullptr) *consumed = offset;
    // A file is read once, front to back: what was read is dropped from the page cache
    // every 64 MiB, so that a 10 GB input does not push out what the load writes and
    // reads back (the kernel reclaiming memory is then work for every thread). A pipe
    // or a file that cannot be advised is read as it is.
    constexpr uint64_t kDropEvery = uint64_t{64} << 20;
    if (advise && offset >= dropped + kDropEvery) {
      const uint64_t upto = offset & ~uint64_t{kDropEvery - 1};
      advise = posix_fadvise(gz_fd, static_cast<off_t>(dropped), static_cast<off_t>(upto - dropped),
                             POSIX_FADV_DONTNEED) == 0;
      dropped = upto;
    }
    return static_cast<size_t>(got);
  };
}

Status ReadImportFile(const ImportSource& read, Importer& importer,
                      const std::function<void()>& tick) {
  // Preparing records is spread over the cores; one thread reads and accepts.
  ParallelAdder parallel(importer, std::max(1u, std::thread::hardware_concurrency()));
  std::string buf;  // unconsumed input
  size_t at = 0;    // where the next line starts in buf
  uint64_t line = 1;
  bool eof = false;
  bool decided = false;  // NDJSON or one document?
  auto fill = [&]() -> Status {
    if (at > 0) {
      buf.erase(0, at);
      at = 0;
    }
    const size_t old = buf.size();
    buf.resize(old + kReadBytes);
    SCIMD_ASSIGN_OR_RETURN(size_t got, read(buf.data() + old, kReadBytes));
    buf.resize(old + got);
    if (got == 0) eof = true;
    if (tick) tick();
    return Status::Ok();
  };
  for (;;) {
    size_t nl = buf.find('\n', at);
    while (nl == std::string::npos && !eof) {
      if (buf.size() - at > kMaxImportLineBytes && decided) {
        return Invalid(line,
                       "a line longer than " + std::to_string(kMaxImportLineBytes >> 20) + " MiB");
      }
      const size_t scanned = buf.size() - at;
      SCIMD_RETURN_IF_ERROR(fill());
      nl = buf.find('\n', at + scanned);
    }
    std::string_view text(buf.data() + at, (nl == std::string::npos ? buf.size() : nl) - at);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (line == 1 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a BOM
    const size_t trimmed = text.find_first_not_of(" \t");
    if (trimmed == std::string_view::npos) {  // blank
      if (nl == std::string::npos) return parallel.Drain();
      at = nl + 1;
      ++line;
      continue;
    }
    if (!decided) {
      decided = true;
      // The first record: one complete JSON value on its line means NDJSON; anything else
      // is one document spread over lines, read whole.
      auto first = Json::Parse(text);
      if (!first.ok() && text[trimmed] != '{' && text[trimmed] != '[') {
        return Invalid(line, "neither NDJSON nor a JSON document");
      }
      if (!first.ok() || text[trimmed] == '[') {
        while (!eof) {
          if (buf.size() > kMaxImportDocumentBytes) {
            return Invalid(1, "a JSON document over " +
                                  std::to_string(kMaxImportDocumentBytes >> 20) +
                                  " MiB: write it as NDJSON, one resource per line");
          }
          SCIMD_RETURN_IF_ERROR(fill());
        }
        return AddDocument(std::string_view(buf).substr(at), line, importer);
      }
    }
    // A line that is a ListResponse or Bulk request is found by the thread that parses it,
    // and read as a document in its turn (ParallelAdder::AcceptReady).
    SCIMD_RETURN_IF_ERROR(parallel.Add(text, line));
    if (nl == std::string::npos) return parallel.Drain();
    at = nl + 1;
    ++line;
  }
}

Result<ImportSummary> RunImport(
    Store& store, TenantId tenant, const TenantSettings& settings, const ImportOptions& options,
    const ImportSource& read,
    const std::function<void(const ImportSummary&, bool writing)>& progress) {
  SCIMD_ASSIGN_OR_RETURN(std::unique_ptr<Importer> importer,
                         Importer::Start(store, tenant, settings, options));
  const Importer& i = *importer;
  auto tick = [&] {
    if (progress) progress(i.summary(), false);
  };
  SCIMD_RETURN_IF_ERROR(ReadImportFile(read, *importer, tick));
  if (progress) progress(i.summary(), true);
  return importer->Finish();
}

}  // namespace scimd::core
