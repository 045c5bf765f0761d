#pragma once
// Assessment packages, sitting grants and start codes: how an assessment reaches a candidate's
// device sealed, and how its content key is released at the scheduled start (DESIGN.md section 4;
// the format, with a diagram of the key wrapping, is in docs/PACKAGE-FORMAT.md).
//
// Invariants:
//  (1) Nothing in a package is parsed beyond its lengths, and nothing is decrypted, before the
//      server's Ed25519 signature over every byte before the signature has verified.
//  (2) The header is also the AES-256-GCM associated data, so a header moved onto another
//      ciphertext fails twice (signature and tag).
//  (3) A package's plaintext is the client-side assessment only (assessment/json.hpp): no answer
//      keys, rationales or rubrics ever go into one.
//  (4) The offline copy of the content key needs both the device (a sealed box to its X25519
//      key-agreement key) and the candidate's start code (AES-256-GCM under scrypt(code)); the
//      online copy is sealed to the device's key only, and is sent only at the scheduled start.
//  (5) Grants are signed by the same server package key as packages; a client checks the
//      signature before using anything in a grant.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "shared/assessment/model.hpp"
#include "shared/core/bytes.hpp"
#include "shared/core/result.hpp"
#include "shared/crypto/kdf.hpp"
#include "shared/crypto/secure.hpp"
#include "shared/crypto/x25519.hpp"

namespace vigil::package {

// ---- Package container ----------------------------------------------------------------------

inline constexpr std::string_view k_magic = "VIGILPKG";  // 8 bytes
inline constexpr std::uint16_t k_format_version = 1;
inline constexpr std::string_view k_cipher = "AES-256-GCM";
inline constexpr std::size_t k_max_header_bytes = 4096;
inline constexpr std::size_t k_max_package_bytes = 16 * 1024 * 1024;
inline constexpr std::size_t k_content_key_size = 32;

struct PackageHeader {
  std::string assessment_id;
  std::uint32_t version = 0;
  assessment::Level level = assessment::Level::practitioner;
  std::string key_id;               // content_key_id(content key): names the key, reveals nothing
  std::string signer_key_id;        // protocol::key_id_of(the server's package public key)
  std::string cipher{k_cipher};
  Bytes nonce;                      // 12 bytes, random per build
  std::array<std::uint8_t, 32> plaintext_sha256{};
  std::uint64_t plaintext_size = 0;
  std::uint64_t ciphertext_size = 0;  // plaintext_size + 16 (the GCM tag)

