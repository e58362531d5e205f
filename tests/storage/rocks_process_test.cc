// Cross-process behaviour: acknowledged commits survive kill -9, and a store held open by
// another process cannot be opened. The child is this test binary re-executed (fork +
// exec, so it starts clean rather than inheriting RocksDB's threads) and running the
// StorageChildProcess.Helper test with its role in the environment.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "storage/rocks_store.h"
#include "tests/storage/store_test_util.h"
#include "tests/storage/test_util.h"

extern char** environ;

namespace scimd::storage {
namespace {

using core::ResourceId;
using core::ResourceType;
using core::Status;
using core::Transaction;
using testing::Id;
using testing::TempDir;

constexpr char kModeEnv[] = "SCIMD_STORAGE_CHILD_MODE";
constexpr char kDirEnv[] = "SCIMD_STORAGE_CHILD_DIR";
constexpr char kFdEnv[] = "SCIMD_STORAGE_CHILD_FD";
constexpr uint32_t kMaxWrites = 1'000'000;  // the parent kills the writer long before

std::string ValueFor(uint32_t i) { return "value-" + std::to_string(i); }

bool WriteAll(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Child roles. "writer": commit resource i (plus its count and presence entry), then
// report i on the pipe, forever. "holder": open the store, report, wait to be killed.
void RunChild(const std::string& mode, const std::string& dir, int fd) {
  auto opened = RocksStore::Open(dir, {});
  if (!opened.ok()) _exit(3);
  std::unique_ptr<RocksStore> store = std::move(opened).value();
  if (mode == "holder") {
    const char ready = 'R';
    if (!WriteAll(fd, &ready, 1)) _exit(4);
    for (;;) pause();
  }
  for (uint32_t i = 0; i < kMaxWrites; ++i) {
    Status s = testing::RunTxn(*store, 1, [&](Transaction& txn) {
      SCIMD_RETURN_IF_ERROR(txn.PutResource(ResourceType::kUser, Id(i), ValueFor(i)));
      SCIMD_RETURN_IF_ERROR(txn.AddPresence(ResourceType::kUser, 1, Id(i)));
      return txn.AdjustResourceCount(ResourceType::kUser, 1);
    });
    if (!s.ok()) _exit(5);
    if (!WriteAll(fd, &i, sizeof(i))) _exit(6);  // acknowledged only after Commit returned
  }
  _exit(0);
}

// Not a test: the body of the child process. Skipped in a normal run.
TEST(StorageChildProcess, Helper) {
  const char* mode = std::getenv(kModeEnv);
  if (mode == nullptr) GTEST_SKIP() << "runs only as the child of a process test";
  RunChild(mode, std::getenv(kDirEnv), std::atoi(std::getenv(kFdEnv)));
}

struct Child {
  pid_t pid = -1;
  int read_fd = -1;
};

// Everything the child needs is prepared before fork(): between fork and exec it only
// calls async-signal-safe functions.
Child Spawn(const std::string& mode, const std::string& dir) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.push_back(std::string(kModeEnv) + "=" + mode);
  env_strings.push_back(std::string(kDirEnv) + "=" + dir);
  env_strings.push_back(std::string(kFdEnv) + "=" + std::to_string(fds[1]));
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string exe = "/proc/self/exe";
  std::string filter = "--gtest_filter=StorageChildProcess.Helper";
  char* argv[] = {exe.data(), filter.data(), nullptr};

  const int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);  // the child's gtest chatter
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    if (devnull >= 0) dup2(devnull, STDOUT_FILENO);
    execve(exe.c_str(), argv, envp.data());
    _exit(127);
  }
  close(fds[1]);
  if (devnull >= 0) close(devnull);
  if (pid < 0) {
    close(fds[0]);
    return {};
  }
  return {pid, fds[0]};
}

// Reads exactly n bytes; false on EOF or error.
bool ReadAll(int fd, void* data, size_t n) {
  char* p = static_cast<char*>(data);
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

TEST(RocksStoreProcessTest, AcknowledgedWritesSurviveKill9) {
  TempDir dir;
  const std::string path = dir.Sub("db");
  constexpr uint32_t kKillAfter = 500;
  Child child = Spawn("writer", path);
  ASSERT_GT(child.pid, 0);

  // Read acknowledgements until kKillAfter, kill mid-stream, then drain the ones that
  // were written before the kill: they are acknowledged too.
  uint32_t acked = 0, i = 0;
  while (acked < kKillAfter && ReadAll(child.read_fd, &i, sizeof(i))) {
    ASSERT_EQ(i, acked);
    ++acked;
  }
  ASSERT_EQ(acked, kKillAfter) << "writer died early";
  ASSERT_EQ(kill(child.pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child.pid, &status, 0), child.pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  while (ReadAll(child.read_fd, &i, sizeof(i))) {
    ASSERT_EQ(i, acked);
    ++acked;
  }
  close(child.read_fd);

  auto store = testing::OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  for (uint32_t k = 0; k < acked; ++k) {
    auto v = store->GetResource(1, ResourceType::kUser, Id(k));
    ASSERT_TRUE(v.ok()) << "acknowledged write " << k << " of " << acked << " lost";
    EXPECT_EQ(*v, ValueFor(k));
  }
  // Each commit was atomic: resources, presence entries and the count agree (the one
  // commit in flight at the kill is either wholly there or wholly absent).
  size_t resources = 0, presence = 0;
  ASSERT_TRUE(store
                  ->ScanResources(1, ResourceType::kUser, std::nullopt,
                                  [&](const ResourceId&, std::string_view) {
                                    ++resources;
                                    return true;
                                  })
                  .ok());
  ASSERT_TRUE(store
                  ->ScanPresence(1, ResourceType::kUser, 1,
                                 [&](const ResourceId&) {
                                   ++presence;
                                   return true;
                                 })
                  .ok());
  EXPECT_GE(resources, acked);
  EXPECT_LE(resources, acked + 1u);
  EXPECT_EQ(presence, resources);
  EXPECT_EQ(*store->CountResources(1, ResourceType::kUser), resources);
  std::printf("acknowledged %u, found %zu after kill -9\n", acked, resources);
}

TEST(RocksStoreProcessTest, StoreOpenInAnotherProcessIsLocked) {
  TempDir dir;
  const std::string path = dir.Sub("db");
  Child child = Spawn("holder", path);
  ASSERT_GT(child.pid, 0);
  char ready = 0;
  const bool got_ready = ReadAll(child.read_fd, &ready, 1);
  if (got_ready) {
    auto store = RocksStore::Open(path, {});
    ASSERT_FALSE(store.ok());
    EXPECT_TRUE(store.status().Is(Status::Code::kIoError));
    EXPECT_NE(store.status().detail().find("locked"), std::string::npos) << store.status().detail();
    EXPECT_NE(store.status().detail().find("running scimd"), std::string::npos);
  }
  kill(child.pid, SIGKILL);
  waitpid(child.pid, nullptr, 0);
  close(child.read_fd);
  ASSERT_TRUE(got_ready) << "holder did not open the store";
  // The lock dies with the process.
  EXPECT_TRUE(RocksStore::Open(path, {}).ok());
}

}  // namespace
}  // namespace scimd::storage
