// Replication over a real loopback connection between two RocksStores in one process
// (net/replication_leader.h, net/replication_follower.h): a follower catches up and tails
// the leader's log; a write is reported replicated only once the follower holds it, and
// not at all while no follower answers; a follower that stopped catches up again; a store
// holding writes the leader's log lacks is told to be seeded again; a leader of an older
// term is refused.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "core/usecase/service.h"
#include "net/replication_follower.h"
#include "net/replication_leader.h"
#include "storage/rocks_store.h"
#include "tests/storage/store_test_util.h"
#include "tests/storage/test_util.h"

namespace scimd::net {
namespace {

using storage::RocksStore;
using storage::testing::CheckProblems;
using storage::testing::CreateResource;
using storage::testing::ExportText;
using storage::testing::ImportText;
using storage::testing::OpenOrDie;
using storage::testing::TempDir;

constexpr char kSecret[] = "the group's replication secret";

class ReplicationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RocksStore::Options options;
    options.replicated = true;
    leader_store_ = OpenOrDie(dir_.Sub("leader"), options);
    follower_store_ = OpenOrDie(dir_.Sub("follower"), options);
    ASSERT_TRUE(leader_store_->StartTerm(7).ok());
    auto t = leader_store_->CreateTenant("acme");
    ASSERT_TRUE(t.ok());
    ctx_.tenant = t->id;
    ctx_.may_wait = true;
    service_ = std::make_unique<core::Service>(*leader_store_);
    ReplicationLeader::Options lo;
    lo.term = 7;
    lo.node_id = 1;
    lo.followers_needed = 1;
    lo.followers_total = 1;
    lo.ack_timeout = std::chrono::milliseconds(400);
    lo.may_acknowledge = [this] { return lease_ok_.load(); };
    lo.key = MakeReplicaKey(kSecret);
    leader_ = std::make_unique<ReplicationLeader>(*leader_store_, lo);
    ASSERT_TRUE(listener_.Listen("127.0.0.1", 0).ok());
    acceptor_ = std::thread([this] {
      while (!stop_accepting_) {
        auto socket = listener_.Accept(50);
        if (!socket.ok() || !socket->has_value()) continue;
        const std::string challenge = ReplicaNonce();
        if (!(*socket)->Send(ReplicaMessage::kChallenge, challenge, 1000).ok()) continue;
        ReplicaMessage type;
        std::string payload;
        if (!(*socket)->Receive(&type, &payload, 1000).ok()) continue;
        auto hello = DecodeHello(payload);
        if (hello.ok()) leader_->Serve(std::move(**socket), *hello, challenge);
      }
    });
  }
  void TearDown() override {
    StopFollower();
    stop_accepting_ = true;
    acceptor_.join();
    leader_->Stop();
  }

  void StartFollower(uint64_t term_seen = 7, const std::string& secret = kSecret) {
    stop_follower_ = false;
    follower_ = std::async(std::launch::async, [this, term_seen, secret] {
      FollowOptions o;
      o.key = MakeReplicaKey(secret);
      o.node_id = 2;
      o.leader_host = "127.0.0.1";
      o.leader_port = listener_.port();
      o.term_seen = term_seen;
      std::string why;
      FollowEnd end = FollowLeader(*follower_store_, o, stop_follower_, &why);
      return std::make_pair(end, why);
    });
  }
  std::pair<FollowEnd, std::string> StopFollower() {
    if (!follower_.valid()) return {FollowEnd::kStopped, ""};
    stop_follower_ = true;
    return follower_.get();
  }
  void Users(int from, int n) {
    for (int i = from; i < from + n; ++i) {
      CreateResource(*service_, ctx_, core::ResourceType::kUser,
                     R"({"userName":"u)" + std::to_string(i) + R"("})");
    }
    leader_->Notify();
  }
  // Whether the leader reports its latest commit replicated (and how), within 10 s.
  std::optional<bool> Replicated() {
    std::promise<bool> answer;
    leader_->WhenReplicated(leader_store_->LatestSequence(),
                            [&](bool ok) { answer.set_value(ok); });
    auto f = answer.get_future();
    if (f.wait_for(std::chrono::seconds(10)) != std::future_status::ready) return std::nullopt;
    return f.get();
  }