  bool operator==(const PackageHeader&) const = default;
};

// A package whose form and signature have been checked (invariant 1); still encrypted.
struct VerifiedPackage {
  PackageHeader header;
  Bytes aad;         // the bytes the header is bound by (magic .. header)
  Bytes ciphertext;
};

// The first 16 hex digits of SHA-256("vigil.content-key-id.v1" || key).
std::string content_key_id(ByteView content_key);

// Encrypts and signs the assessment's JSON (assessment/json.hpp). REQUIRES: content_key is 32
// bytes, signing_seed a 32-byte Ed25519 seed.
Result<Bytes> build_package(const assessment::Assessment& a, ByteView content_key, ByteView signing_seed);

// Checks a package file. Errors, each with nothing decrypted:
//   not a package (wrong magic), a bad length, truncated or trailing bytes -> invalid_argument;
//   a format version other than 1 -> unsupported_version;
//   a signature that does not verify with signer_public (tampering, or another server) -> integrity.
Result<VerifiedPackage> verify_package(ByteView file, ByteView signer_public);

// Decrypts a verified package. A key whose id is not the header's -> wrong_key; a tag or
// plaintext hash that does not match -> integrity; plaintext that is not a valid assessment for
// the header's id, version and level -> integrity.
Result<assessment::Assessment> decrypt_package(const VerifiedPackage& p, ByteView content_key);

// ---- Start codes ----------------------------------------------------------------------------

// 12 characters from a 25-letter alphabet without look-alikes (no 0/O, 1/I/L, 2/Z, 5/S, 8/B),
// shown as XXXX-XXXX-XXXX: 25^12 ~ 2^55.7 possibilities, read easily over the phone.
inline constexpr std::string_view k_start_code_alphabet = "ACDEFGHJKMNPQRTUVWXY34679";
inline constexpr std::size_t k_start_code_len = 12;

Result<std::string> generate_start_code();
// Upper-cases and drops spaces and hyphens; anything else outside the alphabet, or a length
// other than 12, is invalid_argument (a typo, told before any attempt is counted).
Result<std::string> normalise_start_code(std::string_view typed);

// The server's copy of a content key locked under a start code: no code is stored, only this.
struct CodeLock {
  Bytes salt;                 // 16 bytes
  crypto::ScryptParams params;
  Bytes nonce;                // 12 bytes
  Bytes locked;               // AES-256-GCM(scrypt(code, salt), nonce, aad, content key): 48 bytes
};
// Scrypt parameters for start codes (about 32 MiB, tens of milliseconds per try).
inline const crypto::ScryptParams k_start_code_scrypt{1u << 15, 8, 1};

// REQUIRES: code normalised. aad binds the lock to the sitting and the key id.
Result<CodeLock> lock_with_code(ByteView content_key, std::string_view code, std::string_view sitting_id,
                                const crypto::ScryptParams& params = k_start_code_scrypt);
// Wrong code -> auth_failed. Parameters beyond sane bounds (n > 2^20, r > 32, p > 4) -> invalid_argument.
Result<crypto::SecretBytes> unlock_with_code(const CodeLock& lock, std::string_view code, std::string_view sitting_id,
                                             std::string_view key_id);

// ---- Sitting grants -------------------------------------------------------------------------

// One candidate's sitting of one assessment version on one device, signed by the server.
struct SittingGrant {
  std::string sitting_id;            // also the client's journal session id
  std::string candidate_id;
  std::string device_id;
  std::string assessment_id;
  std::uint32_t version = 0;
  std::string key_id;                // the package's content key id
  std::int64_t scheduled_start_ms = 0;  // wall time, Unix ms
  std::int64_t window_end_ms = 0;
  assessment::Accommodations accommodations;
  // Offline release: seal(device kx, nonce || locked) of the CodeLock below, with its scrypt salt
  // and parameters in clear. All empty / zero when the sitting had no start code yet.
  Bytes code_salt;
  std::uint64_t scrypt_n = 0;
  std::uint32_t scrypt_r = 0;
  std::uint32_t scrypt_p = 0;
  Bytes offline_key;
  std::int64_t issued_ms = 0;
  std::string signer_key_id;
  Bytes signature;                   // Ed25519 over grant_message()

  bool operator==(const SittingGrant&) const = default;
};

// Associated data of the sealed boxes: a box for one sitting cannot be used for another.
std::string offline_key_aad(std::string_view sitting_id);
std::string online_key_aad(std::string_view sitting_id);

// Fills the offline fields from a lock, sealed to the device's kx public key.
Status wrap_offline_key(SittingGrant& g, const CodeLock& lock, ByteView device_kx_public);
// Both factors: the device's kx key pair opens the box (another device's key -> wrong_key),
// the code opens the lock (wrong code -> auth_failed). A grant issued before the sitting had a
// start code has no offline key -> not_found.
Result<crypto::SecretBytes> unwrap_offline_key(const SittingGrant& g, const crypto::X25519KeyPair& device_kx,
                                               std::string_view normalised_code);

Bytes grant_message(const SittingGrant& g);  // VCE1, domain "vigil.sitting-grant.v1"
Status sign_grant(SittingGrant& g, ByteView seed, ByteView public_key);
// A bad signature or a key id that does not name public_key -> integrity.
Status verify_grant(const SittingGrant& g, ByteView public_key);

nlohmann::json to_json(const SittingGrant& g);
Result<SittingGrant> parse_grant(std::string_view text);  // strict; "v":1

}  // namespace vigil::package
