#include "shared/certificate/credential.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "shared/crypto/ed25519.hpp"
#include "shared/encoding/canonical.hpp"
#include "shared/protocol/json_reader.hpp"
#include "shared/protocol/sync.hpp"
#include "shared/time/format.hpp"

namespace vigil::certificate {

using nlohmann::json;
using protocol::ObjectReader;

namespace {

constexpr std::string_view k_credential_domain = "vigil.credential.v1";
constexpr std::string_view k_revocations_domain = "vigil.revocations.v1";
constexpr std::size_t k_max_text = 256;
constexpr std::size_t k_max_revocations = 1'000'000;

Result<std::string> read_date(ObjectReader& r, std::string_view name) {
  VIGIL_ASSIGN(auto d, r.string(name, 10));
  if (!is_valid_date(d)) return fail(r.error(name, "expected a date YYYY-MM-DD"));
  return d;
}

Result<Bytes> read_signature(ObjectReader& r) {
  VIGIL_ASSIGN(auto sig, r.base64("signature", crypto::k_ed25519_signature_size));
  if (sig.size() != crypto::k_ed25519_signature_size) return fail(r.error("signature", "expected a 64-byte signature"));
  return sig;
}

Verification failed(Verdict v, std::string message) {
  Verification out;
  out.verdict = v;
  out.message = std::move(message);
  out.revocation_note = "not checked for revocation: the certificate failed an earlier check";
  return out;
}

// (2) May this key have signed something at `at_ms`, and does it still verify at `now_ms`?
std::optional<std::string> key_problem(const IssuerKey& k, std::int64_t at_ms, std::int64_t now_ms) {
  if (at_ms < k.valid_from_ms || (k.sign_until_ms && at_ms > *k.sign_until_ms)) {
    return "issuer key " + k.key_id + " was not allowed to sign at the time this was issued";
  }
  if (k.verify_until_ms && now_ms > *k.verify_until_ms) {
    return "issuer key " + k.key_id + " is no longer valid for verification (its verification period has ended)";
  }
  return std::nullopt;
}

}  // namespace

// ---- dates ------------------------------------------------------------------------------------

bool is_valid_date(std::string_view date) noexcept { return time::parse_date(date).has_value(); }

std::string add_years(std::string_view date, std::uint32_t years) {
  auto ymd = time::parse_date(date);
  if (!ymd) return {};
  auto out = *ymd + std::chrono::years(years);
  if (!out.ok()) out = out.year() / out.month() / std::chrono::last;  // 29 February in a common year
  return time::format_date(out);
}

// ---- credentials ------------------------------------------------------------------------------

json to_json(const Credential& c) {
  json feedback = json::array();
  for (const auto& f : c.feedback) feedback.push_back({{"kss", f.kss}, {"percent", f.percent}, {"at_standard", f.at_standard}});
  return json{{"v", k_credential_version},
              {"credential_id", c.credential_id},
              {"candidate_name", c.candidate_name},
              {"candidate_id", c.candidate_id},
              {"level", c.level},
              {"outcome", c.outcome},
              {"award_date", c.award_date},
              {"expiry_date", c.expiry_date},
              {"assessment_id", c.assessment_id},
              {"assessment_version", c.assessment_version},
              {"feedback", std::move(feedback)},
              {"issued_wall_ms", c.issued_wall_ms},
              {"issuer_key_id", c.issuer_key_id},
              {"signature", to_base64(c.signature)}};
}

Result<Credential> parse_credential(std::string_view text) {
  return protocol::parse_top<Credential>(text, [](ObjectReader& r) -> Result<Credential> {
    VIGIL_TRY(r.version(k_credential_version));
    Credential c;
    VIGIL_ASSIGN(c.credential_id, r.non_empty_string("credential_id", 64));
    VIGIL_ASSIGN(c.candidate_name, r.non_empty_string("candidate_name", k_max_text));
    VIGIL_ASSIGN(c.candidate_id, r.non_empty_string("candidate_id", 64));
    VIGIL_ASSIGN(c.level, r.non_empty_string("level", 32));
    VIGIL_ASSIGN(c.outcome, r.non_empty_string("outcome", 32));
    VIGIL_ASSIGN(c.award_date, read_date(r, "award_date"));
    VIGIL_ASSIGN(c.expiry_date, read_date(r, "expiry_date"));
    VIGIL_ASSIGN(c.assessment_id, r.non_empty_string("assessment_id", 128));
    VIGIL_ASSIGN(auto version, r.uint("assessment_version"));
    if (version > 1'000'000) return fail(r.error("assessment_version", "is too large"));
    c.assessment_version = static_cast<std::uint32_t>(version);
    VIGIL_ASSIGN(auto feedback, r.objects("feedback", 32));
    for (auto& f : feedback) {
      AreaFeedback a;
      VIGIL_ASSIGN(a.kss, f.non_empty_string("kss", 8));
      VIGIL_ASSIGN(auto p, f.uint("percent"));
      if (p > 100) return fail(f.error("percent", "must be 0..100"));
      a.percent = static_cast<std::uint32_t>(p);
      VIGIL_ASSIGN(a.at_standard, f.boolean("at_standard"));
      VIGIL_TRY(f.finish());
      c.feedback.push_back(std::move(a));
    }
    VIGIL_ASSIGN(c.issued_wall_ms, r.integer("issued_wall_ms"));
    VIGIL_ASSIGN(c.issuer_key_id, r.non_empty_string("issuer_key_id", 64));
    VIGIL_ASSIGN(c.signature, read_signature(r));
    VIGIL_TRY(r.finish());
    return c;
  });
}

Bytes credential_message(const Credential& c) {
  canonical::List feedback;
  for (const auto& f : c.feedback) {
    canonical::Map m;
    m.emplace("at_standard", canonical::Value(f.at_standard));
    m.emplace("kss", canonical::Value(f.kss));
    m.emplace("percent", canonical::Value(std::uint64_t{f.percent}));
    feedback.emplace_back(std::move(m));
  }
  canonical::Map m;
  m.emplace("assessment_id", canonical::Value(c.assessment_id));
  m.emplace("assessment_version", canonical::Value(std::uint64_t{c.assessment_version}));
  m.emplace("award_date", canonical::Value(c.award_date));
  m.emplace("candidate_id", canonical::Value(c.candidate_id));
  m.emplace("candidate_name", canonical::Value(c.candidate_name));
  m.emplace("credential_id", canonical::Value(c.credential_id));
  m.emplace("expiry_date", canonical::Value(c.expiry_date));
  m.emplace("feedback", canonical::Value(std::move(feedback)));
  m.emplace("issued_wall_ms", canonical::Value(c.issued_wall_ms));
  m.emplace("issuer_key_id", canonical::Value(c.issuer_key_id));
  m.emplace("level", canonical::Value(c.level));
  m.emplace("outcome", canonical::Value(c.outcome));
  // Strings were decoded from JSON (valid UTF-8) or made by us: encoding cannot fail.
  return canonical::domain_separated(k_credential_domain, canonical::Value(std::move(m))).value();
}

Status sign_credential(Credential& c, ByteView seed, ByteView public_key) {
  c.issuer_key_id = protocol::key_id_of(public_key);
  VIGIL_ASSIGN(c.signature, crypto::ed25519_sign(seed, credential_message(c)));
  return {};
}

// ---- revocation lists -------------------------------------------------------------------------

json to_json(const RevocationList& l) {
  json revoked = json::array();
  for (const auto& r : l.revoked) {
    revoked.push_back({{"credential_id", r.credential_id}, {"revoked_wall_ms", r.revoked_wall_ms}, {"reason", r.reason}});
  }
  return json{{"v", 1}, {"issued_wall_ms", l.issued_wall_ms}, {"issuer_key_id", l.issuer_key_id},
              {"revoked", std::move(revoked)}, {"signature", to_base64(l.signature)}};
}

Result<RevocationList> parse_revocation_list(std::string_view text) {
  return protocol::parse_top<RevocationList>(text, [](ObjectReader& r) -> Result<RevocationList> {
    VIGIL_TRY(r.version(1));
    RevocationList l;
    VIGIL_ASSIGN(l.issued_wall_ms, r.integer("issued_wall_ms"));
    VIGIL_ASSIGN(l.issuer_key_id, r.non_empty_string("issuer_key_id", 64));
    VIGIL_ASSIGN(auto revoked, r.objects("revoked", k_max_revocations));
    for (auto& e : revoked) {
      Revocation rv;
      VIGIL_ASSIGN(rv.credential_id, e.non_empty_string("credential_id", 64));
      VIGIL_ASSIGN(rv.revoked_wall_ms, e.integer("revoked_wall_ms"));
      VIGIL_ASSIGN(rv.reason, e.string("reason", 1000));
      VIGIL_TRY(e.finish());
      l.revoked.push_back(std::move(rv));
    }
    VIGIL_ASSIGN(l.signature, read_signature(r));
    VIGIL_TRY(r.finish());
    return l;
  });
}

Bytes revocation_list_message(const RevocationList& l) {
  canonical::List revoked;
  for (const auto& r : l.revoked) {
    canonical::Map m;
    m.emplace("credential_id", canonical::Value(r.credential_id));
    m.emplace("reason", canonical::Value(r.reason));
    m.emplace("revoked_wall_ms", canonical::Value(r.revoked_wall_ms));
    revoked.emplace_back(std::move(m));
  }
  canonical::Map m;
  m.emplace("issued_wall_ms", canonical::Value(l.issued_wall_ms));
  m.emplace("issuer_key_id", canonical::Value(l.issuer_key_id));
  m.emplace("revoked", canonical::Value(std::move(revoked)));
  return canonical::domain_separated(k_revocations_domain, canonical::Value(std::move(m))).value();
}

Status sign_revocation_list(RevocationList& l, ByteView seed, ByteView public_key) {
  std::sort(l.revoked.begin(), l.revoked.end(),
            [](const Revocation& a, const Revocation& b) { return a.credential_id < b.credential_id; });
  l.issuer_key_id = protocol::key_id_of(public_key);
  VIGIL_ASSIGN(l.signature, crypto::ed25519_sign(seed, revocation_list_message(l)));
  return {};
}

// ---- issuer key set ---------------------------------------------------------------------------

const IssuerKey* IssuerKeySet::find(std::string_view key_id) const noexcept {
  for (const auto& k : keys) {
    if (k.key_id == key_id) return &k;
  }
  return nullptr;
}

const IssuerKey* IssuerKeySet::active() const noexcept {
  for (const auto& k : keys) {
    if (k.active) return &k;
  }
  return nullptr;
}

json to_json(const IssuerKeySet& s) {
  json keys = json::array();
  for (const auto& k : s.keys) {
    json j{{"key_id", k.key_id}, {"public_key", to_base64(k.public_key)}, {"status", k.active ? "active" : "retired"},
           {"valid_from_ms", k.valid_from_ms}};
    if (k.sign_until_ms) j["sign_until_ms"] = *k.sign_until_ms;
    if (k.verify_until_ms) j["verify_until_ms"] = *k.verify_until_ms;
    keys.push_back(std::move(j));
  }
  return json{{"v", 1}, {"keys", std::move(keys)}};
}

Result<IssuerKeySet> parse_issuer_key_set(std::string_view text) {
  return protocol::parse_top<IssuerKeySet>(text, [](ObjectReader& r) -> Result<IssuerKeySet> {
    VIGIL_TRY(r.version(1));
    IssuerKeySet s;
    VIGIL_ASSIGN(auto keys, r.objects("keys", 1000));
    for (auto& e : keys) {
      IssuerKey k;
      VIGIL_ASSIGN(k.key_id, e.non_empty_string("key_id", 64));
      VIGIL_ASSIGN(k.public_key, e.base64("public_key", crypto::k_ed25519_public_size));
      if (k.public_key.size() != crypto::k_ed25519_public_size) return fail(e.error("public_key", "expected 32 bytes"));
      if (protocol::key_id_of(k.public_key) != k.key_id) return fail(e.error("key_id", "does not name this public key"));
      VIGIL_ASSIGN(auto status, e.string("status", 16));
      if (status != "active" && status != "retired") return fail(e.error("status", "expected active or retired"));
      k.active = status == "active";
      VIGIL_ASSIGN(k.valid_from_ms, e.integer("valid_from_ms"));
      VIGIL_ASSIGN(k.sign_until_ms, e.optional_integer("sign_until_ms"));
      VIGIL_ASSIGN(k.verify_until_ms, e.optional_integer("verify_until_ms"));
      if (!k.active && !k.sign_until_ms) return fail(e.error("sign_until_ms", "is required for a retired key"));
      VIGIL_TRY(e.finish());
      if (s.find(k.key_id)) return fail(e.error("key_id", "appears twice"));
      s.keys.push_back(std::move(k));
    }
    VIGIL_TRY(r.finish());
    return s;
  });
}

// ---- verification -----------------------------------------------------------------------------

std::string_view verdict_name(Verdict v) noexcept {
  switch (v) {
    case Verdict::valid: return "valid";
    case Verdict::malformed: return "malformed";
    case Verdict::unknown_key: return "unknown_key";
    case Verdict::key_not_valid: return "key_not_valid";
    case Verdict::bad_signature: return "bad_signature";
    case Verdict::revoked: return "revoked";
    case Verdict::expired: return "expired";
  }
  return "malformed";
}

Verification verify_credential(std::string_view credential_text, const IssuerKeySet& keys,
                               const std::optional<std::string>& revocation_list_text, std::int64_t now_ms) {
  auto c = parse_credential(credential_text);
  if (!c) return failed(Verdict::malformed, "this is not a readable Vigil certificate: " + c.error().describe());
  const IssuerKey* key = keys.find(c->issuer_key_id);
  if (!key) {
    return failed(Verdict::unknown_key, "the certificate names issuer key " + c->issuer_key_id +
                                            ", which is not in the issuer key set given: it was not issued by this "
                                            "programme, or the key set is out of date");
  }
  if (auto problem = key_problem(*key, c->issued_wall_ms, now_ms)) return failed(Verdict::key_not_valid, *problem);
  if (!crypto::ed25519_verify(key->public_key, credential_message(*c), c->signature)) {
    return failed(Verdict::bad_signature, "the signature does not match the certificate's contents: it was altered after issue, or forged");
  }

  // (3) Revocation, only on a list whose own signature verifies.
  Verification out;
  if (!revocation_list_text) {
    out.revocation = RevocationCheck::no_list;
    out.revocation_note = "not checked for revocation: no list given";
  } else {
    auto list = parse_revocation_list(*revocation_list_text);
    const IssuerKey* lkey = list ? keys.find(list->issuer_key_id) : nullptr;
    if (!list || !lkey || key_problem(*lkey, list->issued_wall_ms, now_ms) ||
        !crypto::ed25519_verify(lkey->public_key, revocation_list_message(*list), list->signature)) {
      out.revocation = RevocationCheck::list_untrusted;
      out.revocation_note = "not checked for revocation: the revocation list given is unreadable or its signature "
                            "does not verify against the issuer key set";
    } else {
      out.revocation = RevocationCheck::checked;
      out.revocation_note = "checked against the revocation list issued " + time::utc_date(list->issued_wall_ms);
      for (const auto& r : list->revoked) {
        if (r.credential_id == c->credential_id) {
          out.verdict = Verdict::revoked;
          out.message = "the certificate was revoked on " + time::utc_date(r.revoked_wall_ms) +
                        (r.reason.empty() ? std::string() : " (" + r.reason + ")");
          return out;
        }
      }
    }
  }
  const std::string today = time::utc_date(now_ms);
  if (today > c->expiry_date) {
    out.verdict = Verdict::expired;
    out.message = "the certificate is genuine but expired on " + c->expiry_date + ": re-accreditation was due by then";
    return out;
  }
  out.verdict = Verdict::valid;
  out.message = "genuine: " + c->candidate_name + " (" + c->candidate_id + ") " + c->outcome + " the " + c->level +
                " standard on " + c->award_date + "; valid until " + c->expiry_date + "; signed by issuer key " +
                c->issuer_key_id;
  return out;
}

std::string describe(const Verification& v) {
  std::string out = v.ok() ? "VALID" : "NOT VALID: " + std::string(verdict_name(v.verdict));
  return out + "\n" + v.message + "\n" + v.revocation_note + "\n";
}

namespace {
Result<std::string> slurp(const std::filesystem::path& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::io, "cannot read the " + std::string(what) + " file " + path.string());
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return fail(Errc::io, "reading " + path.string());
  return s.str();
}
}  // namespace

Result<Verification> verify_credential_files(const std::filesystem::path& credential, const std::filesystem::path& keys,
                                             const std::optional<std::filesystem::path>& revocations, std::int64_t now_ms) {
  VIGIL_ASSIGN(auto cert_text, slurp(credential, "certificate"));
  VIGIL_ASSIGN(auto keys_text, slurp(keys, "issuer keys"));
  auto set = parse_issuer_key_set(keys_text);
  if (!set) return fail(std::move(set).error().context("the issuer key set " + keys.string()));
  std::optional<std::string> list;
  if (revocations) {
    VIGIL_ASSIGN(auto text, slurp(*revocations, "revocation list"));
    list = std::move(text);
  }
  return verify_credential(cert_text, *set, list, now_ms);
}

}  // namespace vigil::certificate
