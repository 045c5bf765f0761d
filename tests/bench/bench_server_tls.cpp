// A raw TLS 1.3 client for `tests/bench/run.sh server` (phases b and c, bench_server.hpp): OpenSSL
// directly, so that every handshake is a full one and nothing but the handshake is measured.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "tests/bench/bench_server.hpp"

namespace vigil::bench::load {

std::string ssl_error_text() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return errno != 0 ? std::strerror(errno) : "connection closed";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// A TLS 1.3-only client context without session resumption: every connection is a full handshake.
// The server's certificate is not verified: the client's own work stays small (both servers face
// the same client) and the handshake on the wire is the same.
SSL_CTX* client_ctx(const std::string& cert_chain_pem, const crypto::SecretBytes* key_pem) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) throw std::runtime_error("SSL_CTX_new failed");
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (!cert_chain_pem.empty() && key_pem != nullptr) {
    BIO* bio = BIO_new_mem_buf(cert_chain_pem.data(), static_cast<int>(cert_chain_pem.size()));
    bool first = true;
    while (X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      const int ok = first ? SSL_CTX_use_certificate(ctx, x) : static_cast<int>(SSL_CTX_add1_chain_cert(ctx, x));
      X509_free(x);
      if (ok != 1) throw std::runtime_error("loading the device certificate: " + ssl_error_text());
      first = false;
    }
    BIO_free(bio);
    ERR_clear_error();  // the end of the PEM data
    BIO* kbio = BIO_new_mem_buf(key_pem->data(), static_cast<int>(key_pem->size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(kbio, nullptr, nullptr, nullptr);
    BIO_free(kbio);
    if (key == nullptr || SSL_CTX_use_PrivateKey(ctx, key) != 1) {
      throw std::runtime_error("loading the device key: " + ssl_error_text());
    }
    EVP_PKEY_free(key);
  }
  return ctx;
}

int tcp_connect(std::uint16_t port, std::string& err) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const timeval tv{10, 0};  // no read or write waits longer: every connection is bounded
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    err = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

namespace {

// Closes with a reset instead of leaving the port in TIME_WAIT: tens of thousands of short
// connections would otherwise run through the ephemeral ports.
void close_abortive(int fd) {
  const linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

}  // namespace

bool is_http_200(const std::string& r) { return r.rfind("HTTP/1.1 200", 0) == 0 || r.rfind("HTTP/1.0 200", 0) == 0; }

bool one_connection(SSL_CTX* ctx, std::uint16_t port, std::string& err) {
  static const std::string request = "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  const int fd = tcp_connect(port, err);
  if (fd < 0) return false;
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  bool ok = false;
  if (SSL_connect(ssl) != 1) {
    err = "handshake: " + ssl_error_text();
  } else if (SSL_version(ssl) != TLS1_3_VERSION || SSL_session_reused(ssl) != 0) {
    err = "not a full TLS 1.3 handshake";
  } else if (SSL_write(ssl, request.data(), static_cast<int>(request.size())) != static_cast<int>(request.size())) {
    err = "write: " + ssl_error_text();
  } else {
    std::string resp;
    char buf[16 * 1024];
    int n = 0;
    while (resp.size() < (1u << 20) && (n = SSL_read(ssl, buf, sizeof buf)) > 0) resp.append(buf, static_cast<std::size_t>(n));
    ok = is_http_200(resp);
    if (!ok) err = "unexpected response: " + resp.substr(0, 40);
    if (n == 0 && SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN) SSL_shutdown(ssl);
  }
  SSL_free(ssl);
  close_abortive(fd);
  ERR_clear_error();
  return ok;
}

bool read_response(SSL* ssl, std::string& resp) {
  resp.clear();
  char buf[16 * 1024];
  std::size_t need = std::string::npos;
  while (resp.size() < (1u << 20)) {
    if (need == std::string::npos) {
      const auto end = resp.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::string head = resp.substr(0, end);
        std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        const auto cl = head.find("content-length:");
        need = end + 4 + (cl == std::string::npos ? 0 : std::strtoul(head.c_str() + cl + 15, nullptr, 10));
      }
    }
    if (need != std::string::npos && resp.size() >= need) return is_http_200(resp);
    const int n = SSL_read(ssl, buf, sizeof buf);
    if (n <= 0) return false;
    resp.append(buf, static_cast<std::size_t>(n));
  }
  return false;
}

}  // namespace vigil::bench::load
