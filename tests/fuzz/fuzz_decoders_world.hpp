#pragma once
// What the decoder targets (fuzz_package, fuzz_certificate, fuzz_content) and make_fuzz_corpus
// agree on: fixed keys, so the signed seeds verify in the targets; the genuine credentials and
// revocation list, so a target can tell a genuine one from a forgery; and the input format of
// fuzz_content (several files in one input).
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shared/certificate/credential.hpp"
#include "shared/core/bytes.hpp"
#include "shared/crypto/ed25519.hpp"
#include "shared/protocol/sync.hpp"

namespace vigil::fuzz {

// The server's package key (Ed25519 seed bytes) and the content key of the seed package.
inline constexpr std::uint8_t k_package_seed_byte = 0x21;
inline constexpr std::uint8_t k_content_key_byte = 0x33;
// The issuer keys of the certificates: the active one and a retired one.
inline constexpr std::uint8_t k_issuer_seed_byte = 0x44;
inline constexpr std::uint8_t k_retired_issuer_seed_byte = 0x45;

inline constexpr std::int64_t k_day_ms = 86'400'000;
inline constexpr std::int64_t k_issued_ms = 1'795'000'000'000;   // 2026-11-18
inline constexpr std::int64_t k_rotated_ms = k_issued_ms - 30 * k_day_ms;
inline constexpr std::int64_t k_now_ms = k_issued_ms + 10 * k_day_ms;

inline crypto::Ed25519KeyPair key_from(std::uint8_t byte) { return crypto::ed25519_from_seed(Bytes(32, byte)).value(); }

// The published key set: the active key since the rotation, the retired key before it.
inline certificate::IssuerKeySet issuer_keys() {
  const auto active = key_from(k_issuer_seed_byte);
  const auto retired = key_from(k_retired_issuer_seed_byte);
  return {{{protocol::key_id_of(active.public_key), active.public_key, true, k_rotated_ms, std::nullopt, std::nullopt},
           {protocol::key_id_of(retired.public_key), retired.public_key, false, k_rotated_ms - 400 * k_day_ms,
            k_rotated_ms, std::nullopt}}};
}

inline certificate::Credential unsigned_credential(std::string id, std::string name, std::int64_t issued) {
  certificate::Credential c;
  c.credential_id = std::move(id);
  c.candidate_name = std::move(name);
  c.candidate_id = "cand-" + c.credential_id.substr(0, 4);
  c.level = "practitioner";
  c.outcome = "met";
  c.award_date = "2026-11-18";
  c.expiry_date = certificate::add_years(c.award_date, certificate::k_default_valid_years);
  c.assessment_id = "pr-demo";
  c.assessment_version = 2;
  c.feedback = {{"P1", 80, true}, {"P2", 40, false}};
  c.issued_wall_ms = issued;
  return c;
}

// Every credential the issuer keys ever signed (Ed25519 is deterministic, so these are the same
// bytes in the corpus and in the target): one by the active key, one by the retired key before
// the rotation, one revoked, and one signed by the retired key after it stopped signing.
inline std::vector<certificate::Credential> signed_credentials() {
  const auto active = key_from(k_issuer_seed_byte);
  const auto retired = key_from(k_retired_issuer_seed_byte);
  std::vector<std::pair<certificate::Credential, const crypto::Ed25519KeyPair*>> all{
      {unsigned_credential("0123456789abcdef0123456789abcdef", "Alex Example", k_issued_ms), &active},
      {unsigned_credential("fedcba9876543210fedcba9876543210", "Émile Zoë Ng", k_rotated_ms - k_day_ms), &retired},
      {unsigned_credential("00000000000000000000000000000001", "Revoked Person", k_issued_ms), &active},
      {unsigned_credential("00000000000000000000000000000002", "Too Late", k_issued_ms), &retired}};
  std::vector<certificate::Credential> out;
  for (auto& [c, k] : all) {
    (void)certificate::sign_credential(c, crypto::view(k->seed), k->public_key);
    out.push_back(std::move(c));
  }
  return out;
}
inline constexpr std::string_view k_revoked_credential = "00000000000000000000000000000001";

// The one revocation list the active key signed: it revokes the third credential.
inline certificate::RevocationList signed_revocation_list() {
  const auto active = key_from(k_issuer_seed_byte);
  certificate::RevocationList l;
  l.issued_wall_ms = k_issued_ms + k_day_ms;
  l.revoked = {{std::string(k_revoked_credential), k_issued_ms + k_day_ms, "issued in error"}};
  (void)certificate::sign_revocation_list(l, crypto::view(active.seed), active.public_key);
  return l;
}

// fuzz_content's input: a content directory in one input. Files are separated by a NUL byte;
// the first is assessment.json, each other is "NAME\nCONTENTS" (a NAME that is not a plain file
// name is skipped).
inline constexpr char k_file_separator = '\0';

inline std::string encode_files(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string out;
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (i > 0) out += k_file_separator + files[i].first + "\n";
    out += files[i].second;
  }
  return out;
}

}  // namespace vigil::fuzz