  TempDir dir_;
  std::unique_ptr<RocksStore> leader_store_, follower_store_;
  core::RequestContext ctx_;
  std::unique_ptr<core::Service> service_;
  std::atomic<bool> lease_ok_{true};
  std::unique_ptr<ReplicationLeader> leader_;
  ReplicaListener listener_;
  std::atomic<bool> stop_accepting_{false};
  std::thread acceptor_;
  std::atomic<bool> stop_follower_{false};
  std::future<std::pair<FollowEnd, std::string>> follower_;
};

TEST_F(ReplicationTest, AWriteIsReplicatedOnceTheFollowerHoldsIt) {
  Users(0, 50);
  StartFollower();
  ASSERT_EQ(Replicated(), std::optional<bool>(true));
  EXPECT_GE(follower_store_->LatestSequence(), leader_store_->LatestSequence());
  for (int round = 1; round <= 5; ++round) {
    Users(round * 100, 30);
    ASSERT_EQ(Replicated(), std::optional<bool>(true));
  }
  EXPECT_EQ(follower_store_->LatestSequence(), leader_store_->LatestSequence());
  EXPECT_EQ(ExportText(*follower_store_, ctx_.tenant), ExportText(*leader_store_, ctx_.tenant));
  EXPECT_EQ(CheckProblems(*follower_store_, ctx_.tenant), 0u);
  auto followers = leader_->Followers();
  ASSERT_EQ(followers.size(), 1u);
  EXPECT_EQ(followers[0].node, 2u);
  EXPECT_TRUE(followers[0].connected);
  EXPECT_EQ(followers[0].position, leader_store_->LatestSequence());
  EXPECT_EQ(followers[0].lag_bytes, 0u);
}

// An import on the leader (an ingest: files, no WAL record) reaches the follower over the
// connection: its files first, then its frame; the write after it too. Once the follower
// holds it, the leader no longer keeps the files.
TEST_F(ReplicationTest, AnImportReachesTheFollowerWithItsFiles) {
  Users(0, 5);
  StartFollower();
  ASSERT_EQ(Replicated(), std::optional<bool>(true));
  std::string text;
  for (int i = 0; i < 2000; ++i) {
    text += R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"imp)" +
            std::to_string(i) + R"(","emails":[{"value":"imp)" + std::to_string(i) +
            R"(@x.com"}]})" + "\n";
  }
  auto imported = ImportText(*leader_store_, ctx_.tenant, text);
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  const std::string kept = leader_store_->dir() + "/replication-ingests";
  Users(100, 3);
  ASSERT_EQ(Replicated(), std::optional<bool>(true));
  EXPECT_EQ(follower_store_->LatestSequence(), leader_store_->LatestSequence());
  EXPECT_EQ(ExportText(*follower_store_, ctx_.tenant), ExportText(*leader_store_, ctx_.tenant));
  EXPECT_EQ(CheckProblems(*follower_store_, ctx_.tenant), 0u);
  EXPECT_TRUE(std::filesystem::is_empty(follower_store_->IngestInbox()));  // ingested
  EXPECT_GT(leader_->inline_files(), 0u);  // nothing staged them: they went with the frame
  // (The leader's sweep, every 50 ms, releases them.)
  for (int i = 0; i < 100 && !std::filesystem::is_empty(kept); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(std::filesystem::is_empty(kept));
}

