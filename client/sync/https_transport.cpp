#include "client/sync/https_transport.hpp"

// Design notes
//
// The transport is blocking on top of Asio: every network step starts one asynchronous operation
// on the transport's own io_context and runs that context for at most the step's timeout.
// Invariants:
//  (1) At most one connection; `stream` is null when there is none.
//  (2) A connection carries a request only after its handshake succeeded, the server certificate
//      verified against config.root_ca_pem alone for config.host, and its verified chain holds a
//      key from config.spki_pins.
//  (3) Every step returns within its timeout. On timeout the socket is closed and the aborted
//      operation is run to completion before returning, so no handler outlives the step's frame.
//  (4) Any failure drops the connection; the next roundtrip connects afresh.
//
// Stale keep-alive connections. The server closes idle connections (idle_timeout, restarts).
// Before reusing a connection we peek at its socket without waiting: a byte, end of stream or an
// error means the server closed it (or sent something unasked), so we reconnect first. The close can still race with our request; when a
// request on a reused connection was written (or the write hit a reset) and the read then found
// the connection closed without a single byte of response, the request is sent once more on a
// new connection, but only for idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS: RFC 9110
// section 9.2.2). A POST may have been processed before the server went away; it is reported as
// unavailable and the caller's own idempotency keys decide what a retry means.

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "shared/core/bytes.hpp"
#include "shared/crypto/hash.hpp"

namespace vigil::client::sync {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;
using std::chrono::milliseconds;

namespace {

using Stream = beast::ssl_stream<beast::tcp_stream>;

constexpr const char* tls13_ciphersuites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* tls_groups = "X25519:P-256";
constexpr std::uint32_t response_header_limit = 64 * 1024;

std::string duration_text(milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
  return std::to_string(d.count()) + " ms";
}

// Operating-system messages start with a capital ("Connection refused"); ours run on after a
// colon.
std::string lower_first(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

std::string ssl_reason(const error_code& ec) {
  const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
  return reason != nullptr ? reason : lower_first(ec.message());
}

bool is_ssl_error(const error_code& ec) { return ec.category() == asio::error::get_ssl_category(); }

bool is_idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" || method == "OPTIONS";
}

// The connection ended (cleanly or not) rather than failing in some other way.
bool is_closed(const error_code& ec) {
  return ec == asio::error::eof || ec == http::error::end_of_stream || ec == ssl::error::stream_truncated ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted;
}

bool has_control_chars(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

// What the server's certificate check, or an alert from the server, means for the person reading
// the message; nothing when the error is not about certificates or TLS versions.
std::optional<std::string> tls_problem(SSL* ssl_handle, const error_code& ec, const std::string& host) {
  const long verify = ssl_handle != nullptr ? SSL_get_verify_result(ssl_handle) : X509_V_OK;
  switch (verify) {
    case X509_V_OK:
      break;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      return "TLS: certificate is not signed by Vigil's CA";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "TLS: the server certificate is not valid for " + host;
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return std::string("TLS: the server certificate has expired (is this computer's clock right?)");
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return std::string("TLS: the server certificate is not valid yet (is this computer's clock right?)");
    default:
      return "TLS: the server certificate was rejected: " + std::string(X509_verify_cert_error_string(verify));
  }
  if (!is_ssl_error(ec)) return std::nullopt;
  switch (ERR_GET_REASON(static_cast<unsigned long>(ec.value()))) {
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
      return "TLS: the server does not offer TLS 1.3 (" + ssl_reason(ec) + ")";
    // Alerts a server sends when it refuses our client certificate. In TLS 1.3 they arrive after
    // our side of the handshake finished, on the first read.
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
    case SSL_R_TLSV1_ALERT_DECRYPT_ERROR:
      return "TLS: the server refused this device's certificate (" + ssl_reason(ec) + ")";
    default:
      return "TLS: " + ssl_reason(ec);
  }
}

// base64(SHA-256(DER SubjectPublicKeyInfo)) of a certificate's key, or empty on failure.
std::string spki_pin(X509* cert) {
  unsigned char* der = nullptr;
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (len <= 0) return {};
  const crypto::Digest digest = crypto::sha256(ByteView(der, static_cast<std::size_t>(len)));
  OPENSSL_free(der);
  return to_base64(ByteView(digest.data(), digest.size()));
}

// Invariant 2: some certificate of the chain OpenSSL verified carries a pinned key.
bool chain_is_pinned(SSL* ssl_handle, const std::vector<std::string>& pins) {
  STACK_OF(X509)* chain = SSL_get0_verified_chain(ssl_handle);
  if (chain == nullptr) return false;
  for (int i = 0; i < sk_X509_num(chain); ++i) {
    const std::string pin = spki_pin(sk_X509_value(chain, i));
    if (!pin.empty() && std::find(pins.begin(), pins.end(), pin) != pins.end()) return true;
  }
  return false;
}

struct Exchange {
  Result<protocol::HttpResponse> result;
  bool stale = false;  // the connection turned out closed before any byte of a response came
};

}  // namespace

struct HttpsTransport::Impl {
  explicit Impl(TransportConfig cfg) : config(std::move(cfg)) {
    where = config.host + ":" + std::to_string(config.port);
    error_code ec;
    host_ip = asio::ip::make_address(config.host, ec);
    host_is_ip = !ec;
    host_header = (host_is_ip && host_ip.is_v6() ? "[" + config.host + "]" : config.host) + ":" + std::to_string(config.port);
    if (Status s = setup_tls(); !s) config_error = s.error();
  }

