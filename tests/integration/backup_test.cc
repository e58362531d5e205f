// Online backup and restore (issue #21, tools/backup.h): `scimctl --server URL backup DIR`
// while four clients create users, `scimctl restore DIR --data NEW`, and a server on the
// restored directory answers for every user acknowledged before the backup began exactly as
// the original server does (same body, same ETag); users created after the backup ended
// are not there; `scimctl check` finds nothing. A damaged or incomplete backup is refused
// and leaves nothing behind; an offline backup of a stopped directory restores too.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.h"

namespace scimd::testing {
namespace {

constexpr char kAdminToken[] = "admin-token-for-backup-tests-0123456789abcdef";

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("SCIMD_ADMIN_TOKEN", kAdminToken, 1);
    data_ = dir_.path() + "/data";
    token_ = CreateTenantWithToken(data_, "acme");
  }
  std::vector<std::pair<std::string, std::string>> Auth() {
    return {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/scim+json"}};
  }
  TempDir dir_;
  std::string data_, token_;
};

TEST_F(BackupTest, ABackupTakenUnderWriteLoadRestoresToTheSameAnswers) {
  const std::string admin_port_file = dir_.path() + "/admin.port";
  ScimdProcess server(data_,
                      {"--admin-listen", "127.0.0.1:0", "--admin-port-file", admin_port_file});
  const std::string admin_url =
      "http://127.0.0.1:" + std::to_string(WaitForPortFile(admin_port_file));

  // Four writers; each acknowledged id with the moment it was acknowledged.
  using Clock = std::chrono::steady_clock;
  std::mutex mu;
  std::vector<std::pair<std::string, Clock::time_point>> acked;
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      HttpClient client(server.port());
      for (int i = 0; !stop.load() && i < 100000; ++i) {
        const std::string body = R"({"userName":"w)" + std::to_string(w) + "-" + std::to_string(i) +
                                 R"(@example.com","title":"backed up"})";
        HttpResult r = client.Send("POST", "/scim/v2/Users", body, Auth());
        if (r.status != 201) {
          failures.fetch_add(1);
          continue;
        }
        std::lock_guard<std::mutex> lock(mu);
        acked.emplace_back(IdOf(r.body), Clock::now());
      }
    });
  }
  auto count = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return acked.size();
  };
  while (count() < 300) std::this_thread::sleep_for(std::chrono::milliseconds(10));

  const std::string backup_dir = dir_.path() + "/backup";
  const auto backup_began = Clock::now();
  CommandResult backup = RunCommand({ScimctlBin(), "--server", admin_url, "backup", backup_dir});
  const auto backup_ended = Clock::now();
  ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;
  EXPECT_NE(backup.out.find("backup: "), std::string::npos) << backup.out;
  // Writes go on after it; then they stop.
  const size_t at_end = count();
  while (count() < at_end + 100) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop = true;
  for (auto& t : writers) t.join();
  EXPECT_EQ(failures.load(), 0);
  // The server keeps no copy of the checkpoint once scimctl has it.
  EXPECT_TRUE(std::filesystem::is_empty(data_ + "/backups"));

  const std::string restored = dir_.path() + "/restored";
  CommandResult restore = RunCommand({ScimctlBin(), "restore", backup_dir, "--data", restored});
  ASSERT_EQ(restore.exit_code, 0) << restore.out << restore.err;
  EXPECT_NE(restore.out.find("1 tenants"), std::string::npos) << restore.out;
  CommandResult check = RunCommand({ScimctlBin(), "--data", restored, "check", "acme"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("0 problems"), std::string::npos) << check.out;

  ScimdProcess copy(restored, {});
  HttpClient original(server.port()), from_backup(copy.port());
  size_t before = 0, after = 0;
  for (const auto& [id, when] : acked) {
    if (when < backup_began) {
      ++before;
      HttpResult a = original.Send("GET", "/scim/v2/Users/" + id, "", Auth());
      HttpResult b = from_backup.Send("GET", "/scim/v2/Users/" + id, "", Auth());
      ASSERT_EQ(b.status, 200) << "acknowledged before the backup, missing: " << id;
      // The same body but for the server's own address in meta.location.
      EXPECT_EQ(Unport(b.body, copy.port()), Unport(a.body, server.port()));
      EXPECT_EQ(b.Header("etag"), a.Header("etag"));
    } else if (when > backup_ended) {
      ++after;
      EXPECT_EQ(from_backup.Send("GET", "/scim/v2/Users/" + id, "", Auth()).status, 404) << id;
    }
  }
  EXPECT_GE(before, 300u);
  EXPECT_GE(after, 100u);
  // The same token works on the copy, and a list agrees with what it holds.
  HttpResult list = from_backup.Send("GET", "/scim/v2/Users?count=1", "", Auth());
  EXPECT_EQ(list.status, 200);
}

TEST_F(BackupTest, DamagedOrIncompleteBackupsAreRefusedAndOfflineBackupsRestore) {
  {
    ScimdProcess server(data_, {});
    HttpClient client(server.port());
    ASSERT_EQ(client.Send("POST", "/scim/v2/Users", R"({"userName":"offline@example.com"})", Auth())
                  .status,
              201);
  }
  // Offline: the stopped data directory.
  const std::string backup_dir = dir_.path() + "/offline";
  CommandResult backup = RunCommand({ScimctlBin(), "--data", data_, "backup", backup_dir});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  // Not into a directory that holds something.
  CommandResult again = RunCommand({ScimctlBin(), "--data", data_, "backup", backup_dir});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("not an empty directory"), std::string::npos) << again.err;

  const std::string restored = dir_.path() + "/restored";
  ASSERT_EQ(RunCommand({ScimctlBin(), "restore", backup_dir, "--data", restored}).exit_code, 0);
  {
    ScimdProcess copy(restored, {});
    HttpClient client(copy.port());
    HttpResult found = client.Send(
        "GET", "/scim/v2/Users?filter=userName%20eq%20%22offline%40example.com%22", "", Auth());
    EXPECT_NE(found.body.find("\"totalResults\":1"), std::string::npos) << found.body;
  }
  // Not over a data directory that holds something.
  CommandResult over = RunCommand({ScimctlBin(), "restore", backup_dir, "--data", restored});
  EXPECT_NE(over.exit_code, 0);
  EXPECT_NE(over.err.find("not empty"), std::string::npos) << over.err;

  // One byte changed in a file: refused, nothing written.
  std::string sst;
  for (const auto& e : std::filesystem::directory_iterator(backup_dir)) {
    if (e.path().extension() == ".sst") sst = e.path().string();
  }
  ASSERT_FALSE(sst.empty());
  {
    std::fstream f(sst, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(10);
    f.put('\x5a');
  }
  const std::string damaged_target = dir_.path() + "/from-damaged";
  CommandResult damaged =
      RunCommand({ScimctlBin(), "restore", backup_dir, "--data", damaged_target});
  EXPECT_NE(damaged.exit_code, 0);
  EXPECT_NE(damaged.err.find("damaged"), std::string::npos) << damaged.err;
  EXPECT_FALSE(std::filesystem::exists(damaged_target));
  // Without its manifest (a backup cut short): refused.
  std::filesystem::remove(backup_dir + "/SCIMD-BACKUP.json");
  CommandResult cut = RunCommand({ScimctlBin(), "restore", backup_dir, "--data", damaged_target});
  EXPECT_NE(cut.exit_code, 0);
  EXPECT_NE(cut.err.find("not a whole scimd backup"), std::string::npos) << cut.err;
}

}  // namespace
}  // namespace scimd::testing
