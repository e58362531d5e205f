// TLS for the reactor's connections, on OpenSSL (libssl from Debian). A TlsContext holds
// the certificate chain and key that every connection of a listener shares; a TlsSession
// is one connection's TLS state over its non-blocking socket. The connection keeps its
// readiness-driven state machine: a session's Read or Write that cannot go on says which
// readiness it waits for (a TLS read may need to write, and a write to read), and the
// connection arms exactly that. The connection runs the handshake step by step
// (Handshake) before its first Read, off the reactor (HttpServer::Options::
// tls_handshake_threads), bounded by its header timeout like any slow head.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "core/base/status.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace scimd::net {

class TlsContext {
 public:
  // Loads a PEM certificate chain (leaf first) and its PEM private key, and checks that
  // they belong together. TLS 1.2 and 1.3 only; the server picks the cipher.
  static core::Result<std::shared_ptr<TlsContext>> Load(const std::string& cert_file,
                                                        const std::string& key_file);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* native() const { return ctx_; }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

class TlsSession {
 public:
  // What a Read or Write that returned 0 with kWouldBlock needs before it is called again.
  enum class Want { kRead, kWrite };
  enum class Outcome {
    kOk,          // bytes moved (the count returned)
    kWouldBlock,  // call again once want() is ready
    kClosed,      // the peer closed (close_notify or EOF)
    kError,       // handshake or protocol failure, or a socket error: close
    kPlainHttp,   // the client spoke plain HTTP to this TLS port (nothing was sent)
  };

  // Server side over the connected socket `fd` (non-blocking; the caller keeps owning it).
  // Returns null when OpenSSL cannot make a session (out of memory).
  static std::unique_ptr<TlsSession> Accept(const TlsContext& context, int fd);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // One step of the server handshake: kOk once it is complete, kWouldBlock until the
  // socket is ready as want() says, kPlainHttp or kError (close). A session is used by one
  // thread at a time, not necessarily always the same one.
  void Handshake(Outcome* outcome);
  // Decrypted application bytes into `buffer`; at most one TLS record's worth per call,
  // so call again until kWouldBlock (OpenSSL may hold more than the socket shows).
  size_t Read(char* buffer, size_t size, Outcome* outcome);
  // Encrypts and sends up to `size` bytes. After kWouldBlock call again with the same
  // bytes (OpenSSL has kept what it already encrypted).
  size_t Write(const char* data, size_t size, Outcome* outcome);
  // Sends close_notify if the socket takes it now; never waits.
  void Shutdown();
  Want want() const { return want_; }

 private:
  explicit TlsSession(SSL* ssl) : ssl_(ssl) {}
  size_t Finish(int result, Outcome* outcome);
  SSL* ssl_;
  Want want_ = Want::kRead;
};

}  // namespace scimd::net