  TransportConfig config;
  std::string where;        // "host:port", for messages
  std::string host_header;  // the Host field
  asio::ip::address host_ip;
  bool host_is_ip = false;
  std::optional<Error> config_error;  // a configuration the transport cannot work with
  asio::io_context ioc{1};
  ssl::context tls{ssl::context::tls_client};
  tcp::resolver resolver{ioc};
  std::unique_ptr<Stream> stream;  // invariant 1
  beast::flat_buffer buffer;

  Status setup_tls();
  // Runs the io_context until `done` is set or `timeout` passes (invariant 3). Returns the
  // operation's error, or timed_out.
  error_code wait(std::optional<error_code>& done, milliseconds timeout);
  void drop();
  bool peer_closed();
  Status connect();
  Exchange exchange(const protocol::HttpRequest& request);
};

Status HttpsTransport::Impl::setup_tls() {
  if (config.spki_pins.empty()) {
    return fail(Errc::invalid_argument, "no pinned server keys are configured: pins are mandatory");
  }
  if (config.root_ca_pem.empty()) return fail(Errc::invalid_argument, "Vigil's root CA certificate is not configured");
  if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
    return fail(Errc::invalid_argument, "the device certificate and its private key must be given together");
  }
  SSL_CTX* ctx = tls.native_handle();
  ERR_clear_error();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 || SSL_CTX_set_ciphersuites(ctx, tls13_ciphersuites) != 1 ||
      SSL_CTX_set1_groups_list(ctx, tls_groups) != 1) {
    ERR_clear_error();
    return fail(Errc::crypto, "OpenSSL rejected the TLS 1.3 settings");
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);

  // Trust exactly Vigil's root: the context starts with an empty store and the system's default
  // paths are never loaded.
  error_code ec;
  tls.add_certificate_authority(asio::buffer(config.root_ca_pem), ec);
  if (ec) return fail(Errc::invalid_argument, "Vigil's root CA certificate cannot be read: " + ssl_reason(ec));
  tls.set_verify_mode(ssl::verify_peer);

  if (!config.client_cert_pem.empty()) {
    tls.use_certificate_chain(asio::buffer(config.client_cert_pem), ec);
    if (ec) return fail(Errc::invalid_argument, "the device certificate cannot be read: " + ssl_reason(ec));
    tls.use_private_key(asio::buffer(config.client_key_pem.data(), config.client_key_pem.size()), ssl::context::pem, ec);
    if (ec) return fail(Errc::invalid_argument, "the device private key cannot be read: " + ssl_reason(ec));
    if (SSL_CTX_check_private_key(ctx) != 1) {
      ERR_clear_error();
      return fail(Errc::invalid_argument, "the device private key does not match the device certificate");
    }
  }
  return {};
}

error_code HttpsTransport::Impl::wait(std::optional<error_code>& done, milliseconds timeout) {
  ioc.restart();
  ioc.run_for(timeout);
  if (done) return *done;
  // Timed out: abort, then let the aborted operation complete before its handler's captures go.
  resolver.cancel();
  if (stream) {
    error_code ignored;
    beast::get_lowest_layer(*stream).socket().close(ignored);
  }
  ioc.restart();
  ioc.run();
  return asio::error::timed_out;
}

void HttpsTransport::Impl::drop() {
  if (stream) {
    error_code ignored;
    beast::get_lowest_layer(*stream).socket().close(ignored);
    stream.reset();
  }
  buffer.clear();
}