// With the leader's stager set (as a replica node sets it), an import's files reach the
// follower before the ingest, beside the log; the ingest's frame then carries none.
TEST_F(ReplicationTest, AnImportsFilesAreStagedBeforeItsIngest) {
  Users(0, 5);
  StartFollower();
  ASSERT_EQ(Replicated(), std::optional<bool>(true));
  std::vector<std::string> staged;
  leader_store_->SetIngestStager([&](const std::vector<std::string>& paths) {
    core::Status s = leader_->Stage(paths);
    // Staged: every file is in the follower's inbox already.
    for (const auto& p : s.ok() ? paths : std::vector<std::string>{}) {
      const std::string there =
          follower_store_->IngestInbox() + "/" + std::filesystem::path(p).filename().string();
      EXPECT_EQ(std::filesystem::file_size(there), std::filesystem::file_size(p)) << there;
      staged.push_back(there);
    }
    return s;
  });
  std::string text;
  for (int i = 0; i < 3000; ++i) {
    text += R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"st)" +
            std::to_string(i) + R"("})" + "\n";
  }
  auto imported = ImportText(*leader_store_, ctx_.tenant, text);
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  ASSERT_FALSE(staged.empty());
  Users(100, 3);
  ASSERT_EQ(Replicated(), std::optional<bool>(true));
  EXPECT_EQ(ExportText(*follower_store_, ctx_.tenant), ExportText(*leader_store_, ctx_.tenant));
  EXPECT_EQ(CheckProblems(*follower_store_, ctx_.tenant), 0u);
  // Ingested: moved into the follower's store, none left in its inbox.
  for (const auto& f : staged) EXPECT_FALSE(std::filesystem::exists(f)) << f;
  EXPECT_EQ(leader_->inline_files(), 0u);  // the frame carried none
  // Without a follower to take them, an import is refused before anything is written.
  StopFollower();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const uint64_t before = leader_store_->LatestSequence();
  auto refused = ImportText(*leader_store_, ctx_.tenant,
                            R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],)"
                            R"("userName":"late"})"
                            "\n");
  EXPECT_EQ(refused.status().code(), core::Status::Code::kUnavailable)
      << refused.status().ToString();
  EXPECT_EQ(leader_store_->LatestSequence(), before);
  leader_store_->SetIngestStager(nullptr);
}

// Two imports at once (two tenants), both staged: the sets travel one after the other,
// each frame finds its files, nothing goes inline, both tenants arrive whole.
TEST_F(ReplicationTest, TwoImportsAtOnceAreBothStagedAndArrive) {
  StartFollower();
  Users(0, 3);
  ASSERT_EQ(Replicated(), std::optional<bool>(true));
  auto beta = leader_store_->CreateTenant("beta");
  ASSERT_TRUE(beta.ok());
  leader_store_->SetIngestStager(
      [&](const std::vector<std::string>& paths) { return leader_->Stage(paths); });
  auto users = [](const std::string& prefix, int n) {
    std::string text;
    for (int i = 0; i < n; ++i) {
      text += R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":")" + prefix +
              std::to_string(i) + R"("})" + "\n";
    }
    return text;
  };
  core::Status a, b;
  std::thread other([&] { b = ImportText(*leader_store_, beta->id, users("b", 4000)).status(); });
  a = ImportText(*leader_store_, ctx_.tenant, users("a", 4000)).status();
  other.join();
  ASSERT_TRUE(a.ok()) << a.ToString();
  ASSERT_TRUE(b.ok()) << b.ToString();
  Users(100, 3);
  ASSERT_EQ(Replicated(), std::optional<bool>(true));
  for (core::TenantId t : {ctx_.tenant, beta->id}) {
    EXPECT_EQ(ExportText(*follower_store_, t), ExportText(*leader_store_, t));
    EXPECT_EQ(CheckProblems(*follower_store_, t), 0u);
  }
  EXPECT_EQ(leader_->inline_files(), 0u);
  leader_store_->SetIngestStager(nullptr);
}

