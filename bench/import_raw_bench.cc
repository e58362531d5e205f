// The reference for import speed (docs/PERFORMANCE.md, issue #18), and the generator of its
// input:
//   import_raw_bench generate N FILE   N users of about 1 KB each as NDJSON, the shape an
//                                      Entra ID or Okta export has (core and enterprise
//                                      attributes, two emails, phones, an address)
//   import_raw_bench raw FILE DIR      the same records written the cheapest way RocksDB
//                                      allows: each line's bytes as the value of a
//                                      sequential key, in key order, through SstFileWriter
//                                      into one file, ingested into a new store in DIR
// scripts/import_bench.sh runs both and `scimctl import` on the same file, in one run.
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

namespace {

uint64_t Mix(uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

const char* const kGiven[] = {"Ada",    "Grace",   "Alan", "Barbara", "Linus",  "Margaret",
                              "Dennis", "Frances", "Ken",  "Radia",   "Edsger", "Hedy"};
const char* const kFamily[] = {"Lovelace", "Hopper", "Turing",   "Liskov",  "Torvalds", "Hamilton",
                               "Ritchie",  "Allen",  "Thompson", "Perlman", "Dijkstra", "Lamarr"};
const char* const kDept[] = {"Engineering", "Sales", "Finance", "Support", "Marketing", "Legal"};
const char* const kCity[] = {"Seattle", "Berlin", "Paris", "Toronto", "Sydney", "Madrid"};

int Generate(long n, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  std::string line;
  for (long i = 0; i < n; ++i) {
    const uint64_t r = Mix(static_cast<uint64_t>(i));
    const std::string given = kGiven[r % 12], family = kFamily[(r >> 8) % 12];
    const std::string num = std::to_string(i);
    const std::string mail = given + "." + family + num + "@contoso.example";
    line.clear();
    line +=
        R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],)";
    line += R"("externalId":"00u)" + std::to_string(r % 1000000000000ull) + num + R"(",)";
    line += R"("userName":")" + mail + R"(","active":true,)";
    line += R"("displayName":")" + given + " " + family + R"(",)";
    line += R"("name":{"formatted":")" + given + " " + family + R"(","givenName":")" + given +
            R"(","familyName":")" + family + R"("},)";
    line += R"("title":"Senior Engineer )" + std::to_string(r % 7) +
            R"(","preferredLanguage":"en-US","locale":"en-US","timezone":"America/Los_Angeles",)";
    line += R"("emails":[{"value":")" + mail + R"(","type":"work","primary":true},{"value":")" +
            given + num + R"(@home.example","type":"home"}],)";
    line += R"("phoneNumbers":[{"value":"+1 555 )" + std::to_string(1000000 + r % 9000000) +
            R"(","type":"work"},{"value":"+1 555 )" +
            std::to_string(1000000 + (r >> 20) % 9000000) + R"(","type":"mobile"}],)";
    line += R"("addresses":[{"type":"work","streetAddress":")" + std::to_string(r % 9999) +
            R"( Main Street","locality":")" + kCity[(r >> 16) % 6] +
            R"(","region":"WA","postalCode":"98)" + std::to_string(100 + r % 900) +
            R"(","country":"US","primary":true}],)";
    line += R"("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":")" +
            num + R"(","costCenter":"CC-)" + std::to_string(r % 500) +
            R"(","organization":"Contoso","division":"Cloud","department":")" +
            kDept[(r >> 24) % 6] + R"("}})";
    line.push_back('\n');
    out << line;
  }
  return out ? 0 : 1;
}

int Raw(const std::string& path, const std::string& dir) {
  const auto start = std::chrono::steady_clock::now();
  rocksdb::Options options;
  options.create_if_missing = true;
  options.IncreaseParallelism(2);
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(options, dir, &raw).ok()) return 1;
  std::unique_ptr<rocksdb::DB> db(raw);

  std::ifstream in(path, std::ios::binary);
  rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options);
  const std::string sst = dir + "/raw.sst";
  if (!writer.Open(sst).ok()) return 1;
  std::string line;
  uint64_t n = 0, bytes = 0;
  char key[24] = {0, 0, 0, 1, 1};  // tenant 1, User, then a 16-byte id
  while (std::getline(in, line)) {
    ++n;
    for (int i = 0; i < 8; ++i) key[5 + i] = static_cast<char>(n >> (56 - 8 * i));
    bytes += line.size();
    if (!writer.Put(rocksdb::Slice(key, 21), line).ok()) return 1;
  }
  if (!writer.Finish().ok()) return 1;
  rocksdb::IngestExternalFileOptions ingest;
  ingest.move_files = true;
  if (!db->IngestExternalFile({sst}, ingest).ok()) return 1;
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("raw: %llu records, %.1f MiB in %.2f s: %.0f records/s\n",
              static_cast<unsigned long long>(n), static_cast<double>(bytes) / (1 << 20), s,
              static_cast<double>(n) / s);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "generate" && argc == 4) return Generate(std::atol(argv[2]), argv[3]);
  if (mode == "raw" && argc == 4) return Raw(argv[2], argv[3]);
  std::cerr << "usage: import_raw_bench generate N FILE | raw FILE DIR\n";
  return 2;
}