bool HttpsTransport::Impl::peer_closed() {
  if (!stream || buffer.size() != 0) return true;  // leftover bytes: out of step with the server
  // A non-blocking peek (MSG_PEEK) through Asio, the same on every OS: would_block is the only
  // answer that means "open and quiet"; a byte, end of stream or an error means not reusable.
  auto& socket = beast::get_lowest_layer(*stream).socket();
  error_code ec;
  socket.non_blocking(true, ec);
  if (ec) return true;
  char byte = 0;
  socket.receive(asio::buffer(&byte, 1), tcp::socket::message_peek, ec);
  error_code ignored;
  socket.non_blocking(false, ignored);
  return ec != asio::error::would_block;
}

Status HttpsTransport::Impl::connect() {
  drop();
  const auto deadline = std::chrono::steady_clock::now() + config.connect_timeout;
  auto remaining = [deadline] {
    return std::max(milliseconds(1), std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now()));
  };
  const std::string cannot = "could not connect to " + where + ": ";

  // Resolve: an IP literal needs no lookup.
  std::vector<tcp::endpoint> endpoints;
  if (host_is_ip) {
    endpoints.emplace_back(host_ip, config.port);
  } else {
    std::optional<error_code> done;
    tcp::resolver::results_type results;
    resolver.async_resolve(config.host, std::to_string(config.port),
                           [&done, &results](error_code ec, tcp::resolver::results_type r) {
                             results = std::move(r);
                             done = ec;
                           });
    const error_code ec = wait(done, config.connect_timeout);
    if (ec == asio::error::timed_out) {
      return fail(Errc::unavailable, cannot + "name lookup timed out after " + duration_text(config.connect_timeout));
    }
    if (ec) return fail(Errc::unavailable, "could not resolve " + config.host + ": " + lower_first(ec.message()));
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  }

  // Server name: SNI for names (never for IP literals, RFC 6066), and the name or address the
  // certificate must carry, checked by OpenSSL during verification.
  stream = std::make_unique<Stream>(ioc, tls);
  SSL* ssl_handle = stream->native_handle();
  if (host_is_ip) {
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), config.host.c_str()) != 1) {
      ERR_clear_error();
      return fail(Errc::invalid_argument, "not a usable server address: " + config.host);
    }
  } else if (SSL_set_tlsext_host_name(ssl_handle, config.host.c_str()) != 1 || SSL_set1_host(ssl_handle, config.host.c_str()) != 1) {
    ERR_clear_error();
    return fail(Errc::invalid_argument, "not a usable server name: " + config.host);
  }

  // TCP.
  {
    std::optional<error_code> done;
    beast::get_lowest_layer(*stream).async_connect(endpoints, [&done](error_code ec, const tcp::endpoint&) { done = ec; });
    const error_code ec = wait(done, remaining());
    if (ec == asio::error::timed_out) {
      drop();
      return fail(Errc::unavailable, cannot + "timed out after " + duration_text(config.connect_timeout));
    }
    if (ec) {
      drop();
      return fail(Errc::unavailable, cannot + lower_first(ec.message()));
    }
    error_code ignored;
    beast::get_lowest_layer(*stream).socket().set_option(tcp::no_delay(true), ignored);
  }

  // TLS handshake, within what is left of the connect timeout.
  {
    std::optional<error_code> done;
    stream->async_handshake(ssl::stream_base::client, [&done](error_code ec) { done = ec; });
    const error_code ec = wait(done, remaining());
    if (ec == asio::error::timed_out) {
      drop();
      return fail(Errc::unavailable, "TLS handshake with " + where + " timed out after " + duration_text(config.connect_timeout));
    }
    if (ec) {
      std::optional<std::string> problem = tls_problem(ssl_handle, ec, config.host);
      drop();
      if (problem) return fail(Errc::unavailable, std::move(*problem));
      if (is_closed(ec)) return fail(Errc::unavailable, "TLS: " + where + " closed the connection during the handshake");
      return fail(Errc::unavailable, "TLS handshake with " + where + " failed: " + lower_first(ec.message()));
    }
  }

  // Invariant 2: pinning, on top of the CA check.
  if (!chain_is_pinned(ssl_handle, config.spki_pins)) {
    drop();
    return fail(Errc::unavailable, "TLS: server key is not pinned");
  }
  return {};
}

