// TLS on scimd's own listeners (issue #20: encrypted in transit). A self-signed certificate
// made with Debian's openssl for this run; a client that verifies it (chain and IP) and
// speaks HTTP/1.1 through OpenSSL; the SCIM listener and the admin API (with scimctl
// --cacert) over HTTPS, locations that say https, pipelined requests and answers larger
// than one TLS record, plain HTTP on the TLS port answered 400 in plain text, silent and
// garbage clients closed while others are served, and the start refused on a bad key.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.h"

namespace scimd::testing {
namespace {

constexpr char kAdminToken[] = "admin-token-for-tls-tests-0123456789abcdef";

int ConnectTcp(int port, int timeout_ms) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// A blocking HTTPS client: verifies the server's chain against `ca_file` and its
// certificate against the IP 127.0.0.1, then moves raw HTTP bytes.
class TlsClient {
 public:
  TlsClient(int port, const std::string& ca_file) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    if (SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr) != 1) return;
    fd_ = ConnectTcp(port, 10000);
    if (fd_ < 0) return;
    ssl_ = SSL_new(ctx_);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), "127.0.0.1");
    SSL_set_fd(ssl_, fd_);
    handshake_ok_ = SSL_connect(ssl_) == 1;
    if (!handshake_ok_) {
      char text[256];
      ERR_error_string_n(ERR_get_error(), text, sizeof(text));
      error_ = text;
    }
  }
  ~TlsClient() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (fd_ >= 0) close(fd_);
    SSL_CTX_free(ctx_);
  }
  bool handshake_ok() const { return handshake_ok_; }
  // Drops the connection with a reset (no close_notify, no FIN), as a client that dies does.
  void Reset() {
    linger hard{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
    close(fd_);
    fd_ = -1;
  }
  const std::string& error() const { return error_; }
  std::string protocol() const { return SSL_get_version(ssl_); }

  bool Write(const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      int n = SSL_write(ssl_, bytes.data() + done, static_cast<int>(bytes.size() - done));
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  // Everything until the server closes (or 10 s pass without a byte).
  std::string ReadToEnd() {
    std::string all;
    char buffer[16384];
    for (;;) {
      int n = SSL_read(ssl_, buffer, sizeof(buffer));
      if (n <= 0) break;
      all.append(buffer, static_cast<size_t>(n));
    }
    return all;
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool handshake_ok_ = false;
  std::string error_;
};

std::string Request(const std::string& method, const std::string& target, const std::string& token,
                    const std::string& body = "", bool close = false) {
  std::string r = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  r += "Authorization: Bearer " + token + "\r\n";
  if (!body.empty()) r += "Content-Type: application/scim+json\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (close) r += "Connection: close\r\n";
  return r + "\r\n" + body;
}

// A /Bulk request creating users PREFIX0@example.com ... PREFIX149@example.com (~20 KB).
std::string BulkOf150Users(const std::string& prefix) {
  std::string bulk =
      R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[)";
  for (int i = 0; i < 150; ++i) {
    if (i > 0) bulk += ",";
    bulk += R"({"method":"POST","path":"/Users","bulkId":"u)" + std::to_string(i) +
            R"(","data":{"userName":")" + prefix + std::to_string(i) +
            R"(@example.com","displayName":"A user created over TLS in one bulk request"}})";
  }
  return bulk + "]}";
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = dir_.path() + "/cert.pem";
    key_ = dir_.path() + "/key.pem";
    MakeCertificate(cert_, key_);
    data_ = dir_.path() + "/data";
    token_ = CreateTenantWithToken(data_, "acme");
  }
  static void MakeCertificate(const std::string& cert, const std::string& key) {
    CommandResult r = RunCommand({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                  "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                                  "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                                  "-keyout", key, "-out", cert});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::vector<std::string> TlsArgs() { return {"--tls-cert", cert_, "--tls-key", key_}; }

  TempDir dir_;
  std::string cert_, key_, data_, token_;
};

