// The reference for the write path (docs/PERFORMANCE.md, issue #19): RocksDB's own rate of
// single Puts of the records scimd stores, with as many writer threads as scimd has
// reactors, measured in the same run as scimd's POST and PATCH (scripts/write_load.sh).
//
//   raw_put_bench STORE DIR [THREADS [SECONDS]]
//
// A new database in DIR with STORE's options (its OPTIONS file: every column family, table
// format, bloom filters, compression; see bench/rocks_options.h), then THREADS threads (2)
// for SECONDS seconds (10) each Put one ~1 KB user (bench/bench_users.h, the import's user)
// under a resource key with a random id into the resources family: one Put per write
// batch, WAL on, no fsync (scimd's default, without --sync). Prints
//   RESULT raw_put threads=T puts=N seconds=S puts_per_s=R p50_us=A p99_us=B
// It is what one key write costs RocksDB; a scimd create writes ~18 keys in one
// transaction after parsing, validating and checking uniqueness, and answers over HTTP.
#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_users.h"
#include "bench/latency.h"
#include "bench/rocks_options.h"
#include "core/base/ids.h"
#include "storage/key_codec.h"

namespace {

constexpr const char* kProgram = "raw_put_bench";
constexpr size_t kValues = 1024;  // distinct records, made before the clock starts

int Run(const std::string& store, const std::string& dir, unsigned threads, double seconds) {
  rocksdb::DBOptions db_options;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  if (!scimd::bench::LoadStoreOptions(kProgram, store, db_options, families)) return 1;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (!scimd::bench::CheckRocks(
          kProgram, rocksdb::DB::Open(db_options, dir, families, &handles, &raw), "open " + dir)) {
    return 1;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::ColumnFamilyHandle* resources = nullptr;
  for (size_t i = 0; i < families.size(); ++i) {
    if (families[i].name == scimd::storage::kCfResources) resources = handles[i];
  }
  if (resources == nullptr) {
    std::cerr << kProgram << ": " << store << " has no resources family\n";
    return 1;
  }
  std::vector<std::string> values;
  for (size_t i = 0; i < kValues; ++i)
    values.push_back(scimd::bench::UserJson(static_cast<long>(i)));

  rocksdb::WriteOptions write;  // WAL on, no fsync
  std::atomic<bool> failed{false};
  std::vector<std::vector<uint32_t>> latencies_us(threads);
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::string key;
      auto& lat = latencies_us[t];
      lat.reserve(1 << 20);
      for (uint64_t n = 0; !failed.load(std::memory_order_relaxed); ++n) {
        const auto before = std::chrono::steady_clock::now();
        if (before >= deadline) break;
        const uint64_t r = scimd::bench::Mix((uint64_t{t} << 48) ^ n);
        scimd::core::ResourceId id;
        for (int b = 0; b < 8; ++b) {
          id.bytes[b] = static_cast<uint8_t>(r >> (8 * b));
          id.bytes[8 + b] = static_cast<uint8_t>(scimd::bench::Mix(r) >> (8 * b));
        }
        scimd::storage::EncodeResourceKey(&key, 1, scimd::core::ResourceType::kUser, id);
        const rocksdb::Status s = db->Put(write, resources, key, values[r % kValues]);
        if (!s.ok()) {
          scimd::bench::CheckRocks(kProgram, s, "put");
          failed = true;
          break;
        }
        lat.push_back(static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                std::chrono::steady_clock::now() - before)
                                                .count()));
      }
    });
  }
  for (auto& w : workers) w.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  if (failed) return 1;
  const scimd::bench::LatencySummary lat = scimd::bench::Summarize(latencies_us);
  if (lat.count == 0) return 1;
  std::printf(
      "RESULT raw_put threads=%u puts=%zu seconds=%.2f puts_per_s=%.0f p50_us=%u p99_us=%u\n",
      threads, lat.count, elapsed, static_cast<double>(lat.count) / elapsed, lat.p50_us,
      lat.p99_us);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 5) {
    std::cerr << "usage: raw_put_bench STORE DIR [THREADS [SECONDS]]\n";
    return 2;
  }
  const unsigned threads = argc > 3 ? static_cast<unsigned>(std::atoi(argv[3])) : 2;
  const double seconds = argc > 4 ? std::atof(argv[4]) : 10;
  if (threads == 0 || threads > 64 || !(seconds > 0 && seconds <= 600)) {
    std::cerr << "raw_put_bench: THREADS 1-64, SECONDS above 0 and at most 600\n";
    return 2;
  }
  return Run(argv[1], argv[2], threads, seconds);
}
