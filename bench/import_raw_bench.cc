// The reference for import speed (docs/PERFORMANCE.md, issue #18), and the generator of its
// input:
//   import_raw_bench generate N FILE   N users of about 1 KB each as NDJSON, the shape an
//                                      Entra ID or Okta export has (core and enterprise
//                                      attributes, two emails, phones, an address)
//   import_raw_bench raw STORE DIR     the bytes an import wrote, written again the cheapest
//                                      way RocksDB allows, timed
// raw: first (untimed) every key and value of the families an import writes (resources,
// index, unique, members, member_of, counters) is read from STORE, the data directory a
// `scimctl import` just filled, into one flat file per family, in key order. Then (timed):
// a new store in DIR/db with STORE's options (its OPTIONS file: compression, bloom filters,
// block format), each family's file read back and written through SstFileWriter (one thread
// per family, files closed past 256 MiB, as the import's last step does), and one
// IngestExternalFiles of them all. So raw is the irreducible cost of writing exactly those
// bytes; it excludes reading and parsing JSON, validation, ids, deriving index entries and
// sorting, which are the import's own work. Counters are written as their final values
// where the import writes merge operands (a few keys).
// scripts/import_bench.sh runs `scimctl import` and then raw on its store, in one run.
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "bench/bench_users.h"
#include "bench/rocks_options.h"
#include "storage/key_codec.h"

namespace {

int Generate(long n, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  for (long i = 0; i < n; ++i) out << scimd::bench::UserJson(i) << '\n';
  return out ? 0 : 1;
}

// The column families an import writes (storage/rocks_bulk_load.cc), in its order.
const char* const kLoadFamilies[] = {scimd::storage::kCfResources, scimd::storage::kCfIndex,
                                     scimd::storage::kCfUnique,    scimd::storage::kCfMembers,
                                     scimd::storage::kCfMemberOf,  scimd::storage::kCfCounters};
constexpr size_t kFamilies = sizeof(kLoadFamilies) / sizeof(kLoadFamilies[0]);
// As storage/sst_sorter.cc: a written file is closed past this size.
constexpr uint64_t kFileBytes = uint64_t{256} << 20;

bool Check(const rocksdb::Status& s, const std::string& what) {
  return scimd::bench::CheckRocks("import_raw_bench", s, what);
}

bool LoadOptions(const std::string& dir, rocksdb::DBOptions& db,
                 std::vector<rocksdb::ColumnFamilyDescriptor>& families) {
  return scimd::bench::LoadStoreOptions("import_raw_bench", dir, db, families);
}

void PutU32(std::string& out, uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); }

// Untimed: every entry of the import's families in `store` to `out/<family>.kv` (u32 key
// size, u32 value size, key, value), in key order: what the timed part writes.
bool Dump(const std::string& store, const std::string& out) {
  rocksdb::DBOptions db_options;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  if (!LoadOptions(store, db_options, families)) return false;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (!Check(rocksdb::DB::OpenForReadOnly(db_options, store, families, &handles, &raw),
             "open " + store)) {
    return false;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  bool ok = true;
  for (size_t i = 0; i < families.size(); ++i) {
    bool load = false;
    for (const char* name : kLoadFamilies) load = load || families[i].name == name;
    if (!load) continue;
    std::FILE* f = std::fopen((out + "/" + families[i].name + ".kv").c_str(), "wb");
    if (f == nullptr) return false;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[i]));
    std::string buf;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      PutU32(buf, static_cast<uint32_t>(it->key().size()));
      PutU32(buf, static_cast<uint32_t>(it->value().size()));
      buf.append(it->key().data(), it->key().size());
      buf.append(it->value().data(), it->value().size());
      if (buf.size() >= (1 << 20)) {
        ok = ok && std::fwrite(buf.data(), 1, buf.size(), f) == buf.size();
        buf.clear();
      }
    }
    ok = ok && std::fwrite(buf.data(), 1, buf.size(), f) == buf.size();
    ok = ok && Check(it->status(), "reading " + families[i].name);
    ok = std::fclose(f) == 0 && ok;
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  return ok;
}

struct Written {
  std::vector<std::string> files;
  uint64_t entries = 0;
  uint64_t bytes = 0;
  bool ok = true;
};

