// Micro-benchmark of storage/sst_sorter.h, the part of an import that sorts index entries
// which come in no order (a userName index: name-like values, then an id): entries added
// in a random order to a sorter whose budget holds a quarter of them, so that it writes
// temporary runs and merges them at Finish into SST files (LZ4, as the store's families).
// Items/s = entries/s through Add and Finish. Run with `make bench`.
#include <benchmark/benchmark.h>
#include <rocksdb/options.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "storage/sst_sorter.h"

namespace scimd::storage {
namespace {

// n keys: a shared tenant prefix, "Given.Family<k>@contoso.example", a zero byte, a 16-byte id.
std::vector<std::string> IndexKeys(size_t n) {
  static const char* const kGiven[] = {"Frances", "Margaret", "Ada", "Grace", "Linus", "Ken"};
  static const char* const kFamily[] = {"Perlman", "Torvalds", "Hopper", "Lovelace", "Thompson"};
  std::mt19937_64 rng(3);
  std::vector<std::string> keys;
  keys.reserve(n);
  for (size_t k = 0; k < n; ++k) {
    std::string key("\0\0\0\x2a\x01\x00\x01\x02", 8);  // tenant, type, attribute, kind
    key += kGiven[rng() % std::size(kGiven)];
    key += '.';
    key += kFamily[rng() % std::size(kFamily)];
    key += std::to_string(k);
    key += "@contoso.example";
    key.push_back('\0');
    for (int i = 0; i < 2; ++i) {
      const uint64_t w = rng();
      key.append(reinterpret_cast<const char*>(&w), 8);
    }
    keys.push_back(std::move(key));
  }
  std::shuffle(keys.begin(), keys.end(), rng);
  return keys;
}

void BM_SortIndexEntries(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const std::vector<std::string> keys = IndexKeys(n);
  size_t bytes = 0;
  for (const auto& k : keys) bytes += k.size() + 40;  // and the sorter's entry
  rocksdb::Options options;
  options.compression = rocksdb::kLZ4Compression;
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("scimd-sorter-bench-" + std::to_string(getpid())))
          .string();
  for (auto _ : state) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    SstSorter sorter(dir, "index", options, bytes / 4);
    bool added = true;
    for (const auto& k : keys) {
      if (!sorter.Add(k, {}).ok()) {
        state.SkipWithError("Add failed");
        added = false;
        break;
      }
    }
    if (!added) break;
    auto files = sorter.Finish();
    if (!files.ok()) {
      state.SkipWithError("Finish failed");
      break;
    }
    state.counters["temporary_runs"] = static_cast<double>(sorter.temporary_runs());
  }
  std::filesystem::remove_all(dir);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_SortIndexEntries)->Arg(2'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace scimd::storage

BENCHMARK_MAIN();
