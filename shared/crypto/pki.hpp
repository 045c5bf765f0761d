#pragma once
// X.509 for the sync transport: ECDSA P-256 keys, certificate signing requests, certificate
// issuing, parsing, public-key pins and chain verification. OpenSSL 3 underneath; this header
// stays OpenSSL-free.
//
// The hierarchy (docs/CERTIFICATES.md):
//
//   root CA (self-signed, offline in production)
//     ├── server certificate          (serverAuth, SAN DNS/IP)
//     └── device-issuing CA (pathlen 0, on the server)
//           └── device certificate    (clientAuth, CN = device id, SAN URI
//                                      vigil:candidate/<candidate>/device/<device>)
//
// The client trusts only the root and additionally pins its public key (pin-sha256).
//
// All keys are ECDSA P-256 and every signature is ECDSA with SHA-256. Everything travels as PEM:
// private keys as unencrypted PKCS#8 ("BEGIN PRIVATE KEY") in SecretBytes, public keys as
// SubjectPublicKeyInfo ("BEGIN PUBLIC KEY"), requests as "BEGIN CERTIFICATE REQUEST", certificates
// as "BEGIN CERTIFICATE". Encrypted private keys are refused (never a passphrase prompt).
//
// Error codes: malformed or unacceptable input (garbage PEM, wrong key type, a request whose
// signature does not verify, an inconsistent CertificateSpec) is Errc::invalid_argument; a chain
// that does not verify is Errc::integrity; a library failure is Errc::crypto.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shared/core/result.hpp"
#include "shared/crypto/secure.hpp"

namespace vigil::crypto {

// --- keys -------------------------------------------------------------------------------------

struct KeyPairPem {
  SecretBytes private_pem;  // PKCS#8 PEM, unencrypted
  std::string public_pem;   // SubjectPublicKeyInfo PEM
};

// A fresh ECDSA P-256 key pair from OpenSSL's DRBG.
Result<KeyPairPem> p256_generate();

// --- certificate signing requests -------------------------------------------------------------

// A PKCS#10 request with subject CN = common_name, signed (ECDSA-SHA256) by the P-256 key in
// private_pem. The common name must be 1..64 bytes of UTF-8 without control characters.
Result<std::string> make_csr(const SecretBytes& private_pem, std::string_view common_name);

struct CsrInfo {
  std::string common_name;
  std::string public_pem;  // the requester's key, SubjectPublicKeyInfo PEM
};

// Reads an untrusted request (the enrolment endpoint's input). Accepts it only if: the PEM is at
// most max_len bytes and holds a version-1 request; its key is EC on P-256 and a valid point; its
// self-signature is ECDSA with SHA-256/384/512 and verifies; the subject has exactly one CN.
// Requested extensions and other subject fields are ignored: the issuer decides what a device
// certificate contains. Any failure is Errc::invalid_argument with a message saying which check.
Result<CsrInfo> parse_csr(std::string_view pem, std::size_t max_len = 8192);

// --- issuing ----------------------------------------------------------------------------------

struct CertificateSpec {
  std::string common_name;                // the subject is CN only; 1..64 bytes
  std::vector<std::string> dns_names;     // subjectAltName dNSName: LDH labels, optional "*." first
  std::vector<std::string> ip_addresses;  // subjectAltName iPAddress: IPv4 or IPv6 text
  std::vector<std::string> uris;          // subjectAltName URI: printable ASCII with a scheme
  bool is_ca = false;                     // must agree with use: true exactly for Use::ca
  int path_length = -1;                   // CA only: pathlen constraint; -1 = none
  enum class Use { server, client, ca } use = Use::server;
  std::int64_t not_before_unix = 0;
  std::int64_t not_after_unix = 0;  // must be later than not_before_unix
};

// Issues an X.509 v3 certificate for subject_public_pem (an EC P-256 key), signed with
// ECDSA-SHA256 by issuer_private_pem.
//   - issuer_cert_pem empty: self-signed; the subject key must be the issuer key's public half
//     and the issuer name is the subject name.
//   - otherwise: the issuer certificate must be a CA with keyCertSign, its key must match
//     issuer_private_pem, and the new certificate must not outlive it (not_after_unix <= the
//     issuer's notAfter), so a chain never fails earlier than its leaf says.
// Contents: a random 128-bit positive serial; basicConstraints (critical; CA:TRUE[, pathlen] for
// CAs, CA:FALSE otherwise); keyUsage (critical; keyCertSign, cRLSign for CAs, digitalSignature
// otherwise); extendedKeyUsage serverAuth or clientAuth (none for CAs); subjectKeyIdentifier;
// authorityKeyIdentifier (keyid); subjectAltName when any DNS/IP/URI names are given.
// Returns the certificate PEM.
Result<std::string> issue_certificate(const CertificateSpec& spec, std::string_view subject_public_pem,
                                      std::string_view issuer_cert_pem, const SecretBytes& issuer_private_pem);

// --- reading certificates ---------------------------------------------------------------------

struct CertificateInfo {
  std::string common_name;  // the subject's first CN; empty if it has none
  // The serial's magnitude as lower-case hex, two digits per byte, no leading zero bytes: the
  // form `openssl x509 -noout -serial` prints, lower-cased. Revocation lists use this form.
  std::string serial_hex;
  std::int64_t not_before_unix = 0, not_after_unix = 0;
  bool is_ca = false;  // basicConstraints CA:TRUE
  std::vector<std::string> uris, dns_names;
  std::string spki_pin;  // as spki_pin_of_certificate
};

// The first certificate in `pem` (other PEM blocks before it are skipped). A certificate whose
// extensions OpenSSL cannot decode is refused (Errc::invalid_argument).
Result<CertificateInfo> parse_certificate(std::string_view pem);

// --- pins -------------------------------------------------------------------------------------

// base64(SHA-256(DER SubjectPublicKeyInfo)): the HPKP "pin-sha256" form, 44 characters, the same
// value as `certs/pin.sh`. Returns an empty string if public_pem is not a public key PEM, so a
// caller comparing pins must treat an empty pin as "no pin", never as a match.
std::string spki_pin_of_public_key(std::string_view public_pem);
// The pin of the first certificate's key, hashed over the SubjectPublicKeyInfo bytes exactly as
// they appear in the certificate.
Result<std::string> spki_pin_of_certificate(std::string_view cert_pem);

// --- verification -----------------------------------------------------------------------------

// Verifies the first certificate in leaf_pem up to a self-signed certificate in root_pem (every
// certificate there is a trust anchor; nothing else is trusted, never the system store), with the
// certificates in intermediates_pem (may be empty) as untrusted helpers. Checks are OpenSSL's
// with X509_V_FLAG_X509_STRICT, validity at at_unix (not the current time), and the TLS purpose:
// sslclient when client_purpose, else sslserver (keyUsage, extendedKeyUsage, CA flags, path
// length along the chain). A failure is Errc::integrity and names OpenSSL's verify error, the
// depth and the CN of the certificate it concerns; unreadable PEM is Errc::invalid_argument.
Status verify_certificate_chain(std::string_view leaf_pem, std::string_view intermediates_pem,
                                std::string_view root_pem, std::int64_t at_unix, bool client_purpose);

}  // namespace vigil::crypto