TEST_F(TlsTest, ServesScimOverHttpsWithHttpsLocations) {
  std::vector<std::string> args = TlsArgs();
  args.insert(args.end(), {"--demo-tenant", "demo"});
  ScimdProcess server(data_, args);
  // What scimd prints for the demo tenant (before it writes its port file) says https.
  EXPECT_NE(server.Output().find("SCIM base URL: https://"), std::string::npos) << server.Output();
  std::string id;
  {
    TlsClient client(server.port(), cert_);
    ASSERT_TRUE(client.handshake_ok()) << client.error();
    EXPECT_TRUE(client.protocol() == "TLSv1.3" || client.protocol() == "TLSv1.2");
    ASSERT_TRUE(client.Write(Request("POST", "/scim/v2/Users", token_,
                                     R"({"userName":"tls@example.com"})", /*close=*/true)));
    std::string answer = client.ReadToEnd();
    ASSERT_EQ(answer.rfind("HTTP/1.1 201", 0), 0u) << answer;
    EXPECT_NE(answer.find("Location: https://127.0.0.1"), std::string::npos) << answer;
    EXPECT_NE(answer.find(R"("location":"https://127.0.0.1)"), std::string::npos) << answer;
    const size_t at = answer.find(R"("id":")");
    ASSERT_NE(at, std::string::npos);
    id = answer.substr(at + 6, answer.find('"', at + 6) - at - 6);
  }
  TlsClient client(server.port(), cert_);
  ASSERT_TRUE(client.handshake_ok()) << client.error();
  ASSERT_TRUE(client.Write(Request("GET", "/scim/v2/Users/" + id, token_, "", true)));
  std::string answer = client.ReadToEnd();
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  EXPECT_NE(answer.find("tls@example.com"), std::string::npos);
  // A client that trusts another certificate refuses this server.
  const std::string other_cert = dir_.path() + "/other-cert.pem";
  MakeCertificate(other_cert, dir_.path() + "/other-key.pem");
  TlsClient doubting(server.port(), other_cert);
  EXPECT_FALSE(doubting.handshake_ok());
}

// The curl command line tool, as an operator or a SCIM client developer would use it: it
// verifies the certificate, speaks TLS 1.2 or 1.3, creates a user and reads it back; without
// the certificate's authority it refuses the server. (The bearer token goes in a header
// file, never on a command line.)
TEST_F(TlsTest, CurlCreatesAndReadsAUserOverHttps) {
  ScimdProcess server(data_, TlsArgs());
  const std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/scim/v2/Users";
  const std::string header = dir_.path() + "/auth.header";
  std::ofstream(header) << "Authorization: Bearer " << token_ << "\n"
                        << "Content-Type: application/scim+json\n";
  CommandResult created =
      RunCommand({"/usr/bin/curl", "-sS", "-v", "--cacert", cert_, "-H", "@" + header, "-d",
                  R"({"userName":"curl@example.com"})", "-w", "\n%{http_code}", url});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(created.out.substr(created.out.rfind('\n') + 1), "201") << created.out;
  EXPECT_NE(created.out.find(R"("location":"https://127.0.0.1)"), std::string::npos) << created.out;
  EXPECT_TRUE(created.err.find("SSL connection using TLSv1.3") != std::string::npos ||
              created.err.find("SSL connection using TLSv1.2") != std::string::npos)
      << created.err;
  CommandResult found =
      RunCommand({"/usr/bin/curl", "-sS", "--cacert", cert_, "-H", "@" + header, "-w",
                  "\n%{http_code}", url + "?filter=userName%20eq%20%22curl@example.com%22"});
  ASSERT_EQ(found.exit_code, 0) << found.err;
  EXPECT_EQ(found.out.substr(found.out.rfind('\n') + 1), "200") << found.out;
  EXPECT_NE(found.out.find(R"("totalResults":1)"), std::string::npos) << found.out;
  // Without the authority that signed the certificate, curl refuses the server (60: the
  // peer's certificate cannot be verified).
  CommandResult doubting = RunCommand({"/usr/bin/curl", "-sS", "-H", "@" + header, url});
  EXPECT_EQ(doubting.exit_code, 60) << doubting.err;
}

TEST_F(TlsTest, PipelinedRequestsAndAnswersLargerThanARecord) {
  ScimdProcess server(data_, TlsArgs());
  // 150 users in one /Bulk request: a body of several TLS records.
  const std::string bulk = BulkOf150Users("pipelined-user-");
  ASSERT_GT(bulk.size(), 16384u);
  {
    TlsClient client(server.port(), cert_);
    ASSERT_TRUE(client.handshake_ok()) << client.error();
    ASSERT_TRUE(client.Write(Request("POST", "/scim/v2/Bulk", token_, bulk, true)));
    std::string answer = client.ReadToEnd();
    ASSERT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer.substr(0, 500);
    EXPECT_EQ(Count(answer, R"("status":"201")"), 150u);
  }
  // Three requests in one write; the last asks to close. The list is ~50 KB, several
  // records, written while the next request waits.
  TlsClient client(server.port(), cert_);
  ASSERT_TRUE(client.handshake_ok()) << client.error();
  const std::string list = Request("GET", "/scim/v2/Users?count=150", token_);
  ASSERT_TRUE(
      client.Write(list + list + Request("GET", "/scim/v2/Users?count=1", token_, "", true)));
  std::string answer = client.ReadToEnd();
  EXPECT_EQ(Count(answer, "HTTP/1.1 200"), 3u) << answer.substr(0, 300);
  EXPECT_EQ(Count(answer, "pipelined-user-149@example.com"), 2u);
  EXPECT_GT(answer.size(), 2 * 16384u);
}

TEST_F(TlsTest, ClientsThatResetDuringALargeAnswerDoNotStopTheServer) {
  ScimdProcess server(data_, TlsArgs());
  const std::string bulk = BulkOf150Users("reset-user-");
  {
    TlsClient client(server.port(), cert_);
    ASSERT_TRUE(client.handshake_ok()) << client.error();
    ASSERT_TRUE(client.Write(Request("POST", "/scim/v2/Bulk", token_, bulk, true)));
    ASSERT_EQ(client.ReadToEnd().rfind("HTTP/1.1 200", 0), 0u);
  }
  // Each asks for ~45 KB (several records, several writes) and resets at once, at
  // different moments of the answer. OpenSSL writes with write(): without SIGPIPE ignored,
  // a write after the reset ends the process.
  for (int i = 0; i < 40; ++i) {
    TlsClient client(server.port(), cert_);
    ASSERT_TRUE(client.handshake_ok()) << client.error();
    const std::string list = Request("GET", "/scim/v2/Users?count=150", token_);
    ASSERT_TRUE(client.Write(list + list + list));
    if (i % 2 == 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    client.Reset();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  TlsClient client(server.port(), cert_);
  ASSERT_TRUE(client.handshake_ok()) << "scimd is gone: " << server.Output();
  ASSERT_TRUE(client.Write(Request("GET", "/scim/v2/Users?count=1", token_, "", true)));
  EXPECT_EQ(client.ReadToEnd().rfind("HTTP/1.1 200", 0), 0u);
}

// Handshakes run on their own threads by default and on the reactor with 0: both serve
// many clients that connect at once, each with its own handshake.
TEST_F(TlsTest, ConcurrentHandshakesOnHandshakeThreadsAndOnTheReactor) {
  for (const char* threads : {"2", "0"}) {
    std::vector<std::string> args = TlsArgs();
    args.insert(args.end(), {"--threads", "2", "--tls-handshake-threads", threads});
    ScimdProcess server(data_, args);
    std::vector<int> ok(24, 0);
    std::vector<std::thread> clients;
    for (size_t i = 0; i < ok.size(); ++i) {
      clients.emplace_back([&, i] {
        TlsClient client(server.port(), cert_);
        if (!client.handshake_ok()) return;
        if (!client.Write(Request("GET", "/scim/v2/Users?count=1", token_, "", true))) return;
        ok[i] = client.ReadToEnd().rfind("HTTP/1.1 200", 0) == 0 ? 1 : 0;
      });
    }
    for (auto& c : clients) c.join();
    int served = 0;
    for (int v : ok) served += v;
    EXPECT_EQ(served, static_cast<int>(ok.size())) << "handshake threads " << threads;
  }
}

// Clients that stop in the middle of their handshake (a ClientHello cut short and a reset,
// or a full ClientHello and silence) while the server stops: it ends cleanly, without
// waiting for them, and frees each connection once its handshake step is back.
TEST_F(TlsTest, AStopDuringHandshakesEndsCleanly) {
  std::vector<std::string> args = TlsArgs();
  args.insert(args.end(), {"--tls-handshake-threads", "1"});
  ScimdProcess server(data_, args);
  // A real ClientHello, made by a client that is never allowed to go on.
  std::string hello;
  {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL* ssl = SSL_new(ctx);
    BIO* in = BIO_new(BIO_s_mem());
    BIO* out = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl, in, out);
    SSL_connect(ssl);  // wants to read the ServerHello: stops after writing its hello
    char* data = nullptr;
    long n = BIO_get_mem_data(out, &data);
    hello.assign(data, static_cast<size_t>(n));
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }
  ASSERT_GT(hello.size(), 100u);
  std::vector<int> held;
  for (int i = 0; i < 60; ++i) {
    int fd = ConnectTcp(server.port(), 10000);
    ASSERT_GE(fd, 0);
    const std::string part = i % 2 == 0 ? hello : hello.substr(0, hello.size() / 2);
    ASSERT_EQ(write(fd, part.data(), part.size()), static_cast<ssize_t>(part.size()));
    if (i % 3 == 0) {
      linger hard{1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
      close(fd);
    } else {
      held.push_back(fd);
    }
  }
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(server.Stop(), 0) << server.Output();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  for (int fd : held) close(fd);
}

// SIGHUP reads the certificate and key files again (a renewal): new connections get the
// new certificate, open ones keep going, and a broken file changes nothing.
TEST_F(TlsTest, SighupLoadsARenewedCertificateForNewConnections) {
  const std::string live_cert = dir_.path() + "/live-cert.pem";
  const std::string live_key = dir_.path() + "/live-key.pem";
  std::filesystem::copy_file(cert_, live_cert);
  std::filesystem::copy_file(key_, live_key);
  const std::string server_log = dir_.path() + "/server.log";
  ScimdProcess server(data_,
                      {"--tls-cert", live_cert, "--tls-key", live_key, "--log-file", server_log});
  TlsClient before(server.port(), cert_);
  ASSERT_TRUE(before.handshake_ok()) << before.error();

  const std::string new_cert = dir_.path() + "/new-cert.pem";
  const std::string new_key = dir_.path() + "/new-key.pem";
  MakeCertificate(new_cert, new_key);
  std::filesystem::copy_file(new_cert, live_cert,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(new_key, live_key, std::filesystem::copy_options::overwrite_existing);
  ASSERT_EQ(kill(server.pid(), SIGHUP), 0);
  ASSERT_TRUE(WaitForText(server_log, "new TLS connections get the certificate"))
      << ReadAll(server_log);

  TlsClient old_trust(server.port(), cert_);
  EXPECT_FALSE(old_trust.handshake_ok()) << "still the old certificate";
  TlsClient renewed(server.port(), new_cert);
  ASSERT_TRUE(renewed.handshake_ok()) << renewed.error();
  ASSERT_TRUE(renewed.Write(Request("GET", "/scim/v2/Users?count=1", token_, "", true)));
  EXPECT_EQ(renewed.ReadToEnd().rfind("HTTP/1.1 200", 0), 0u);
  // The connection made before the renewal goes on.
  ASSERT_TRUE(before.Write(Request("GET", "/scim/v2/Users?count=1", token_, "", true)));
  EXPECT_EQ(before.ReadToEnd().rfind("HTTP/1.1 200", 0), 0u);

  // A broken key: logged, and the renewed certificate stays.
  std::ofstream(live_key, std::ios::trunc) << "not a key\n";
  ASSERT_EQ(kill(server.pid(), SIGHUP), 0);
  ASSERT_TRUE(WaitForText(server_log, "the TLS certificate was not changed"))
      << ReadAll(server_log);
  TlsClient still(server.port(), new_cert);
  EXPECT_TRUE(still.handshake_ok()) << still.error();
}

TEST_F(TlsTest, PlainHttpOnTheTlsPortIsAnswered400InPlainText) {
  ScimdProcess server(data_, TlsArgs());
  HttpClient plain(server.port());
  HttpResult r = plain.SendRaw("GET /scim/v2/Users HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("https://"), std::string::npos) << r.body;
  EXPECT_EQ(r.Header("connection"), "close");
  // The server goes on serving TLS clients.
  TlsClient client(server.port(), cert_);
  ASSERT_TRUE(client.handshake_ok()) << client.error();
}

TEST_F(TlsTest, SilentAndGarbageClientsAreClosedWhileOthersAreServed) {
  ScimdProcess server(data_,
                      {"--tls-cert", cert_, "--tls-key", key_, "--header-timeout-ms", "500"});
  // Connects and never says hello: closed by the header timeout.
  int silent = ConnectTcp(server.port(), 10000);
  ASSERT_GE(silent, 0);
  // Says something that is neither TLS nor HTTP.
  int garbage = ConnectTcp(server.port(), 10000);
  ASSERT_GE(garbage, 0);
  const std::string noise = "\x16\x03\x01\x00\x05hello, this is not a ClientHello";
  ASSERT_EQ(write(garbage, noise.data(), noise.size()), static_cast<ssize_t>(noise.size()));
  // Meanwhile a real client is served.
  {
    TlsClient client(server.port(), cert_);
    ASSERT_TRUE(client.handshake_ok()) << client.error();
    ASSERT_TRUE(client.Write(Request("GET", "/scim/v2/Users?count=1", token_, "", true)));
    EXPECT_EQ(client.ReadToEnd().rfind("HTTP/1.1 200", 0), 0u);
  }
  const auto start = std::chrono::steady_clock::now();
  char byte;
  // A TLS alert may come first; then the end.
  while (read(garbage, &byte, 1) > 0) {
  }
  EXPECT_EQ(read(silent, &byte, 1), 0);  // EOF, not the 10 s receive timeout
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  close(silent);
  close(garbage);
}

TEST_F(TlsTest, AdminApiAndScimctlOverHttps) {
  setenv("SCIMD_ADMIN_TOKEN", kAdminToken, 1);
  const std::string port_file = dir_.path() + "/admin.port";
  std::vector<std::string> args = TlsArgs();
  args.insert(args.end(), {"--admin-listen", "127.0.0.1:0", "--admin-port-file", port_file});
  ScimdProcess server(data_, args);
  int admin_port = 0;
  std::ifstream(port_file) >> admin_port;
  ASSERT_GT(admin_port, 0);
  const std::string url = "https://127.0.0.1:" + std::to_string(admin_port);
  CommandResult trusted =
      RunCommand({ScimctlBin(), "--server", url, "--cacert", cert_, "tenant", "list"});
  EXPECT_EQ(trusted.exit_code, 0) << trusted.err;
  EXPECT_NE(trusted.out.find("acme"), std::string::npos) << trusted.out;
  // Without the certificate to trust, scimctl refuses the self-signed server.
  CommandResult doubting = RunCommand({ScimctlBin(), "--server", url, "tenant", "list"});
  EXPECT_NE(doubting.exit_code, 0);
  EXPECT_EQ(doubting.out.find("acme"), std::string::npos);
  // Plain http:// to the admin port is refused too.
  CommandResult plain =
      RunCommand({ScimctlBin(), "--server", "http://127.0.0.1:" + std::to_string(admin_port),
                  "tenant", "list"});
  EXPECT_NE(plain.exit_code, 0);
  unsetenv("SCIMD_ADMIN_TOKEN");
}

TEST_F(TlsTest, ABadKeyOrAMissingHalfRefusesToStart) {
  const std::string other_cert = dir_.path() + "/other-cert.pem";
  const std::string other_key = dir_.path() + "/other-key.pem";
  MakeCertificate(other_cert, other_key);
  CommandResult half =
      RunCommand({ScimdBin(), "--listen", "127.0.0.1:0", "--data", data_, "--tls-cert", cert_});
  EXPECT_EQ(half.exit_code, 2);
  EXPECT_NE((half.out + half.err).find("--tls-key"), std::string::npos) << half.err;
  CommandResult mismatched = RunCommand({ScimdBin(), "--listen", "127.0.0.1:0", "--data", data_,
                                         "--tls-cert", cert_, "--tls-key", other_key});
  EXPECT_EQ(mismatched.exit_code, 1);
  EXPECT_NE(mismatched.err.find("does not belong"), std::string::npos) << mismatched.err;
  CommandResult not_pem = RunCommand({ScimdBin(), "--listen", "127.0.0.1:0", "--data", data_,
                                      "--tls-cert", key_, "--tls-key", key_});
  EXPECT_EQ(not_pem.exit_code, 1);
  EXPECT_NE(not_pem.err.find("TLS certificate"), std::string::npos) << not_pem.err;
}

}  // namespace
}  // namespace scimd::testing
