// The PKI as Vigil deploys it: a root CA, a device-issuing intermediate (path length 0), a server
// certificate and device certificates issued from CSRs, verified the way the TLS endpoints will
// (X509_STRICT, a fixed time, the sslclient/sslserver purpose). Keys that Vigil never uses (RSA,
// Ed25519, P-384) are made with OpenSSL directly so the refusals are tested on real requests.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "shared/core/bytes.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/pki.hpp"
#include "tests/support/refused.hpp"
#include "shared/crypto/secure.hpp"

using Catch::Matchers::ContainsSubstring;
using vigil::Bytes;
using vigil::Errc;
namespace crypto = vigil::crypto;
using Use = crypto::CertificateSpec::Use;

namespace {

constexpr std::int64_t k_day = 86'400;
constexpr std::int64_t k_year = 365 * k_day;
constexpr std::int64_t k_start = 1'767'225'600;  // 2026-01-01T00:00:00Z
constexpr std::int64_t k_now = k_start + 30 * k_day;

const std::string k_candidate = "c-7f3a9e";
const std::string k_device = "d-41b2c0";

crypto::KeyPairPem new_key() {
  auto key = crypto::p256_generate();
  REQUIRE(key.has_value());
  return std::move(*key);
}

crypto::CertificateSpec ca_spec(std::string cn, int path_length, std::int64_t years) {
  crypto::CertificateSpec spec;
  spec.common_name = std::move(cn);
  spec.is_ca = true;
  spec.path_length = path_length;
  spec.use = Use::ca;
  spec.not_before_unix = k_start;
  spec.not_after_unix = k_start + years * k_year;
  return spec;
}

crypto::CertificateSpec server_spec() {
  crypto::CertificateSpec spec;
  spec.common_name = "localhost";
  spec.dns_names = {"localhost"};
  spec.ip_addresses = {"127.0.0.1"};
  spec.use = Use::server;
  spec.not_before_unix = k_start;
  spec.not_after_unix = k_start + k_year;
  return spec;
}

crypto::CertificateSpec device_spec(const std::string& device_id) {
  crypto::CertificateSpec spec;
  spec.common_name = device_id;
  spec.uris = {"vigil:candidate/" + k_candidate + "/device/" + device_id};
  spec.use = Use::client;
  spec.not_before_unix = k_start;
  spec.not_after_unix = k_start + k_year;
  return spec;
}

std::string issue(const crypto::CertificateSpec& spec, std::string_view subject_public_pem,
                  std::string_view issuer_cert_pem, const crypto::SecretBytes& issuer_key) {
  auto cert = crypto::issue_certificate(spec, subject_public_pem, issuer_cert_pem, issuer_key);
  INFO((cert ? std::string() : cert.error().describe()));
  REQUIRE(cert.has_value());
  return std::move(*cert);
}

// Root → {server, device CA → device}, as certs/ builds it for operators.
struct Hierarchy {
  crypto::KeyPairPem root_key = new_key();
  std::string root = issue(ca_spec("Vigil Root CA", -1, 10), root_key.public_pem, "", root_key.private_pem);
  crypto::KeyPairPem device_ca_key = new_key();
  std::string device_ca =
      issue(ca_spec("Vigil Device CA", 0, 5), device_ca_key.public_pem, root, root_key.private_pem);
  crypto::KeyPairPem server_key = new_key();
  std::string server = issue(server_spec(), server_key.public_pem, root, root_key.private_pem);
  crypto::KeyPairPem device_key = new_key();
  std::string device = enrol(device_key, k_device);