// Timed: one family's dumped entries, read back and written through SstFileWriter.
Written WriteFamily(const rocksdb::Options& options, const std::string& dump,
                    const std::string& prefix) {
  Written w;
  std::FILE* f = std::fopen(dump.c_str(), "rb");
  if (f == nullptr) return w;
  std::setvbuf(f, nullptr, _IOFBF, 1 << 20);
  std::unique_ptr<rocksdb::SstFileWriter> writer;
  std::string key, value;
  for (uint32_t sizes[2]; std::fread(sizes, 4, 2, f) == 2;) {
    key.resize(sizes[0]);
    value.resize(sizes[1]);
    if (std::fread(key.data(), 1, key.size(), f) != key.size() ||
        std::fread(value.data(), 1, value.size(), f) != value.size()) {
      w.ok = false;
      break;
    }
    if (writer && writer->FileSize() >= kFileBytes) {
      w.ok = w.ok && Check(writer->Finish(), "finish");
      writer.reset();
    }
    if (!writer) {
      writer = std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(), options);
      w.files.push_back(prefix + "-" + std::to_string(w.files.size()) + ".sst");
      w.ok = w.ok && Check(writer->Open(w.files.back()), "open " + w.files.back());
    }
    w.ok = w.ok && Check(writer->Put(key, value), "put");
    ++w.entries;
    w.bytes += key.size() + value.size();
  }
  if (writer) w.ok = w.ok && Check(writer->Finish(), "finish");
  std::fclose(f);
  return w;
}

// import_raw_bench raw STORE DIR: see the top of the file.
int Raw(const std::string& store, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir + "/dump", ec);
  if (ec || !Dump(store, dir + "/dump")) return 1;

  const auto start = std::chrono::steady_clock::now();
  rocksdb::DBOptions db_options;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  if (!LoadOptions(store, db_options, families)) return 1;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (!Check(rocksdb::DB::Open(db_options, dir + "/db", families, &handles, &raw), "open")) {
    return 1;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  // One thread per family, as the import's last step (RocksBulkLoad::Finish).
  std::vector<Written> written(families.size());
  std::vector<size_t> loaded;
  {
    std::vector<std::thread> threads;
    for (size_t i = 0; i < families.size(); ++i) {
      const std::string dump = dir + "/dump/" + families[i].name + ".kv";
      if (!std::filesystem::exists(dump)) continue;
      loaded.push_back(i);
      threads.emplace_back([&, i, dump] {
        written[i] = WriteFamily(rocksdb::Options(db_options, families[i].options), dump,
                                 dir + "/" + families[i].name);
      });
    }
    for (auto& t : threads) t.join();
  }
  std::vector<rocksdb::IngestExternalFileArg> args;
  uint64_t entries = 0, bytes = 0, records = 0;
  for (size_t i : loaded) {
    if (!written[i].ok) return 1;
    entries += written[i].entries;
    bytes += written[i].bytes;
    if (families[i].name == scimd::storage::kCfResources) records = written[i].entries;
    if (written[i].files.empty()) continue;
    rocksdb::IngestExternalFileArg arg;
    arg.column_family = handles[i];
    arg.external_files = written[i].files;
    arg.options.move_files = true;  // as RocksBulkLoad::Finish
    arg.options.snapshot_consistency = true;
    arg.options.allow_global_seqno = true;
    arg.options.allow_blocking_flush = true;
    args.push_back(std::move(arg));
  }
  if (!args.empty() && !Check(db->IngestExternalFiles(args), "ingest")) return 1;
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  db.reset();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "raw: %llu records (%llu entries, %.1f MiB of keys and values) in %.2f s: %.0f "
      "records/s\n",
      static_cast<unsigned long long>(records), static_cast<unsigned long long>(entries),
      static_cast<double>(bytes) / (1 << 20), s, static_cast<double>(records) / s);
  std::filesystem::remove_all(dir + "/dump", ec);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "generate" && argc == 4) return Generate(std::atol(argv[2]), argv[3]);
  if (mode == "raw" && argc == 4) return Raw(argv[2], argv[3]);
  std::cerr << "usage: import_raw_bench generate N FILE | raw STORE DIR\n";
  return 2;
}