Exchange HttpsTransport::Impl::exchange(const protocol::HttpRequest& request) {
  auto failed = [this](std::string message) {
    drop();
    return Exchange{fail(Errc::unavailable, std::move(message)), false};
  };

  http::request<http::string_body> req;
  req.version(11);
  const http::verb verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) {
    req.method_string(request.method);
  } else {
    req.method(verb);
  }
  req.target(request.target);
  for (const auto& [name, value] : request.headers) {
    if (beast::iequals(name, "Host") || beast::iequals(name, "Content-Length") ||
        beast::iequals(name, "Transfer-Encoding") || beast::iequals(name, "Connection")) {
      continue;
    }
    req.set(name, value);
  }
  req.set(http::field::host, host_header);
  if (request.headers.find("User-Agent") == request.headers.end()) req.set(http::field::user_agent, "vigil-client");
  req.keep_alive(true);
  req.body() = request.body;
  if (!request.body.empty() || verb == http::verb::post || verb == http::verb::put || verb == http::verb::patch) {
    req.content_length(request.body.size());
  }

  // Write.
  {
    std::optional<error_code> done;
    http::async_write(*stream, req, [&done](error_code ec, std::size_t) { done = ec; });
    const error_code ec = wait(done, config.io_timeout);
    if (ec == asio::error::timed_out) return failed("timed out after " + duration_text(config.io_timeout) + " sending to " + where);
    if (ec) {
      if (auto problem = tls_problem(nullptr, ec, config.host)) return failed(std::move(*problem));
      Exchange out = failed("could not send the request to " + where + ": " + lower_first(ec.message()));
      out.stale = is_closed(ec);
      return out;
    }
  }

  // Read, within the response limit.
  http::response_parser<http::string_body> parser;
  parser.header_limit(response_header_limit);
  parser.body_limit(static_cast<std::uint64_t>(config.response_limit));
  if (verb == http::verb::head) parser.skip(true);
  {
    std::optional<error_code> done;
    http::async_read(*stream, buffer, parser, [&done](error_code ec, std::size_t) { done = ec; });
    const error_code ec = wait(done, config.io_timeout);
    if (ec == asio::error::timed_out) {
      return failed("timed out after " + duration_text(config.io_timeout) + " waiting for the response from " + where);
    }
    if (ec) {
      const bool nothing_received = !parser.got_some() && buffer.size() == 0;
      if (ec == http::error::body_limit) {
        return failed("the response from " + where + " is larger than the limit of " + std::to_string(config.response_limit) + " bytes");
      }
      if (is_closed(ec) || ec == http::error::partial_message) {
        if (nothing_received) {
          Exchange out = failed(where + " closed the connection without responding");
          out.stale = true;
          return out;
        }
        return failed("connection closed mid-response from " + where);
      }
      if (auto problem = tls_problem(nullptr, ec, config.host)) return failed(std::move(*problem));
      if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
        return failed("the response from " + where + " is not valid HTTP: " + lower_first(ec.message()));
      }
      return failed("could not read the response from " + where + ": " + lower_first(ec.message()));
    }
  }

  http::response<http::string_body> msg = parser.release();
  protocol::HttpResponse response;
  response.status = static_cast<int>(msg.result_int());
  for (const auto& field : msg) {
    auto [it, inserted] = response.headers.try_emplace(std::string(field.name_string()), std::string(field.value()));
    if (!inserted) it->second += ", " + std::string(field.value());
  }
  response.body = std::move(msg.body());
  if (!msg.keep_alive()) drop();
  return Exchange{std::move(response), false};
}

HttpsTransport::HttpsTransport(TransportConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

HttpsTransport::~HttpsTransport() { impl_->drop(); }

void HttpsTransport::reset() { impl_->drop(); }

Result<protocol::HttpResponse> HttpsTransport::roundtrip(const protocol::HttpRequest& request) {
  Impl& s = *impl_;
  if (s.config_error) return fail(*s.config_error);
  const bool bad_method = request.method.empty() || std::any_of(request.method.begin(), request.method.end(), [](char c) {
                            return !std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_';
                          });
  if (bad_method) return fail(Errc::invalid_argument, "not an HTTP method: " + request.method);
  if (request.target.empty() || request.target[0] != '/' || has_control_chars(request.target) ||
      request.target.find(' ') != std::string::npos) {
    return fail(Errc::invalid_argument, "not a request target: " + request.target);
  }
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || has_control_chars(name) || has_control_chars(value) || name.find(':') != std::string::npos) {
      return fail(Errc::invalid_argument, "not a valid header field: " + name);
    }
  }

  for (int attempt = 0;; ++attempt) {
    const bool reused = s.stream != nullptr && !s.peer_closed();
    if (!reused) VIGIL_TRY(s.connect());
    Exchange out = s.exchange(request);
    // A stale keep-alive connection: once, and only when repeating the request is harmless.
    if (!out.result && out.stale && reused && attempt == 0 && is_idempotent(request.method)) continue;
    return std::move(out.result);
  }
}

}  // namespace vigil::client::sync