  // The enrolment path: the device makes a CSR, the server parses it and issues from it.
  std::string enrol(const crypto::KeyPairPem& key, const std::string& device_id) const {
    auto csr = crypto::make_csr(key.private_pem, device_id);
    REQUIRE(csr.has_value());
    auto info = crypto::parse_csr(*csr);
    REQUIRE(info.has_value());
    return issue(device_spec(info->common_name), info->public_pem, device_ca, device_ca_key.private_pem);
  }
};

using vigil::testing::require_refused;

// --- PEM surgery, for tampering and for computing pins independently -----------------------------

Bytes pem_der(std::string_view pem) {
  const std::size_t begin = pem.find('\n', pem.find("-----BEGIN ")) + 1;
  const std::size_t end = pem.find("-----END ");
  std::string body;
  for (const char c : pem.substr(begin, end - begin)) {
    if (c != '\n' && c != '\r') body += c;
  }
  auto der = vigil::from_base64(body);
  REQUIRE(der.has_value());
  return *der;
}

std::string to_pem(std::string_view label, const Bytes& der) {
  const std::string body = vigil::to_base64(der);
  std::string pem = "-----BEGIN " + std::string(label) + "-----\n";
  for (std::size_t i = 0; i < body.size(); i += 64) pem += body.substr(i, 64) + "\n";
  return pem + "-----END " + std::string(label) + "-----\n";
}

// --- keys Vigil does not use, made with OpenSSL directly ------------------------------------------

struct OsslDeleter {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
  void operator()(X509_REQ* p) const noexcept { X509_REQ_free(p); }
  void operator()(X509_NAME* p) const noexcept { X509_NAME_free(p); }
  void operator()(BIO* p) const noexcept { BIO_free(p); }
};

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  REQUIRE(n > 0);
  return std::string(data, static_cast<std::size_t>(n));
}

// A correctly self-signed CSR for `key`; md is null for Ed25519 (which hashes internally).
std::string foreign_csr(EVP_PKEY* key, const EVP_MD* md, std::string_view cn) {
  const std::unique_ptr<X509_REQ, OsslDeleter> req(X509_REQ_new());
  const std::unique_ptr<X509_NAME, OsslDeleter> name(X509_NAME_new());
  REQUIRE((req && name));
  REQUIRE(X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(cn.data()),
                                     static_cast<int>(cn.size()), -1, 0) == 1);
  REQUIRE(X509_REQ_set_subject_name(req.get(), name.get()) == 1);
  REQUIRE(X509_REQ_set_pubkey(req.get(), key) == 1);
  REQUIRE(X509_REQ_sign(req.get(), key, md) > 0);
  const std::unique_ptr<BIO, OsslDeleter> bio(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_X509_REQ(bio.get(), req.get()) == 1);
  return bio_string(bio.get());
}

std::unique_ptr<EVP_PKEY, OsslDeleter> rsa_key() {
  std::unique_ptr<EVP_PKEY, OsslDeleter> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}));
  REQUIRE(key);
  return key;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// keys and requests

