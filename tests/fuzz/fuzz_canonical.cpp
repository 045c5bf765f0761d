// The VCE1 decoder (shared/encoding/canonical.hpp) on its own: fuzz_request_decoding runs it too,
// among a dozen JSON parsers, so here every input goes to it, from seeds of real signed objects
// (journal records, a package header, a grant and a credential message). Oracles:
//  - strictness: decode(x) succeeds only when x is the one encoding of its value: encode(value) == x;
//  - the streaming Writer (the journal's hot path) writes the same bytes as encode(Value);
//  - domain separation adds exactly the domain's encoding in front, and hash() hashes that;
//  - a refusal is an error value (invalid_argument, a UTF-8 message naming the offset), never an
//    exception or a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "shared/core/bytes.hpp"
#include "shared/core/utf8.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/encoding/canonical.hpp"

using namespace vigil;
using canonical::Value;

namespace {

[[noreturn]] void die(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz_canonical: %s\n%.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// Writes v with the streaming Writer, the way journal::record_bytes does by hand.
void write(canonical::Writer& w, const Value& v) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) {
          w.boolean(x);
        } else if constexpr (std::is_same_v<T, std::uint64_t>) {
          w.uint(x);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          w.integer(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          w.text(x);
        } else if constexpr (std::is_same_v<T, Bytes>) {
          w.bytes(ByteView(x));
        } else if constexpr (std::is_same_v<T, canonical::List>) {
          w.list(static_cast<std::uint32_t>(x.size()));
          for (const auto& e : x) write(w, e);
        } else {
          w.map(static_cast<std::uint32_t>(x.size()));
          for (const auto& [k, e] : x) {
            w.key(k);
            write(w, e);
          }
        }
      },
      v.v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(data, size);
  const Bytes original(input.begin(), input.end());
  auto v = canonical::decode(input);
  if (!v) {
    const auto& e = v.error();
    if (e.code != Errc::invalid_argument) die("a refusal that is not invalid_argument", e.describe());
    if (e.message.empty() || !is_valid_utf8(e.message)) die("a refusal without a UTF-8 message", e.describe());
    return 0;
  }
  auto enc = canonical::encode(*v);
  if (!enc) die("a decoded value does not encode", enc.error().describe());
  if (*enc != original) die("accepted a non-canonical encoding", to_hex(input));

  canonical::Writer w;
  write(w, *v);
  if (w.data() != original) die("the Writer and encode() disagree", to_hex(input));

  auto again = canonical::decode(*enc);
  if (!again || !(*again == *v)) die("decode(encode(v)) is not v", to_hex(input));

  constexpr std::string_view domain = "vigil.fuzz.v1";
  auto sep = canonical::domain_separated(domain, *v);
  if (!sep) die("domain_separated refused a decoded value", sep.error().describe());
  Bytes expect = canonical::encode(Value(std::string(domain))).value();
  expect.insert(expect.end(), original.begin(), original.end());
  if (*sep != expect) die("domain_separated is not encode(domain) || encode(v)", to_hex(input));
  auto h = canonical::hash(domain, *v);
  if (!h || *h != crypto::sha256(expect)) die("hash() is not SHA-256 of the domain-separated bytes", to_hex(input));
  return 0;
}
