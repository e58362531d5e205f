#include "net/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <climits>
#include <utility>

namespace scimd::net {
namespace {

// The oldest error OpenSSL queued on this thread, as text; clears the queue.
std::string TakeOpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

}  // namespace

core::Result<std::shared_ptr<TlsContext>> TlsContext::Load(const std::string& cert_file,
                                                           const std::string& key_file) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return core::Status::Internal("TLS: " + TakeOpenSslError());
  std::shared_ptr<TlsContext> context(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // No renegotiation (a client could make us pay handshakes on one connection); the
  // server's cipher order; a client that closes without close_notify after its last
  // response is normal for HTTP, not an error worth noting.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                               SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Write() retries after would-block with the same bytes, but from a buffer whose address
  // may change (a queued body moved); partial writes report progress record by record.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  // Read what the socket has in one call rather than a record header and then its body:
  // one read() per request instead of two (Read is called until would-block anyway, so
  // nothing read ahead is left waiting).
  SSL_CTX_set_read_ahead(ctx, 1);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return core::Status::InvalidValue("TLS certificate " + cert_file + ": " + TakeOpenSslError());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      return core::Status::InvalidValue("TLS key " + key_file + " does not belong to certificate " +
                                        cert_file);
    }
    return core::Status::InvalidValue("TLS key " + key_file + ": " + TakeOpenSslError());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return core::Status::InvalidValue("TLS key " + key_file + " does not belong to certificate " +
                                      cert_file);
  }
  return context;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

std::unique_ptr<TlsSession> TlsSession::Accept(const TlsContext& context, int fd) {
  SSL* ssl = SSL_new(context.native());
  if (ssl == nullptr) {
    ERR_clear_error();
    return nullptr;
  }
  if (SSL_set_fd(ssl, fd) != 1) {
    ERR_clear_error();
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return std::unique_ptr<TlsSession>(new TlsSession(ssl));
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

void TlsSession::Handshake(Outcome* outcome) {
  ERR_clear_error();
  Finish(SSL_do_handshake(ssl_), outcome);
}

size_t TlsSession::Read(char* buffer, size_t size, Outcome* outcome) {
  ERR_clear_error();  // SSL_get_error reads this thread's queue: start it clean
  int n = SSL_read(ssl_, buffer, static_cast<int>(size > INT_MAX ? INT_MAX : size));
  return Finish(n, outcome);
}

size_t TlsSession::Write(const char* data, size_t size, Outcome* outcome) {
  ERR_clear_error();
  int n = SSL_write(ssl_, data, static_cast<int>(size > INT_MAX ? INT_MAX : size));
  return Finish(n, outcome);
}

size_t TlsSession::Finish(int result, Outcome* outcome) {
  if (result > 0) {
    *outcome = Outcome::kOk;
    return static_cast<size_t>(result);
  }
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
      want_ = Want::kRead;
      *outcome = Outcome::kWouldBlock;
      break;
    case SSL_ERROR_WANT_WRITE:
      want_ = Want::kWrite;
      *outcome = Outcome::kWouldBlock;
      break;
    case SSL_ERROR_ZERO_RETURN: *outcome = Outcome::kClosed; break;
    case SSL_ERROR_SSL: {
      // OpenSSL recognises an HTTP request line where a TLS record should start.
      unsigned long code = ERR_peek_error();
      *outcome = ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) == SSL_R_HTTP_REQUEST
                     ? Outcome::kPlainHttp
                     : Outcome::kError;
      break;
    }
    default:  // SSL_ERROR_SYSCALL (EOF or a socket error) and anything unexpected
      *outcome = Outcome::kError;
      break;
  }
  ERR_clear_error();
  return 0;
}

void TlsSession::Shutdown() {
  ERR_clear_error();
  // Only once the handshake is done: close_notify means nothing before it.
  if (SSL_is_init_finished(ssl_)) SSL_shutdown(ssl_);
  ERR_clear_error();
}

}  // namespace scimd::net
