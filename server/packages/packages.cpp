#include "server/packages/packages.hpp"

#include <cstdio>
#include <ctime>

#include "shared/assessment/json.hpp"
#include "shared/crypto/aead.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/kdf.hpp"
#include "shared/crypto/random.hpp"
#include "shared/crypto/sealed_box.hpp"

namespace vigil::server {

namespace {

Result<crypto::SecretBytes> wrap_key(const ServerKeys& keys) {
  return crypto::hkdf_sha256(crypto::view(keys.package_seed), {}, as_bytes("vigil.server.content-key-wrap.v1"), 32);
}

std::string wrap_aad(std::string_view assessment_id, std::uint32_t version) {
  return std::string(assessment_id) + ":" + std::to_string(version);
}

Bytes digest_bytes(const crypto::Digest& d) { return Bytes(d.begin(), d.end()); }

}  // namespace

Result<crypto::SecretBytes> content_key_of(const ServerKeys& keys, const PackageRow& p) {
  VIGIL_ASSIGN(auto wk, wrap_key(keys));
  if (p.content_key_wrapped.size() <= crypto::k_aead_nonce_size) return fail(Errc::integrity, "a stored content key is malformed");
  const ByteView all(p.content_key_wrapped);
  auto key = crypto::aes256gcm_open(crypto::view(wk), all.first(crypto::k_aead_nonce_size),
                                    as_bytes(wrap_aad(p.assessment_id, p.version)), all.subspan(crypto::k_aead_nonce_size));
  if (!key) return fail(Errc::integrity, "the stored content key of " + p.assessment_id + " does not open with this server's package key");
  auto out = crypto::to_secret(*key);
  crypto::wipe(*key);
  return out;
}

Result<BuildOutcome> build_and_store_package(Repository& repo, const ServerKeys& keys, const AuthoredAssessment& content,
                                             const time::Clock& clock) {
  const auto& a = content.assessment;
  BuildOutcome out;
  out.assessment_id = a.id;
  out.version = a.version;
  for (const auto& s : a.sections) out.items += s.items.size();
  const std::string plaintext = assessment::to_json(a).dump();
  const std::string scheme = assessment::to_json(content.scheme).dump();
  const Bytes plain_sha = digest_bytes(crypto::sha256(as_bytes(plaintext)));

  VIGIL_TRY(repo.transaction([&]() -> Status {
    VIGIL_ASSIGN(auto existing, repo.package(a.id, a.version));
    if (existing) {
      VIGIL_ASSIGN(auto stored_scheme, repo.marking_scheme(a.id, a.version));
      if (existing->plaintext_sha256 != plain_sha || !stored_scheme || *stored_scheme != scheme) {
        return fail(Errc::conflict, "version " + std::to_string(a.version) + " of " + a.id +
                                        " is already built with different content: raise \"version\" in assessment.json");
      }
      out.unchanged = true;
      out.package = std::move(existing->package);
      return {};
    }
    VIGIL_ASSIGN(auto key, crypto::random_secret(package::k_content_key_size));
    VIGIL_ASSIGN(out.package, package::build_package(a, crypto::view(key), crypto::view(keys.package_seed)));
    VIGIL_ASSIGN(auto wk, wrap_key(keys));
    VIGIL_ASSIGN(auto nonce, crypto::random_bytes(crypto::k_aead_nonce_size));
    VIGIL_ASSIGN(auto wrapped, crypto::aes256gcm_seal(crypto::view(wk), nonce, as_bytes(wrap_aad(a.id, a.version)),
                                                      crypto::view(key)));
    PackageRow row;
    row.assessment_id = a.id;
    row.version = a.version;
    row.level = std::string(assessment::level_name(a.level));
    row.title = a.title;
    row.key_id = package::content_key_id(crypto::view(key));
    row.content_key_wrapped = nonce;
    row.content_key_wrapped.insert(row.content_key_wrapped.end(), wrapped.begin(), wrapped.end());
    row.plaintext_sha256 = plain_sha;
    row.package = out.package;
    row.package_sha256 = digest_bytes(crypto::sha256(out.package));
    row.created_wall_ms = clock.wall_ms();
    return repo.add_package(row, scheme);
  }));
  return out;
}

Result<SittingRow> schedule_sitting(Repository& repo, std::string_view candidate_id, std::string_view assessment_id,
                                    std::optional<std::uint32_t> version, std::int64_t start_ms, std::int64_t window_hours,
                                    const time::Clock& clock) {
  if (window_hours < 1 || window_hours > 72) return fail(Errc::invalid_argument, "the window must be 1 to 72 hours");
  VIGIL_ASSIGN(auto candidate, repo.candidate(candidate_id));
  if (!candidate) return fail(Errc::not_found, "no candidate " + std::string(candidate_id));
  if (!version) {
    VIGIL_ASSIGN(version, repo.latest_package_version(assessment_id));
    if (!version) {
      return fail(Errc::not_found, "no package of " + std::string(assessment_id) + " has been built: run vigil-server package build");
    }
  }
  VIGIL_ASSIGN(auto pkg, repo.package(assessment_id, *version, false));
  if (!pkg) return fail(Errc::not_found, "version " + std::to_string(*version) + " of " + std::string(assessment_id) + " has not been built");
  if (pkg->level != candidate->level) {
    return fail(Errc::invalid_argument, "candidate " + std::string(candidate_id) + " is at the " + candidate->level +
                                            " level but " + std::string(assessment_id) + " is a " + pkg->level + " assessment");
  }
  VIGIL_ASSIGN(auto random, crypto::random_bytes(12));
  SittingRow s{"sit-" + to_hex(random), std::string(candidate_id), std::string(assessment_id), *version, start_ms,
               start_ms + window_hours * 3'600'000};
  SittingRow stored;
  VIGIL_TRY(repo.transaction([&]() -> Status {
    VIGIL_ASSIGN(stored, repo.put_sitting(s, clock.wall_ms()));
    return {};
  }));
  return stored;
}

Result<std::string> issue_start_code(Repository& repo, const ServerKeys& keys, std::string_view candidate_id,
                                     std::string_view assessment_id, const time::Clock& clock,
                                     const crypto::ScryptParams& params) {
  VIGIL_ASSIGN(auto sitting, repo.sitting_of(candidate_id, assessment_id));
  if (!sitting) {
    return fail(Errc::not_found, "candidate " + std::string(candidate_id) + " has no sitting of " + std::string(assessment_id) +
                                     ": schedule one first (vigil-server admin schedule)");
  }
  VIGIL_ASSIGN(auto pkg, repo.package(sitting->assessment_id, sitting->version, false));
  if (!pkg) return fail(Errc::internal, "the sitting's package is missing");
  VIGIL_ASSIGN(auto key, content_key_of(keys, *pkg));
  VIGIL_ASSIGN(auto code, package::generate_start_code());
  VIGIL_ASSIGN(auto normal, package::normalise_start_code(code));
  VIGIL_ASSIGN(auto lock, package::lock_with_code(crypto::view(key), normal, sitting->sitting_id, params));
  StartCodeRow row{sitting->sitting_id, lock.salt, lock.params.n, lock.params.r, lock.params.p, lock.nonce, lock.locked,
                   clock.wall_ms()};
  VIGIL_TRY(repo.transaction([&]() -> Status { return repo.put_start_code(row); }));
  return code;
}

Result<package::SittingGrant> issue_grant(Repository& repo, const ServerKeys& keys, const DeviceRow& device,
                                          std::string_view sitting_id, ByteView kx_public, const time::Clock& clock) {
  VIGIL_ASSIGN(auto sitting, repo.sitting(sitting_id));
  if (!sitting || sitting->candidate_id != device.candidate_id) {
    return fail(Error(Errc::not_found, "no such sitting for this candidate", "sitting"));
  }
  VIGIL_ASSIGN(auto code, repo.start_code(sitting_id));
  VIGIL_ASSIGN(auto pkg, repo.package(sitting->assessment_id, sitting->version, false));
  if (!pkg) return fail(Errc::internal, "the sitting's package is missing");
  VIGIL_ASSIGN(auto acc, repo.accommodations(sitting->candidate_id));
  package::SittingGrant g;
  g.sitting_id = sitting->sitting_id;
  g.candidate_id = sitting->candidate_id;
  g.device_id = device.device_id;
  g.assessment_id = sitting->assessment_id;
  g.version = sitting->version;
  g.key_id = pkg->key_id;
  g.scheduled_start_ms = sitting->scheduled_start_ms;
  g.window_end_ms = sitting->window_end_ms;
  g.accommodations = acc;
  g.issued_ms = clock.wall_ms();
  // Without a start code yet, the grant has no offline key: online release still works, and the
  // device gets the offline key when it downloads again after a code is issued.
  if (code) {
    package::CodeLock lock{code->salt, crypto::ScryptParams{code->scrypt_n, code->scrypt_r, code->scrypt_p}, code->nonce,
                           code->locked_key};
    auto wrapped = package::wrap_offline_key(g, lock, kx_public);
    if (!wrapped) return fail(Error(Errc::invalid_argument, "kx_public is not a usable X25519 public key", "kx_public"));
  } else {
    auto check = crypto::seal(kx_public, {});  // the same key check as wrapping would make
    if (!check) return fail(Error(Errc::invalid_argument, "kx_public is not a usable X25519 public key", "kx_public"));
  }
  VIGIL_TRY(package::sign_grant(g, crypto::view(keys.package_seed), keys.package_public));
  VIGIL_TRY(repo.transaction([&]() -> Status {
    return repo.put_sitting_device(sitting_id, device.device_id, kx_public, clock.wall_ms());
  }));
  return g;
}

}  // namespace vigil::server