// A follower that takes the log and acknowledges nothing: the leader counts the bytes it
// sent and that were not confirmed as the follower's lag; a write waits for nothing else.
TEST_F(ReplicationTest, LagInBytesIsWhatWasSentAndNotAcknowledged) {
  Users(0, 40);
  auto socket = ReplicaSocket::Connect("127.0.0.1", listener_.port(), 2000);
  ASSERT_TRUE(socket.ok());
  ReplicaMessage type;
  std::string payload;
  ASSERT_TRUE(socket->Receive(&type, &payload, 2000).ok());
  ASSERT_EQ(type, ReplicaMessage::kChallenge);
  const ReplicaKey key = MakeReplicaKey(kSecret);
  ReplicaHello hello;
  hello.node = 3;
  hello.term_seen = 7;
  hello.format = follower_store_->LogFormat();
  hello.nonce = ReplicaNonce();
  const std::string challenge = payload;
  hello.mac = ReplicaMac(key, "hello", challenge, HelloBody(hello));
  ASSERT_TRUE(socket->Send(ReplicaMessage::kHello, EncodeHello(hello), 2000).ok());
  ASSERT_TRUE(socket->Receive(&type, &payload, 2000).ok());
  ASSERT_EQ(type, ReplicaMessage::kWelcome) << payload;
  socket->Seal(ReplicaSessionKey(key, challenge, hello.nonce), /*leader_side=*/false);
  size_t received = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  uint64_t lag = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (socket->Receive(&type, &payload, 200).ok() && type == ReplicaMessage::kFrames) {
      received += payload.size() - 8;  // the term, then the frames
    }
    auto followers = leader_->Followers();
    ASSERT_EQ(followers.size(), 1u);
    lag = followers[0].lag_bytes;
    if (received > 0 && lag == received) break;
  }
  EXPECT_GT(received, 40u * 100);  // 40 users' commits
  EXPECT_EQ(lag, received);
  // Its acknowledgement of all it got clears the lag.
  ASSERT_TRUE(
      socket->Send(ReplicaMessage::kAck, EncodeU64(leader_store_->LatestSequence()), 2000).ok());
  for (int i = 0; i < 100 && leader_->Followers()[0].lag_bytes != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(leader_->Followers()[0].lag_bytes, 0u);
  EXPECT_EQ(leader_->Followers()[0].position, leader_store_->LatestSequence());
}

TEST_F(ReplicationTest, NoFollowerNoAcknowledgementThenCatchUp) {
  Users(0, 5);
  // Nobody follows: the write times out unreplicated.
  EXPECT_EQ(Replicated(), std::optional<bool>(false));
  StartFollower();
  ASSERT_EQ(Replicated(), std::optional<bool>(true));
  auto [end, why] = StopFollower();
  EXPECT_EQ(end, FollowEnd::kStopped) << why;
  Users(100, 20);
  EXPECT_EQ(Replicated(), std::optional<bool>(false));
  StartFollower();  // from where it stopped
  ASSERT_EQ(Replicated(), std::optional<bool>(true));
  EXPECT_EQ(ExportText(*follower_store_, ctx_.tenant), ExportText(*leader_store_, ctx_.tenant));
  // A lease that may have expired acknowledges nothing, even what a follower holds.
  lease_ok_ = false;
  Users(200, 1);
  EXPECT_EQ(Replicated(), std::optional<bool>(false));
}

TEST_F(ReplicationTest, AStoreWithWritesTheLogLacksIsToldToReseed) {
  Users(0, 5);
  StartFollower();
  ASSERT_EQ(Replicated(), std::optional<bool>(true));
  StopFollower();
  // The follower once led a term of its own and wrote in it (an old leader come back).
  ASSERT_TRUE(follower_store_->StartTerm(8).ok());
  ASSERT_TRUE(follower_store_->CreateTenant("never-acknowledged").ok());
  StartFollower(0);
  auto [end, why] = follower_.get();
  EXPECT_EQ(end, FollowEnd::kReseed) << why;
}

TEST_F(ReplicationTest, ALeaderOfAnOlderTermIsRefused) {
  StartFollower(/*term_seen=*/9);
  auto [end, why] = follower_.get();
  EXPECT_EQ(end, FollowEnd::kRefused) << why;
  EXPECT_NE(why.find("term"), std::string::npos) << why;
}

TEST_F(ReplicationTest, AFollowerWithoutTheSecretIsRefusedAndGetsNothing) {
  Users(0, 3);
  StartFollower(7, "another secret");
  auto [end, why] = follower_.get();
  EXPECT_EQ(end, FollowEnd::kRefused) << why;
  EXPECT_NE(why.find("authentication"), std::string::npos) << why;
  EXPECT_EQ(follower_store_->LatestSequence(), 0u);
  // A MAC binds the challenge: the same hello under another challenge does not verify.
  const ReplicaKey key = MakeReplicaKey(kSecret);
  ReplicaHello hello;
  hello.node = 2;
  hello.nonce = ReplicaNonce();
  const std::string a = ReplicaNonce();
  hello.mac = ReplicaMac(key, "hello", a, HelloBody(hello));
  EXPECT_TRUE(ReplicaMacMatches(key, "hello", a, HelloBody(hello), hello.mac));
  EXPECT_FALSE(ReplicaMacMatches(key, "hello", ReplicaNonce(), HelloBody(hello), hello.mac));
  EXPECT_FALSE(ReplicaMacMatches(key, "welcome", a, HelloBody(hello), hello.mac));
  hello.latest = 99;  // a changed field
  EXPECT_FALSE(ReplicaMacMatches(key, "hello", a, HelloBody(hello), hello.mac));
}

