#include "shared/package/package.hpp"

#include <algorithm>
#include <cctype>

#include "shared/assessment/json.hpp"
#include "shared/crypto/aead.hpp"
#include "shared/crypto/ed25519.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/random.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "shared/encoding/canonical.hpp"
#include "shared/protocol/json_reader.hpp"
#include "shared/protocol/sync.hpp"

namespace vigil::package {

namespace {

using canonical::Map;
using canonical::Value;

constexpr std::string_view k_package_domain = "vigil.package.v1";
constexpr std::string_view k_grant_domain = "vigil.sitting-grant.v1";
constexpr std::size_t k_prefix_size = 8 + 2 + 4;  // magic, format, header length
constexpr std::size_t k_signature_size = 64;

void put_u16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void put_u32(Bytes& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}
std::uint32_t get_u32(ByteView b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
}

Bytes signed_message(std::string_view domain, ByteView body) {
  Bytes m(domain.begin(), domain.end());
  m.push_back(0);
  m.insert(m.end(), body.begin(), body.end());
  return m;
}

Value header_value(const PackageHeader& h) {
  Map m;
  m["assessment_id"] = h.assessment_id;
  m["cipher"] = h.cipher;
  m["ciphertext_size"] = h.ciphertext_size;
  m["key_id"] = h.key_id;
  m["level"] = std::string(assessment::level_name(h.level));
  m["nonce"] = h.nonce;
  m["plaintext_sha256"] = Bytes(h.plaintext_sha256.begin(), h.plaintext_sha256.end());
  m["plaintext_size"] = h.plaintext_size;
  m["signer_key_id"] = h.signer_key_id;
  m["version"] = std::uint64_t{h.version};
  return Value(std::move(m));
}

Result<PackageHeader> header_from(const Value& v) {
  const auto bad = [](const std::string& what) { return fail(Errc::integrity, "the package header " + what); };
  const auto* m = std::get_if<Map>(&v.v);
  if (!m || m->size() != 10) return bad("does not have the fields of format 1");
  const auto text = [&](const char* k) -> const std::string* {
    auto it = m->find(k);
    return it == m->end() ? nullptr : std::get_if<std::string>(&it->second.v);
  };
  const auto uint = [&](const char* k) -> const std::uint64_t* {
    auto it = m->find(k);
    return it == m->end() ? nullptr : std::get_if<std::uint64_t>(&it->second.v);
  };
  const auto bytes = [&](const char* k) -> const Bytes* {
    auto it = m->find(k);
    return it == m->end() ? nullptr : std::get_if<Bytes>(&it->second.v);
  };
  PackageHeader h;
  const auto *id = text("assessment_id"), *cipher = text("cipher"), *key_id = text("key_id"), *level = text("level"),
             *signer = text("signer_key_id");
  const auto *ct_size = uint("ciphertext_size"), *pt_size = uint("plaintext_size"), *version = uint("version");
  const auto *nonce = bytes("nonce"), *sha = bytes("plaintext_sha256");
  if (!id || !cipher || !key_id || !level || !signer || !ct_size || !pt_size || !version || !nonce || !sha) {
    return bad("has a missing or mistyped field");
  }
  if (*cipher != k_cipher) return fail(Errc::unsupported_version, "the package uses cipher " + *cipher + ", which this client does not know");
  auto lv = assessment::parse_level(*level);
  if (!lv) return bad("names an unknown level");
  if (nonce->size() != crypto::k_aead_nonce_size || sha->size() != 32 || *version == 0 || *version > 0x7fffffff ||
      *ct_size != *pt_size + crypto::k_aead_tag_size) {
    return bad("has an invalid size or version");
  }
  h.assessment_id = *id;
  h.cipher = *cipher;
  h.key_id = *key_id;
  h.level = *lv;
  h.signer_key_id = *signer;
  h.version = static_cast<std::uint32_t>(*version);
  h.nonce = *nonce;
  std::copy(sha->begin(), sha->end(), h.plaintext_sha256.begin());
  h.plaintext_size = *pt_size;
  h.ciphertext_size = *ct_size;
  return h;
}

std::string code_lock_aad(std::string_view sitting_id, std::string_view key_id) {
  return "vigil.start-code-lock.v1:" + std::string(sitting_id) + ":" + std::string(key_id);
}

Status check_scrypt_bounds(const crypto::ScryptParams& p) {
  if (p.n < 2 || p.n > (1u << 20) || (p.n & (p.n - 1)) != 0 || p.r < 1 || p.r > 32 || p.p < 1 || p.p > 4) {
    return fail(Errc::invalid_argument, "the start-code parameters in this grant are out of range");
  }
  return {};
}

}  // namespace

std::string content_key_id(ByteView content_key) {
  Bytes m = to_bytes("vigil.content-key-id.v1");
  m.insert(m.end(), content_key.begin(), content_key.end());
  const auto d = crypto::sha256(m);
  return to_hex(ByteView(d.data(), 8));
}

Result<Bytes> build_package(const assessment::Assessment& a, ByteView content_key, ByteView signing_seed) {
  if (content_key.size() != k_content_key_size) return fail(Errc::invalid_argument, "a content key is 32 bytes");
  VIGIL_ASSIGN(auto signer, crypto::ed25519_from_seed(signing_seed));
  const std::string plaintext = assessment::to_json(a).dump();
  PackageHeader h;
  h.assessment_id = a.id;
  h.version = a.version;
  h.level = a.level;
  h.key_id = content_key_id(content_key);
  h.signer_key_id = protocol::key_id_of(signer.public_key);
  VIGIL_ASSIGN(h.nonce, crypto::random_bytes(crypto::k_aead_nonce_size));
  h.plaintext_sha256 = crypto::sha256(as_bytes(plaintext));
  h.plaintext_size = plaintext.size();
  h.ciphertext_size = plaintext.size() + crypto::k_aead_tag_size;
  VIGIL_ASSIGN(auto header, canonical::encode(header_value(h)));
  if (header.size() > k_max_header_bytes) return fail(Errc::invalid_argument, "the package header is too long (ids too long)");
  if (h.ciphertext_size + header.size() + 100 > k_max_package_bytes) {
    return fail(Errc::invalid_argument, "the assessment is larger than a package may be (16 MiB)");
  }

  Bytes out(k_magic.begin(), k_magic.end());
  put_u16(out, k_format_version);
  put_u32(out, static_cast<std::uint32_t>(header.size()));
  out.insert(out.end(), header.begin(), header.end());
  VIGIL_ASSIGN(auto ct, crypto::aes256gcm_seal(content_key, h.nonce, out, as_bytes(plaintext)));
  put_u32(out, static_cast<std::uint32_t>(ct.size()));
  out.insert(out.end(), ct.begin(), ct.end());
  VIGIL_ASSIGN(auto sig, crypto::ed25519_sign(signing_seed, signed_message(k_package_domain, out)));
  out.insert(out.end(), sig.begin(), sig.end());
  return out;
}

Result<VerifiedPackage> verify_package(ByteView file, ByteView signer_public) {
  if (file.size() < k_magic.size() || !std::equal(k_magic.begin(), k_magic.end(), file.begin())) {
    return fail(Errc::invalid_argument, "this file is not a Vigil assessment package");
  }
  if (file.size() > k_max_package_bytes) return fail(Errc::invalid_argument, "the package is larger than 16 MiB");
  if (file.size() < k_prefix_size) return fail(Errc::invalid_argument, "the package is truncated (no header)");
  const std::uint16_t format = static_cast<std::uint16_t>((file[8] << 8) | file[9]);
  if (format != k_format_version) {
    return fail(Errc::unsupported_version, "the package is format " + std::to_string(format) +
                                               "; this client reads format 1: update Vigil");
  }
  const std::size_t header_len = get_u32(file, 10);
  if (header_len == 0 || header_len > k_max_header_bytes) return fail(Errc::invalid_argument, "the package header length is invalid");
  const std::size_t aad_len = k_prefix_size + header_len;
  if (file.size() < aad_len + 4) return fail(Errc::invalid_argument, "the package is truncated (in the header)");
  const std::size_t body_len = get_u32(file, aad_len);
  if (body_len < crypto::k_aead_tag_size) return fail(Errc::invalid_argument, "the package body length is invalid");
  const std::size_t signed_len = aad_len + 4 + body_len;
  if (file.size() < signed_len + k_signature_size) return fail(Errc::invalid_argument, "the package is truncated");
  if (file.size() > signed_len + k_signature_size) return fail(Errc::invalid_argument, "the package has bytes after its signature");
  // (1) The signature before anything else is read.
  if (!crypto::ed25519_verify(signer_public, signed_message(k_package_domain, file.first(signed_len)),
                              file.subspan(signed_len, k_signature_size))) {
    return fail(Errc::integrity, "the package's signature does not verify: it was altered or was not made by this server");
  }
  auto value = canonical::decode(file.subspan(k_prefix_size, header_len));
  if (!value) return fail(Errc::integrity, "the package header cannot be read");
  VIGIL_ASSIGN(auto header, header_from(*value));
  if (header.ciphertext_size != body_len) return fail(Errc::integrity, "the package body does not have the size its header says");
  if (header.signer_key_id != protocol::key_id_of(signer_public)) {
    return fail(Errc::integrity, "the package header names another signing key");
  }
  VerifiedPackage p;
  p.header = std::move(header);
  p.aad.assign(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(aad_len));
  p.ciphertext.assign(file.begin() + static_cast<std::ptrdiff_t>(aad_len + 4),
                      file.begin() + static_cast<std::ptrdiff_t>(signed_len));
  return p;
}

Result<assessment::Assessment> decrypt_package(const VerifiedPackage& p, ByteView content_key) {
  if (content_key.size() != k_content_key_size || content_key_id(content_key) != p.header.key_id) {
    return fail(Errc::wrong_key, "this key is not the key of this package");
  }
  auto plain = crypto::aes256gcm_open(content_key, p.header.nonce, p.aad, p.ciphertext);
  if (!plain) return fail(Errc::integrity, "the package's content does not decrypt: it is damaged");
  if (plain->size() != p.header.plaintext_size || crypto::sha256(*plain) != p.header.plaintext_sha256) {
    return fail(Errc::integrity, "the package's content does not match its header");
  }
  auto a = assessment::parse_assessment(as_chars(*plain));
  if (!a) return fail(Errc::integrity, "the package's content is not a valid assessment: " + a.error().message);
  if (a->id != p.header.assessment_id || a->version != p.header.version || a->level != p.header.level) {
    return fail(Errc::integrity, "the package's content is not the assessment its header names");
  }
  return a;
}

// ---- start codes ----

Result<std::string> generate_start_code() {
  std::string code;
  while (code.size() < k_start_code_len) {
    VIGIL_ASSIGN(auto random, crypto::random_bytes(32));
    // Rejection sampling (bytes below 250 = 10 x 25) keeps every character equally likely.
    for (auto b : random) {
      if (b < 250 && code.size() < k_start_code_len) code += k_start_code_alphabet[b % k_start_code_alphabet.size()];
    }
  }
  return code.substr(0, 4) + "-" + code.substr(4, 4) + "-" + code.substr(8, 4);
}

Result<std::string> normalise_start_code(std::string_view typed) {
  std::string out;
  for (char c : typed) {
    if (c == ' ' || c == '-' || c == '\t') continue;
    const char u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (k_start_code_alphabet.find(u) == std::string_view::npos || out.size() >= k_start_code_len) {
      return fail(Error(Errc::invalid_argument,
                        "that is not a start code: a start code is 12 letters and digits, like ACDE-FGHJ-KMNP",
                        "start_code"));
    }
    out += u;
  }
  if (out.size() != k_start_code_len) {
    return fail(Error(Errc::invalid_argument, "a start code has 12 letters and digits (3 groups of 4): check it and try again",
                      "start_code"));
  }
  return out;
}

Result<CodeLock> lock_with_code(ByteView content_key, std::string_view code, std::string_view sitting_id,
                                const crypto::ScryptParams& params) {
  CodeLock lock;
  lock.params = params;
  VIGIL_ASSIGN(lock.salt, crypto::random_bytes(16));
  VIGIL_ASSIGN(lock.nonce, crypto::random_bytes(crypto::k_aead_nonce_size));
  VIGIL_ASSIGN(auto k, crypto::scrypt(as_bytes(code), lock.salt, params, 32));
  const std::string aad = code_lock_aad(sitting_id, content_key_id(content_key));
  VIGIL_ASSIGN(lock.locked, crypto::aes256gcm_seal(crypto::view(k), lock.nonce, as_bytes(aad), content_key));
  return lock;
}

Result<crypto::SecretBytes> unlock_with_code(const CodeLock& lock, std::string_view code, std::string_view sitting_id,
                                             std::string_view key_id) {
  VIGIL_TRY(check_scrypt_bounds(lock.params));
  if (lock.salt.size() != 16 || lock.nonce.size() != crypto::k_aead_nonce_size) {
    return fail(Errc::invalid_argument, "the start-code lock is malformed");
  }
  VIGIL_ASSIGN(auto k, crypto::scrypt(as_bytes(code), lock.salt, lock.params, 32));
  auto key = crypto::aes256gcm_open(crypto::view(k), lock.nonce, as_bytes(code_lock_aad(sitting_id, key_id)), lock.locked);
  if (!key) return fail(Error(Errc::auth_failed, "that start code is not right for this assessment: check it and try again", "start_code"));
  crypto::SecretBytes out = crypto::to_secret(*key);
  crypto::wipe(*key);
  if (out.size() != k_content_key_size || content_key_id(crypto::view(out)) != key_id) {
    return fail(Errc::integrity, "the unlocked key is not this package's key");
  }
  return out;
}

// ---- grants ----

std::string offline_key_aad(std::string_view sitting_id) { return "vigil.sitting.offline-key.v1:" + std::string(sitting_id); }
std::string online_key_aad(std::string_view sitting_id) { return "vigil.sitting.online-key.v1:" + std::string(sitting_id); }

Status wrap_offline_key(SittingGrant& g, const CodeLock& lock, ByteView device_kx_public) {
  Bytes inner = lock.nonce;
  inner.insert(inner.end(), lock.locked.begin(), lock.locked.end());
  VIGIL_ASSIGN(g.offline_key, crypto::seal(device_kx_public, inner, as_bytes(offline_key_aad(g.sitting_id))));
  g.code_salt = lock.salt;
  g.scrypt_n = lock.params.n;
  g.scrypt_r = lock.params.r;
  g.scrypt_p = lock.params.p;
  return {};
}

Result<crypto::SecretBytes> unwrap_offline_key(const SittingGrant& g, const crypto::X25519KeyPair& device_kx,
                                               std::string_view normalised_code) {
  if (g.offline_key.empty()) {
    return fail(Errc::not_found, "this computer has no start-code key for this assessment yet: connect to the internet at the "
                                 "start time, or download again once the support line has issued your start code");
  }
  auto inner = crypto::open_sealed(device_kx, g.offline_key, as_bytes(offline_key_aad(g.sitting_id)));
  if (!inner) {
    return fail(Errc::wrong_key, "this sitting's key was issued to another device: download the assessment again on this one");
  }
  if (inner->size() <= crypto::k_aead_nonce_size) return fail(Errc::integrity, "the sitting's offline key is malformed");
  CodeLock lock;
  lock.salt = g.code_salt;
  lock.params = crypto::ScryptParams{g.scrypt_n, g.scrypt_r, g.scrypt_p};
  lock.nonce.assign(inner->begin(), inner->begin() + crypto::k_aead_nonce_size);
  lock.locked.assign(inner->begin() + crypto::k_aead_nonce_size, inner->end());
  return unlock_with_code(lock, normalised_code, g.sitting_id, g.key_id);
}

Bytes grant_message(const SittingGrant& g) {
  Map acc;
  acc["extra_break_minutes"] = std::uint64_t{g.accommodations.extra_break_minutes};
  acc["extra_time_percent"] = std::uint64_t{g.accommodations.extra_time_percent};
  acc["knowledge_only"] = g.accommodations.knowledge_only;
  Map m;
  m["accommodations"] = std::move(acc);
  m["assessment_id"] = g.assessment_id;
  m["candidate_id"] = g.candidate_id;
  m["code_salt"] = g.code_salt;
  m["device_id"] = g.device_id;
  m["issued_ms"] = std::int64_t{g.issued_ms};
  m["key_id"] = g.key_id;
  m["offline_key"] = g.offline_key;
  m["scheduled_start_ms"] = std::int64_t{g.scheduled_start_ms};
  m["scrypt_n"] = g.scrypt_n;
  m["scrypt_p"] = std::uint64_t{g.scrypt_p};
  m["scrypt_r"] = std::uint64_t{g.scrypt_r};
  m["signer_key_id"] = g.signer_key_id;
  m["sitting_id"] = g.sitting_id;
  m["version"] = std::uint64_t{g.version};
  m["window_end_ms"] = std::int64_t{g.window_end_ms};
  // Every string came through strict UTF-8 JSON decoding or from the server: encoding cannot fail.
  auto bytes = canonical::domain_separated(k_grant_domain, Value(std::move(m)));
  return bytes ? std::move(*bytes) : Bytes{};
}

Status sign_grant(SittingGrant& g, ByteView seed, ByteView public_key) {
  g.signer_key_id = protocol::key_id_of(public_key);
  const Bytes m = grant_message(g);
  if (m.empty()) return fail(Errc::invalid_argument, "the grant has text that is not valid UTF-8");
  VIGIL_ASSIGN(g.signature, crypto::ed25519_sign(seed, m));
  return {};
}

Status verify_grant(const SittingGrant& g, ByteView public_key) {
  if (g.signer_key_id != protocol::key_id_of(public_key)) {
    return fail(Errc::integrity, "the sitting grant was signed by another server key");
  }
  const Bytes m = grant_message(g);
  if (m.empty() || !crypto::ed25519_verify(public_key, m, g.signature)) {
    return fail(Errc::integrity, "the sitting grant's signature does not verify: it was altered");
  }
  return {};
}

nlohmann::json to_json(const SittingGrant& g) {
  return nlohmann::json{{"v", 1},
                        {"sitting_id", g.sitting_id},
                        {"candidate_id", g.candidate_id},
                        {"device_id", g.device_id},
                        {"assessment_id", g.assessment_id},
                        {"version", g.version},
                        {"key_id", g.key_id},
                        {"scheduled_start_ms", g.scheduled_start_ms},
                        {"window_end_ms", g.window_end_ms},
                        {"accommodations", assessment::to_json(g.accommodations)},
                        {"code_salt", to_base64(g.code_salt)},
                        {"scrypt_n", g.scrypt_n},
                        {"scrypt_r", g.scrypt_r},
                        {"scrypt_p", g.scrypt_p},
                        {"offline_key", to_base64(g.offline_key)},
                        {"issued_ms", g.issued_ms},
                        {"signer_key_id", g.signer_key_id},
                        {"signature", to_base64(g.signature)}};
}

Result<SittingGrant> parse_grant(std::string_view text) {
  return protocol::parse_top<SittingGrant>(text, [](protocol::ObjectReader& r) -> Result<SittingGrant> {
    VIGIL_TRY(r.version(1));
    SittingGrant g;
    VIGIL_ASSIGN(g.sitting_id, r.non_empty_string("sitting_id", 128));
    VIGIL_ASSIGN(g.candidate_id, r.non_empty_string("candidate_id", 128));
    VIGIL_ASSIGN(g.device_id, r.non_empty_string("device_id", 128));
    VIGIL_ASSIGN(g.assessment_id, r.non_empty_string("assessment_id", 64));
    VIGIL_ASSIGN(auto version, r.uint("version"));
    if (version == 0 || version > 0x7fffffff) return fail(r.error("version", "must be a positive 31-bit number"));
    g.version = static_cast<std::uint32_t>(version);
    VIGIL_ASSIGN(g.key_id, r.non_empty_string("key_id", 64));
    VIGIL_ASSIGN(g.scheduled_start_ms, r.integer("scheduled_start_ms"));
    VIGIL_ASSIGN(g.window_end_ms, r.integer("window_end_ms"));
    if (g.window_end_ms <= g.scheduled_start_ms) return fail(r.error("window_end_ms", "must be after the start"));
    VIGIL_ASSIGN(auto acc, r.object("accommodations"));
    VIGIL_ASSIGN(g.accommodations, assessment::decode_accommodations(acc));
    VIGIL_ASSIGN(g.code_salt, r.base64("code_salt", 64));
    VIGIL_ASSIGN(g.scrypt_n, r.uint("scrypt_n"));
    VIGIL_ASSIGN(auto sr, r.uint("scrypt_r"));
    VIGIL_ASSIGN(auto sp, r.uint("scrypt_p"));
    if (sr > 64 || sp > 64) return fail(r.error("scrypt_r", "is out of range"));
    g.scrypt_r = static_cast<std::uint32_t>(sr);
    g.scrypt_p = static_cast<std::uint32_t>(sp);
    VIGIL_ASSIGN(g.offline_key, r.base64("offline_key", 1024));
    VIGIL_ASSIGN(g.issued_ms, r.integer("issued_ms"));
    VIGIL_ASSIGN(g.signer_key_id, r.non_empty_string("signer_key_id", 64));
    VIGIL_ASSIGN(g.signature, r.base64("signature", 64));
    VIGIL_TRY(r.finish());
    return g;
  });
}

}  // namespace vigil::package
