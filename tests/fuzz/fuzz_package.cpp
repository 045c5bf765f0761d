// The client's readers of what the server sends for a sitting (shared/package/package.hpp,
// shared/assessment/json.hpp), each fed every input:
//  - verify_package on the file as it is: whatever it accepts, no one-byte change of it is
//    accepted (the signature covers every byte);
//  - verify_package on the file re-signed with the package key (the last 64 bytes replaced by a
//    good signature over the rest), so the header decoder behind the signature check is fuzzed
//    too; whatever verifies is decrypted with the seed's content key, and an assessment that
//    comes out is the one the header names;
//  - parse_assessment (the package's plaintext): what it accepts re-encodes to the same
//    assessment, and packs into a package that verifies and decrypts back to it;
//  - parse_grant: what it accepts re-encodes to the same grant; a grant whose signature verifies
//    stops verifying when any signed field changes;
//  - normalise_start_code: what it accepts is 12 letters of the alphabet and normalises to itself.
// Every refusal is an error value with a UTF-8 message; nothing throws.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "shared/assessment/json.hpp"
#include "shared/core/bytes.hpp"
#include "shared/crypto/ed25519.hpp"
#include "shared/package/package.hpp"
#include "tests/fuzz/fuzz_checks.hpp"
#include "tests/fuzz/fuzz_decoders_world.hpp"

using namespace vigil;

namespace {

[[noreturn]] void die(const char* what, std::string_view detail = {}) { fuzz::fail_check("fuzz_package", what, detail); }
void check_error(const Error& e) { fuzz::check_error("fuzz_package", e); }

struct Keys {
  crypto::Ed25519KeyPair package = fuzz::key_from(fuzz::k_package_seed_byte);
  Bytes content_key = Bytes(package::k_content_key_size, fuzz::k_content_key_byte);
};
const Keys& keys() {
  static const Keys k;
  return k;
}

std::string assessment_json(const assessment::Assessment& a) { return assessment::to_json(a).dump(); }

// A verified package decrypts to the assessment its header names, or fails with a coded error.
void decrypt(const package::VerifiedPackage& p) {
  auto a = package::decrypt_package(p, keys().content_key);
  if (!a) {
    if (a.error().code != Errc::integrity && a.error().code != Errc::wrong_key) die("decrypt: unexpected error code", a.error().describe());
    check_error(a.error());
    return;
  }
  if (a->id != p.header.assessment_id || a->version != p.header.version || a->level != p.header.level) {
    die("decrypt_package returned an assessment the header does not name");
  }
}

void fuzz_package_file(ByteView file) {
  const auto& k = keys();
  auto v = package::verify_package(file, k.package.public_key);
  if (!v) {
    check_error(v.error());
  } else {
    // Accepted as signed: then no single-bit change anywhere (prefix, header, body, signature) is.
    Bytes copy(file.begin(), file.end());
    for (const std::size_t at : {std::size_t{0}, std::size_t{9}, std::size_t{13}, std::size_t{20}, copy.size() / 2,
                                 copy.size() - 70, copy.size() - 1}) {
      if (at >= copy.size()) continue;
      copy[at] ^= 0x01;
      if (package::verify_package(copy, k.package.public_key)) die("a package with one bit changed still verifies");
      copy[at] ^= 0x01;
    }
    decrypt(*v);
  }
  if (file.size() < 64 + 8 || file.size() > package::k_max_package_bytes) return;
  // Re-signed as the server would have signed it (docs/PACKAGE-FORMAT.md: the signature is over
  // "vigil.package.v1" || 0x00 || every byte before it): reaches the header decoder.
  Bytes resigned(file.begin(), file.end() - 64);
  Bytes message = to_bytes("vigil.package.v1");
  message.push_back(0);
  message.insert(message.end(), resigned.begin(), resigned.end());
  const auto sig = crypto::ed25519_sign(crypto::view(k.package.seed), message).value();
  resigned.insert(resigned.end(), sig.begin(), sig.end());
  auto r = package::verify_package(resigned, k.package.public_key);
  if (!r) {
    check_error(r.error());
    return;
  }
  if (r->header.ciphertext_size != r->ciphertext.size() || r->header.plaintext_size + 16 != r->header.ciphertext_size) {
    die("a verified package whose sizes do not add up");
  }
  decrypt(*r);
}

void fuzz_assessment(std::string_view text) {
  auto a = assessment::parse_assessment(text);
  if (!a) {
    check_error(a.error());
    return;
  }
  const std::string json = assessment_json(*a);
  auto again = assessment::parse_assessment(json);
  if (!again) die("an accepted assessment does not parse once re-encoded", again.error().describe() + "\n" + json);
  if (assessment_json(*again) != json) die("an accepted assessment re-encodes to another one", json);
  // Anything the client accepts as plaintext survives packing (what the server does with it).
  auto file = package::build_package(*a, keys().content_key, crypto::view(keys().package.seed));
  if (!file) return;  // over a package's size limits
  auto p = package::verify_package(*file, keys().package.public_key);
  if (!p) die("a package just built does not verify", p.error().describe());
  auto out = package::decrypt_package(*p, keys().content_key);
  if (!out) die("a package just built does not decrypt", out.error().describe());
  if (assessment_json(*out) != json) die("a package decrypts to another assessment", json);
}

void fuzz_grant(std::string_view text) {
  auto g = package::parse_grant(text);
  if (!g) {
    check_error(g.error());
    return;
  }
  const std::string json = package::to_json(*g).dump();
  auto again = package::parse_grant(json);
  if (!again) die("an accepted grant does not parse once re-encoded", again.error().describe() + "\n" + json);
  if (!(*again == *g)) die("an accepted grant re-encodes to another one", json);
  if (!package::verify_grant(*g, keys().package.public_key)) return;
  // A genuine grant: no signed field can change without the signature failing.
  auto changed = *g;
  changed.candidate_id += "x";
  if (package::verify_grant(changed, keys().package.public_key)) die("a grant for another candidate verifies");
  changed = *g;
  changed.window_end_ms += 1;
  if (package::verify_grant(changed, keys().package.public_key)) die("a grant with a later window verifies");
  changed = *g;
  changed.accommodations.extra_time_percent += 1;
  if (package::verify_grant(changed, keys().package.public_key)) die("a grant with more extra time verifies");
}

void fuzz_start_code(std::string_view text) {
  auto c = package::normalise_start_code(text);
  if (!c) {
    check_error(c.error());
    return;
  }
  if (c->size() != package::k_start_code_len ||
      c->find_first_not_of(package::k_start_code_alphabet) != std::string::npos) {
    die("normalise_start_code accepted something outside the alphabet", *c);
  }
  auto again = package::normalise_start_code(*c);
  if (!again || *again != *c) die("a normalised start code does not normalise to itself", *c);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView bytes(data, size);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz_package_file(bytes);
  fuzz_assessment(text);
  fuzz_grant(text);
  fuzz_start_code(text);
  return 0;
}