// A sealed connection: messages arrive whole and in order under the right key; on the
// wire they are not readable; a reader with another key, or one that sees a message
// twice (a replay), gets an error, never the message.
TEST(ReplicaSealTest, MessagesAreEncryptedAndAuthenticated) {
  ReplicaListener listener;
  ASSERT_TRUE(listener.Listen("127.0.0.1", 0).ok());
  auto client = ReplicaSocket::Connect("127.0.0.1", listener.port(), 2000);
  ASSERT_TRUE(client.ok());
  auto accepted = listener.Accept(2000);
  ASSERT_TRUE(accepted.ok() && accepted->has_value());
  ReplicaSocket server = std::move(**accepted);
  const ReplicaKey key = MakeReplicaKey(kSecret);
  EXPECT_TRUE(ReplicaKeyIsSet(key));
  EXPECT_FALSE(ReplicaKeyIsSet(MakeReplicaKey("")));
  const std::string challenge = ReplicaNonce(), nonce = ReplicaNonce();
  const std::string session = ReplicaSessionKey(key, challenge, nonce);
  EXPECT_NE(session, ReplicaSessionKey(key, challenge, ReplicaNonce()));
  EXPECT_NE(session, ReplicaSessionKey(MakeReplicaKey("another"), challenge, nonce));
  client->Seal(session, /*leader_side=*/false);
  const std::string secret_text = "userName alice@example.com and her token";
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client->Send(ReplicaMessage::kFrames, secret_text + std::to_string(i), 1000).ok());
  }
  // The server reads the raw bytes: a stream header, then sealed messages.
  ReplicaMessage type;
  std::string raw_header, raw1, raw2, raw3;
  ASSERT_TRUE(server.Receive(&type, &raw_header, 1000).ok());
  EXPECT_EQ(type, ReplicaMessage::kSealHeader);
  ASSERT_TRUE(server.Receive(&type, &raw1, 1000).ok());
  EXPECT_EQ(type, ReplicaMessage::kSealed);
  EXPECT_EQ(raw1.find("alice"), std::string::npos);
  ASSERT_TRUE(server.Receive(&type, &raw2, 1000).ok());
  ASSERT_TRUE(server.Receive(&type, &raw3, 1000).ok());
  // Replayed to a sealed reader: the right key reads them in order ...
  auto replay = [&](const std::string& with, const std::vector<std::string>& messages,
                    bool leader_side = true) {
    ReplicaListener l;
    EXPECT_TRUE(l.Listen("127.0.0.1", 0).ok());
    auto out = ReplicaSocket::Connect("127.0.0.1", l.port(), 2000);
    auto in = l.Accept(2000);
    EXPECT_TRUE(out.ok() && in.ok() && in->has_value());
    ReplicaSocket reader = std::move(**in);
    reader.Seal(with, leader_side);
    EXPECT_TRUE(out->Send(ReplicaMessage::kSealHeader, raw_header, 1000).ok());
    std::vector<std::string> got;
    for (const auto& m : messages) {
      EXPECT_TRUE(out->Send(ReplicaMessage::kSealed, m, 1000).ok());
      ReplicaMessage t;
      std::string payload;
      core::Status s = reader.Receive(&t, &payload, 1000);
      if (!s.ok()) {
        got.push_back("error: " + s.detail());
        break;
      }
      EXPECT_EQ(t, ReplicaMessage::kFrames);
      got.push_back(payload);
    }
    return got;
  };
  EXPECT_EQ(replay(session, {raw1, raw2, raw3}),
            (std::vector<std::string>{secret_text + "0", secret_text + "1", secret_text + "2"}));
  // ... another key reads nothing; a message replayed, skipped or altered is refused.
  auto refused = [](const std::vector<std::string>& got) {
    return !got.empty() && got.back().rfind("error: ", 0) == 0;
  };
  EXPECT_TRUE(refused(replay(ReplicaSessionKey(key, challenge, ReplicaNonce()), {raw1})));
  // (Reflected back at its sender: the other direction's key.)
  EXPECT_TRUE(refused(replay(session, {raw1}, /*leader_side=*/false)));
  EXPECT_TRUE(refused(replay(session, {raw1, raw1})));
  EXPECT_TRUE(refused(replay(session, {raw2})));
  std::string altered = raw1;
  altered[altered.size() / 2] ^= 1;
  EXPECT_TRUE(refused(replay(session, {altered})));
}

