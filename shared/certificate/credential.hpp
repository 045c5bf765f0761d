#pragma once
// Certificates candidates keep and anyone can verify offline (docs/CREDENTIALS.md): an
// Ed25519-signed credential, a signed revocation list, and the published issuer key set that
// both are verified against.
//
// Invariants:
//  (1) What is signed is the canonical encoding (shared/encoding/canonical.hpp) of every field but
//      the signature, under its own domain ("vigil.credential.v1", "vigil.revocations.v1"), so a
//      credential's signature can never pass as a revocation list's or a receipt's.
//  (2) A key set entry is never removed while certificates it signed are valid: rotating retires
//      the old key (it stops signing, sign_until is set) but keeps it for verification until
//      verify_until. A credential verifies only with a key that was allowed to sign at its issue
//      time.
//  (3) verify_credential() never says "valid" without saying whether revocation was checked; a
//      revocation list counts only when its own signature verifies against the key set.
//  (4) Dates are calendar dates in UTC, "YYYY-MM-DD"; the expiry date is the last valid day.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/core/bytes.hpp"
#include "shared/core/result.hpp"

namespace vigil::certificate {

inline constexpr int k_credential_version = 1;
inline constexpr std::uint32_t k_default_valid_years = 3;

struct AreaFeedback {
  std::string kss;
  std::uint32_t percent = 0;
  bool at_standard = false;
  bool operator==(const AreaFeedback&) const = default;
};

// {"v":1,"credential_id","candidate_name","candidate_id","level","outcome","award_date",
//  "expiry_date","assessment_id","assessment_version","feedback":[{"kss","percent","at_standard"}],
//  "issued_wall_ms","issuer_key_id","signature":base64}
struct Credential {
  std::string credential_id;      // 32 lower-case hex digits (random)
  std::string candidate_name;
  std::string candidate_id;
  std::string level;              // practitioner | practice_supervisor
  std::string outcome;            // "met" (only met results are certified)
  std::string award_date;         // YYYY-MM-DD
  std::string expiry_date;        // YYYY-MM-DD: re-accreditation due by then
  std::string assessment_id;
  std::uint32_t assessment_version = 0;
  std::vector<AreaFeedback> feedback;  // optional: may be empty
  std::int64_t issued_wall_ms = 0;
  std::string issuer_key_id;
  Bytes signature;
  bool operator==(const Credential&) const = default;
};
nlohmann::json to_json(const Credential& c);
Result<Credential> parse_credential(std::string_view text);
Bytes credential_message(const Credential& c);
// Sets issuer_key_id (key_id_of(public_key)) and signature.
Status sign_credential(Credential& c, ByteView seed, ByteView public_key);

// {"v":1,"issued_wall_ms","issuer_key_id","revoked":[{"credential_id","revoked_wall_ms","reason"}],
//  "signature"}
struct Revocation {
  std::string credential_id;
  std::int64_t revoked_wall_ms = 0;
  std::string reason;
  bool operator==(const Revocation&) const = default;
};
struct RevocationList {
  std::int64_t issued_wall_ms = 0;
  std::vector<Revocation> revoked;   // sorted by credential_id when signed
  std::string issuer_key_id;
  Bytes signature;
  bool operator==(const RevocationList&) const = default;
};
nlohmann::json to_json(const RevocationList& l);
Result<RevocationList> parse_revocation_list(std::string_view text);
Bytes revocation_list_message(const RevocationList& l);
Status sign_revocation_list(RevocationList& l, ByteView seed, ByteView public_key);

// The published issuer keys (published/issuer-keys.json).
// {"v":1,"keys":[{"key_id","public_key":base64,"status":"active"|"retired","valid_from_ms",
//  "sign_until_ms"?,"verify_until_ms"?}]}
struct IssuerKey {
  std::string key_id;
  Bytes public_key;
  bool active = true;                          // false: retired, verification only (2)
  std::int64_t valid_from_ms = 0;              // may sign from
  std::optional<std::int64_t> sign_until_ms;   // set when retired: signed nothing after
  std::optional<std::int64_t> verify_until_ms; // absent: verifies for ever
  bool operator==(const IssuerKey&) const = default;
};
struct IssuerKeySet {
  std::vector<IssuerKey> keys;
  const IssuerKey* find(std::string_view key_id) const noexcept;
  const IssuerKey* active() const noexcept;    // the key that signs now; nullptr if none
  bool operator==(const IssuerKeySet&) const = default;
};
nlohmann::json to_json(const IssuerKeySet& s);
Result<IssuerKeySet> parse_issuer_key_set(std::string_view text);

// The outcome of a verification: exactly one reason when it failed, and always what was known
// about revocation.
enum class Verdict { valid, malformed, unknown_key, key_not_valid, bad_signature, revoked, expired };
std::string_view verdict_name(Verdict v) noexcept;   // "valid", "bad_signature", ...
enum class RevocationCheck { checked, no_list, list_untrusted };

struct Verification {
  Verdict verdict = Verdict::malformed;
  RevocationCheck revocation = RevocationCheck::no_list;
  std::string message;          // one plain-English sentence about the verdict
  std::string revocation_note;  // "checked against the revocation list of 2026-...", or
                                // "not checked for revocation: no list given", ...
  bool ok() const noexcept { return verdict == Verdict::valid; }
};

// Verifies a credential file's text at `today` (YYYY-MM-DD). Order of checks: form, key known,
// key allowed to sign at the issue time and still verifying at `now_ms`, signature, revocation
// (when a list is given and its signature verifies), expiry.
Verification verify_credential(std::string_view credential_text, const IssuerKeySet& keys,
                               const std::optional<std::string>& revocation_list_text, std::int64_t now_ms);

// verify_credential on files (the verify-certificate commands of both executables). Unreadable
// files and a malformed key set are errors (io / invalid_argument naming the file); a missing
// revocations path means "no list given".
Result<Verification> verify_credential_files(const std::filesystem::path& credential, const std::filesystem::path& keys,
                                             const std::optional<std::filesystem::path>& revocations, std::int64_t now_ms);

// The verdict for a person, three lines: "VALID" or "NOT VALID: <verdict>", the message, the
// revocation note.
std::string describe(const Verification& v);
// Exit status for verify-certificate commands: 0 valid, 1 any failure.
inline int exit_status(const Verification& v) noexcept { return v.ok() ? 0 : 1; }

// Dates are "YYYY-MM-DD" (time::utc_date makes one from a wall-clock time); date + years
// (29 February -> 28 February).
std::string add_years(std::string_view date, std::uint32_t years);
bool is_valid_date(std::string_view date) noexcept;

}  // namespace vigil::certificate
