// The certificate verifier (shared/certificate/credential.hpp), which anyone runs on files anyone
// can hand them, fed every input as each of its three files:
//  - as the credential: verify_credential never says "valid" for anything but a credential the
//    issuer keys really signed, allowed to sign then, not revoked (fuzz_decoders_world.hpp lists
//    every credential they signed), whatever the input's JSON spelling; parse_credential's
//    result re-encodes to itself;
//  - as the revocation list: revocation counts as checked only for the list the active key
//    signed, and a revoked verdict only then;
//  - as the published key set: a genuine credential verifies only with its signer's real public
//    key under the key id it names;
// and as a date for add_years. Every verdict has a message and a revocation note in UTF-8; every
// refusal is a value, nothing throws.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/certificate/credential.hpp"
#include "shared/core/utf8.hpp"
#include "tests/fuzz/fuzz_checks.hpp"
#include "tests/fuzz/fuzz_decoders_world.hpp"

using namespace vigil;
using namespace vigil::certificate;

namespace {

[[noreturn]] void die(const char* what, std::string_view detail = {}) { fuzz::fail_check("fuzz_certificate", what, detail); }
void check_error(const Error& e) { fuzz::check_error("fuzz_certificate", e); }

struct World {
  IssuerKeySet keys = fuzz::issuer_keys();
  std::vector<Credential> genuine = fuzz::signed_credentials();
  RevocationList list = fuzz::signed_revocation_list();
  std::string list_text = to_json(list).dump();
  std::string valid_text = to_json(genuine.front()).dump();
};
const World& world() {
  static const World w;
  return w;
}

void check_verification(const Verification& v) {
  if (v.message.empty() || !is_valid_utf8(v.message) || !is_valid_utf8(v.revocation_note) ||
      !is_valid_utf8(describe(v))) {
    die("a verdict without a UTF-8 message", describe(v));
  }
  if (v.verdict == Verdict::revoked && v.revocation != RevocationCheck::checked) {
    die("revoked without a checked revocation list", describe(v));
  }
}

template <class T, class Parse>
std::optional<T> round_trip(const char* name, std::string_view text, Parse&& parse) {
  auto parsed = parse(text);
  if (!parsed) {
    check_error(parsed.error());
    return std::nullopt;
  }
  const std::string json = to_json(*parsed).dump();
  auto again = parse(json);
  if (!again || !(*again == *parsed)) die(name, "re-encodes to something else:\n" + json);
  return std::move(*parsed);
}

void as_credential(std::string_view text) {
  const auto& w = world();
  const auto c = round_trip<Credential>("parse_credential", text, parse_credential);
  for (const std::optional<std::string>& revocations : {std::optional<std::string>{}, std::optional<std::string>{w.list_text}}) {
    const auto v = verify_credential(text, w.keys, revocations, fuzz::k_now_ms);
    check_verification(v);
    if (!c && v.verdict != Verdict::malformed) die("a credential that does not parse is not called malformed", describe(v));
    if (!c) break;  // the verdict comes from the same parse: once is enough
    if (!v.ok()) continue;
    bool signed_by_issuer = false;
    for (const auto& g : w.genuine) signed_by_issuer = signed_by_issuer || *c == g;
    if (!signed_by_issuer) die("verify_credential accepted a credential the issuer never signed", std::string(text));
    if (c->credential_id == fuzz::k_revoked_credential && revocations) die("a revoked credential verifies", std::string(text));
  }
}

void as_revocation_list(std::string_view text) {
  const auto& w = world();
  const auto l = round_trip<RevocationList>("parse_revocation_list", text, parse_revocation_list);
  // A list that does not parse is read by the verifier with the same parser: verify only the
  // ones that parse (a signature check per input would slow the run tenfold).
  if (!l) return;
  const auto v = verify_credential(w.valid_text, w.keys, std::string(text), fuzz::k_now_ms);
  check_verification(v);
  if (v.revocation == RevocationCheck::checked && !(l && *l == w.list)) {
    die("a revocation list the issuer never signed was trusted", std::string(text));
  }
}

void as_key_set(std::string_view text) {
  const auto& w = world();
  const auto s = round_trip<IssuerKeySet>("parse_issuer_key_set", text, parse_issuer_key_set);
  if (!s) return;
  const auto v = verify_credential(w.valid_text, *s, std::nullopt, fuzz::k_now_ms);
  check_verification(v);
  if (!v.ok()) return;
  const auto* k = s->find(w.genuine.front().issuer_key_id);
  if (!k || k->public_key != w.keys.keys.front().public_key) die("a credential verifies under a key that did not sign it", std::string(text));
}

void as_date(std::string_view text) {
  if (!is_valid_date(text)) return;
  const auto later = add_years(text, k_default_valid_years);
  if (!is_valid_date(later) || later <= std::string(text)) die("add_years gave an invalid or earlier date", later);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  as_credential(text);
  as_revocation_list(text);
  as_key_set(text);
  as_date(text);
  return 0;
}