// A stranger's first message on the replication port is bounded: one over
// kMaxReplicaHandshakeBytes is refused before its payload is read, and one that trickles
// in gets no more than the handshake's deadline (Receive would give it 10 s more once
// begun); a prompt, small one is read.
TEST(ReplicaHandshakeTest, AStrangersFirstMessageIsBoundedInSizeAndTime) {
  ReplicaListener listener;
  ASSERT_TRUE(listener.Listen("127.0.0.1", 0).ok());
  // A raw client (its descriptor, closed at the end of the block) and the accepted end.
  struct Pair {
    int client = -1;
    ReplicaSocket server;
    ~Pair() {
      if (client >= 0) ::close(client);
    }
  };
  auto pair = [&](Pair& p) {
    p.client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(listener.port());
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(p.client, reinterpret_cast<sockaddr*>(&to), sizeof(to)), 0);
    auto accepted = listener.Accept(2000);
    ASSERT_TRUE(accepted.ok() && accepted->has_value());
    p.server = std::move(**accepted);
  };
  ReplicaMessage type;
  std::string payload;
  {
    Pair p;
    pair(p);
    ReplicaSocket client(::dup(p.client));
    ASSERT_TRUE(client.Send(ReplicaMessage::kHello, std::string(100, 'h'), 1000).ok());
    ASSERT_TRUE(p.server.ReceiveHandshake(&type, &payload, 1000).ok());
    EXPECT_EQ(type, ReplicaMessage::kHello);
    EXPECT_EQ(payload, std::string(100, 'h'));
  }
  {
    Pair p;
    pair(p);
    // Only the head and the first bytes of a message over the limit are sent: the limit is
    // seen in the head, so the refusal does not wait for the rest.
    std::string head(1, static_cast<char>(ReplicaMessage::kHello));
    const uint32_t size = static_cast<uint32_t>(kMaxReplicaHandshakeBytes + 1);
    for (int i = 3; i >= 0; --i) head.push_back(static_cast<char>((size >> (8 * i)) & 0xff));
    ASSERT_EQ(::send(p.client, head.data(), head.size(), 0), 5);
    const auto start = std::chrono::steady_clock::now();
    const core::Status s = p.server.ReceiveHandshake(&type, &payload, 1000);
    EXPECT_EQ(s.code(), core::Status::Code::kIoError) << s.ToString();
    EXPECT_NE(s.detail().find("too big"), std::string::npos) << s.detail();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  }
  {
    Pair p;
    pair(p);
    std::thread trickle([fd = p.client] {
      const std::string message = std::string(1, static_cast<char>(ReplicaMessage::kHello)) +
                                  std::string("\0\0\0\x20", 4) + std::string(32, 'x');
      for (char c : message) {
        if (::send(fd, &c, 1, MSG_NOSIGNAL) != 1) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
    const auto start = std::chrono::steady_clock::now();
    const core::Status s = p.server.ReceiveHandshake(&type, &payload, 600);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(s.code(), core::Status::Code::kIoError) << s.ToString();
    EXPECT_GE(took, std::chrono::milliseconds(550));
    EXPECT_LT(took, std::chrono::milliseconds(1500));
    ::shutdown(p.client, SHUT_RDWR);
    trickle.join();
  }
}

}  // namespace
}  // namespace scimd::net