TEST_CASE("a P-256 key pair comes out as unencrypted PKCS#8 and SubjectPublicKeyInfo PEM") {
  const auto a = new_key();
  const auto b = new_key();
  CHECK(vigil::as_chars(crypto::view(a.private_pem)).starts_with("-----BEGIN PRIVATE KEY-----\n"));
  CHECK(a.public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
  CHECK(a.public_pem != b.public_pem);
  CHECK_FALSE(crypto::ct_equal(crypto::view(a.private_pem), crypto::view(b.private_pem)));
}

TEST_CASE("a CSR carries the device id and the device's public key to the issuer") {
  const auto key = new_key();
  auto csr = crypto::make_csr(key.private_pem, k_device);
  REQUIRE(csr.has_value());
  CHECK(csr->starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"));
  auto info = crypto::parse_csr(*csr);
  REQUIRE(info.has_value());
  CHECK(info->common_name == k_device);
  CHECK(info->public_pem == key.public_pem);
}

TEST_CASE("make_csr refuses an empty, overlong or control-character common name") {
  const auto key = new_key();
  require_refused(crypto::make_csr(key.private_pem, ""), Errc::invalid_argument, "common name");
  require_refused(crypto::make_csr(key.private_pem, std::string(65, 'a')), Errc::invalid_argument, "1 to 64");
  require_refused(crypto::make_csr(key.private_pem, "dev\nice"), Errc::invalid_argument, "control");
  CHECK(crypto::make_csr(key.private_pem, std::string(64, 'a')).has_value());
}

TEST_CASE("a CSR whose signature was tampered with is refused") {
  const auto key = new_key();
  auto csr = crypto::make_csr(key.private_pem, "device-1");
  REQUIRE(csr.has_value());

  SECTION("a changed subject no longer matches the signature") {
    Bytes der = pem_der(*csr);
    const std::string_view cn = "device-1";
    const auto at = std::search(der.begin(), der.end(), cn.begin(), cn.end());
    REQUIRE(at != der.end());
    *(at + 7) = '2';  // device-1 -> device-2, same length, still well-formed
    require_refused(crypto::parse_csr(to_pem("CERTIFICATE REQUEST", der)), Errc::invalid_argument,
                    "signature does not verify");
  }
  SECTION("a changed signature byte does not verify") {
    Bytes der = pem_der(*csr);
    der.back() ^= 0x01;  // the last byte of the ECDSA s value
    require_refused(crypto::parse_csr(to_pem("CERTIFICATE REQUEST", der)), Errc::invalid_argument, "signature");
  }
}

TEST_CASE("a CSR for an RSA, Ed25519 or P-384 key is refused with the key type named") {
  SECTION("RSA") {
    const auto key = rsa_key();
    require_refused(crypto::parse_csr(foreign_csr(key.get(), EVP_sha256(), k_device)), Errc::invalid_argument,
                    "is RSA; Vigil requires an EC P-256 key");
  }
  SECTION("Ed25519") {
    const std::unique_ptr<EVP_PKEY, OsslDeleter> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    REQUIRE(key);
    require_refused(crypto::parse_csr(foreign_csr(key.get(), nullptr, k_device)), Errc::invalid_argument,
                    "is ED25519; Vigil requires an EC P-256 key");
  }
  SECTION("P-384") {
    const std::unique_ptr<EVP_PKEY, OsslDeleter> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
    REQUIRE(key);
    require_refused(crypto::parse_csr(foreign_csr(key.get(), EVP_sha256(), k_device)), Errc::invalid_argument,
                    "requires the named curve P-256");
  }
}

TEST_CASE("a CSR signed with SHA-1 is refused even though its signature verifies") {
  const auto key = new_key();
  auto bio = std::unique_ptr<BIO, OsslDeleter>(
      BIO_new_mem_buf(key.private_pem.data(), static_cast<int>(key.private_pem.size())));
  const std::unique_ptr<EVP_PKEY, OsslDeleter> pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  REQUIRE(pkey);
  require_refused(crypto::parse_csr(foreign_csr(pkey.get(), EVP_sha1(), k_device)), Errc::invalid_argument,
                  "SHA-256 is required");
}

TEST_CASE("garbage, an oversized request and a certificate in place of a request are refused") {
  const Hierarchy pki;
  require_refused(crypto::parse_csr(""), Errc::invalid_argument, "not a readable PEM request");
  require_refused(crypto::parse_csr("hello"), Errc::invalid_argument, "not a readable PEM request");
  require_refused(
      crypto::parse_csr("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"),
      Errc::invalid_argument, "not a readable PEM request");
  require_refused(crypto::parse_csr(pki.server), Errc::invalid_argument, "not a readable PEM request");

  auto csr = crypto::make_csr(pki.device_key.private_pem, k_device);
  REQUIRE(csr.has_value());
  require_refused(crypto::parse_csr(*csr, csr->size() - 1), Errc::invalid_argument, "larger than");
  CHECK(crypto::parse_csr(*csr, csr->size()).has_value());
}

TEST_CASE("an encrypted private key is refused without prompting for a passphrase") {
  const auto key = new_key();
  auto in = std::unique_ptr<BIO, OsslDeleter>(
      BIO_new_mem_buf(key.private_pem.data(), static_cast<int>(key.private_pem.size())));
  const std::unique_ptr<EVP_PKEY, OsslDeleter> pkey(PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr));
  REQUIRE(pkey);
  const std::unique_ptr<BIO, OsslDeleter> out(BIO_new(BIO_s_mem()));
  const std::string passphrase = "correct horse";
  REQUIRE(PEM_write_bio_PKCS8PrivateKey(out.get(), pkey.get(), EVP_aes_256_cbc(), passphrase.data(),
                                        static_cast<int>(passphrase.size()), nullptr, nullptr) == 1);
  const std::string encrypted = bio_string(out.get());
  REQUIRE(encrypted.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
  const crypto::SecretBytes secret = crypto::to_secret(vigil::as_bytes(encrypted));
  require_refused(crypto::make_csr(secret, k_device), Errc::invalid_argument, "encrypted keys are not supported");
}

// ---------------------------------------------------------------------------------------------
// the hierarchy verifies

TEST_CASE("a device certificate issued from a CSR verifies for client use up to the root") {
  const Hierarchy pki;
  const auto ok = crypto::verify_certificate_chain(pki.device, pki.device_ca, pki.root, k_now, true);
  INFO((ok ? std::string() : ok.error().describe()));
  CHECK(ok.has_value());
}

TEST_CASE("the server certificate verifies for server use up to the root") {
  const Hierarchy pki;
  const auto ok = crypto::verify_certificate_chain(pki.server, "", pki.root, k_now, false);
  INFO((ok ? std::string() : ok.error().describe()));
  CHECK(ok.has_value());
}

TEST_CASE("several roots may be trusted at once, as during a root rollover") {
  const Hierarchy pki;
  const Hierarchy other;
  CHECK(
      crypto::verify_certificate_chain(pki.device, pki.device_ca, other.root + pki.root, k_now, true).has_value());
  CHECK(crypto::verify_certificate_chain(pki.server, "", pki.root + other.root, k_now, false).has_value());
}

// ---------------------------------------------------------------------------------------------
// the hierarchy refuses

TEST_CASE("an expired certificate is refused, and so is one not yet valid") {
  const Hierarchy pki;
  const std::int64_t device_not_after = k_start + k_year;
  // OpenSSL counts notBefore itself as valid and notAfter itself as already expired.
  CHECK(crypto::verify_certificate_chain(pki.device, pki.device_ca, pki.root, k_start, true).has_value());
  CHECK(crypto::verify_certificate_chain(pki.device, pki.device_ca, pki.root, device_not_after - 1, true)
            .has_value());
  require_refused(
      crypto::verify_certificate_chain(pki.device, pki.device_ca, pki.root, device_not_after + 1, true),
      Errc::integrity, "certificate has expired");
  require_refused(crypto::verify_certificate_chain(pki.server, "", pki.root, k_start + 2 * k_year, false),
                  Errc::integrity, "certificate has expired (depth 0, CN \"localhost\")");
  require_refused(crypto::verify_certificate_chain(pki.server, "", pki.root, k_start - 1, false), Errc::integrity,
                  "certificate is not yet valid");
}

TEST_CASE("a chain is refused under a root that did not issue it") {
  const Hierarchy pki;
  const Hierarchy other;
  require_refused(crypto::verify_certificate_chain(pki.device, pki.device_ca, other.root, k_now, true),
                  Errc::integrity, "unable to get local issuer certificate");
  require_refused(crypto::verify_certificate_chain(pki.server, "", other.root, k_now, false), Errc::integrity,
                  "unable to get local issuer certificate");
}

TEST_CASE("a device certificate is refused without the device CA between it and the root") {
  const Hierarchy pki;
  require_refused(crypto::verify_certificate_chain(pki.device, "", pki.root, k_now, true), Errc::integrity,
                  "unable to get local issuer certificate");
}

TEST_CASE("a leaf signed by an unrelated CA is refused, even one that copies our CA's name") {
  const Hierarchy pki;
  const auto impostor_key = new_key();
  // Same subject name as our device CA, self-signed with its own key.
  const std::string impostor =
      issue(ca_spec("Vigil Device CA", 0, 5), impostor_key.public_pem, "", impostor_key.private_pem);
  const auto key = new_key();
  const std::string leaf = issue(device_spec("d-impostor"), key.public_pem, impostor, impostor_key.private_pem);

  SECTION("offered with our device CA as the intermediate") {
    require_refused(crypto::verify_certificate_chain(leaf, pki.device_ca, pki.root, k_now, true), Errc::integrity, "");  // any reason
  }
  SECTION("offered with the impostor CA as the intermediate") {
    require_refused(crypto::verify_certificate_chain(leaf, impostor, pki.root, k_now, true), Errc::integrity, "");  // any reason
  }
}

TEST_CASE("a client certificate is refused for server use, and a server certificate for client use") {
  const Hierarchy pki;
  require_refused(crypto::verify_certificate_chain(pki.device, pki.device_ca, pki.root, k_now, false),
                  Errc::integrity, "unsuitable certificate purpose");
  require_refused(crypto::verify_certificate_chain(pki.server, "", pki.root, k_now, true), Errc::integrity,
                  "unsuitable certificate purpose");
}

TEST_CASE("verify_certificate_chain refuses unreadable PEM as bad input, not as a failed chain") {
  const Hierarchy pki;
  require_refused(crypto::verify_certificate_chain("nonsense", "", pki.root, k_now, false), Errc::invalid_argument,
                  "leaf certificate");
  require_refused(crypto::verify_certificate_chain(pki.device, "nonsense", pki.root, k_now, true),
                  Errc::invalid_argument, "intermediate");
  require_refused(crypto::verify_certificate_chain(pki.server, "", "", k_now, false), Errc::invalid_argument,
                  "no root certificate");
}

// ---------------------------------------------------------------------------------------------
// issuing refuses what would make a broken or misleading certificate

TEST_CASE("the device CA cannot issue another CA (path length 0)") {
  const Hierarchy pki;
  const auto key = new_key();
  require_refused(crypto::issue_certificate(ca_spec("Sub CA", -1, 1), key.public_pem, pki.device_ca,
                                            pki.device_ca_key.private_pem),
                  Errc::invalid_argument, "path length 0");
}

TEST_CASE("issue_certificate refuses inconsistent specs, bad names and mismatched keys") {
  const Hierarchy pki;
  const auto key = new_key();
  auto spec = device_spec("d-1");

  SECTION("is_ca must agree with use") {
    spec.is_ca = true;
    require_refused(crypto::issue_certificate(spec, key.public_pem, pki.device_ca, pki.device_ca_key.private_pem),
                    Errc::invalid_argument, "is_ca");
  }
  SECTION("path_length only for a CA") {
    spec.path_length = 0;
    require_refused(crypto::issue_certificate(spec, key.public_pem, pki.device_ca, pki.device_ca_key.private_pem),
                    Errc::invalid_argument, "path_length");
  }
  SECTION("validity must be a forward interval") {
    spec.not_after_unix = spec.not_before_unix;
    require_refused(crypto::issue_certificate(spec, key.public_pem, pki.device_ca, pki.device_ca_key.private_pem),
                    Errc::invalid_argument, "not_after");
  }
  SECTION("a certificate may not outlive its issuer") {
    spec.not_after_unix = k_start + 6 * k_year;
    require_refused(crypto::issue_certificate(spec, key.public_pem, pki.device_ca, pki.device_ca_key.private_pem),
                    Errc::invalid_argument, "outlive");
  }
  SECTION("names must be well-formed") {
    auto server = server_spec();
    server.dns_names = {"bad name,DNS:evil.example"};
    require_refused(crypto::issue_certificate(server, key.public_pem, pki.root, pki.root_key.private_pem),
                    Errc::invalid_argument, "not a valid DNS name");
    server = server_spec();
    server.ip_addresses = {"127.0.0"};
    require_refused(crypto::issue_certificate(server, key.public_pem, pki.root, pki.root_key.private_pem),
                    Errc::invalid_argument, "not an IPv4 or IPv6 address");
    spec.uris = {"no scheme here"};
    require_refused(crypto::issue_certificate(spec, key.public_pem, pki.device_ca, pki.device_ca_key.private_pem),
                    Errc::invalid_argument, "not a valid URI");
  }
  SECTION("the issuer key must belong to the issuer certificate") {
    require_refused(crypto::issue_certificate(spec, key.public_pem, pki.device_ca, pki.root_key.private_pem),
                    Errc::invalid_argument, "does not belong to the issuer certificate");
  }
  SECTION("a self-signed certificate needs the subject's own key") {
    require_refused(
        crypto::issue_certificate(ca_spec("Root", -1, 1), key.public_pem, "", pki.root_key.private_pem),
        Errc::invalid_argument, "self-signed");
  }
  SECTION("a leaf certificate cannot issue") {
    require_refused(crypto::issue_certificate(spec, key.public_pem, pki.server, pki.server_key.private_pem),
                    Errc::invalid_argument, "not a CA");
  }
  SECTION("the subject key must be a P-256 public key") {
    require_refused(crypto::issue_certificate(spec, "not a key", pki.device_ca, pki.device_ca_key.private_pem),
                    Errc::invalid_argument, "subject public key");
  }
}

// ---------------------------------------------------------------------------------------------
// reading certificates and pins

TEST_CASE("parse_certificate returns the fields the certificate was issued with") {
  const Hierarchy pki;

  auto device = crypto::parse_certificate(pki.device);
  REQUIRE(device.has_value());
  CHECK(device->common_name == k_device);
  CHECK(device->not_before_unix == k_start);
  CHECK(device->not_after_unix == k_start + k_year);
  CHECK_FALSE(device->is_ca);
  CHECK(device->uris == std::vector<std::string>{"vigil:candidate/" + k_candidate + "/device/" + k_device});
  CHECK(device->dns_names.empty());
  CHECK(device->spki_pin == crypto::spki_pin_of_public_key(pki.device_key.public_pem));

  auto server = crypto::parse_certificate(pki.server);
  REQUIRE(server.has_value());
  CHECK(server->common_name == "localhost");
  CHECK(server->dns_names == std::vector<std::string>{"localhost"});
  CHECK(server->uris.empty());

  auto root = crypto::parse_certificate(pki.root);
  auto device_ca = crypto::parse_certificate(pki.device_ca);
  REQUIRE((root.has_value() && device_ca.has_value()));
  CHECK(root->is_ca);
  CHECK(device_ca->is_ca);
  CHECK(root->common_name == "Vigil Root CA");
  CHECK(root->not_after_unix == k_start + 10 * k_year);
}

TEST_CASE("serial numbers are random, positive and at most 128 bits") {
  const Hierarchy pki;
  std::vector<std::string> serials;
  for (int i = 0; i < 8; ++i) {
    const auto key = new_key();
    auto info = crypto::parse_certificate(issue(device_spec("d-" + std::to_string(i)), key.public_pem,
                                                pki.device_ca, pki.device_ca_key.private_pem));
    REQUIRE(info.has_value());
    CHECK(info->serial_hex.size() <= 32);
    CHECK(info->serial_hex.size() >= 2);
    CHECK(info->serial_hex.find_first_not_of("0123456789abcdef") == std::string::npos);  // no '-' sign
    serials.push_back(info->serial_hex);
  }
  std::sort(serials.begin(), serials.end());
  CHECK(std::adjacent_find(serials.begin(), serials.end()) == serials.end());
}

TEST_CASE("a certificate's pin equals its public key's pin and is base64 of SHA-256 over the SPKI") {
  const Hierarchy pki;
  auto pin = crypto::spki_pin_of_certificate(pki.root);
  REQUIRE(pin.has_value());
  CHECK(*pin == crypto::spki_pin_of_public_key(pki.root_key.public_pem));
  // Independently: the PUBLIC KEY PEM body is the DER SubjectPublicKeyInfo.
  const auto digest = crypto::sha256(pem_der(pki.root_key.public_pem));
  CHECK(*pin == vigil::to_base64(digest));
  CHECK(pin->size() == 44);
}

TEST_CASE("pins differ between keys, and an unreadable key has no pin") {
  const Hierarchy pki;
  const std::string root_pin = crypto::spki_pin_of_public_key(pki.root_key.public_pem);
  CHECK(root_pin != crypto::spki_pin_of_public_key(pki.device_ca_key.public_pem));
  CHECK(*crypto::spki_pin_of_certificate(pki.server) != root_pin);
  CHECK(crypto::spki_pin_of_public_key("not a key").empty());
  CHECK_FALSE(crypto::spki_pin_of_certificate("not a certificate").has_value());
}
