#include "client/package/packages.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "shared/core/file.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "shared/package/package.hpp"
#include "shared/protocol/json_reader.hpp"
#include "shared/http/status.hpp"
#include "shared/protocol/messages.hpp"

namespace vigil::client::package {

namespace {

namespace fs = std::filesystem;
namespace pkg = vigil::package;
using json = nlohmann::json;
using protocol::HttpRequest;
using protocol::HttpResponse;

constexpr std::string_view k_state_signing_key = "package.signing_key";
constexpr std::string_view k_state_index = "package.index";

std::string sitting_state(std::string_view id) { return "package.sitting." + std::string(id); }
std::string key_state(std::string_view id) { return "package.key." + std::string(id); }
std::string attempts_state(std::string_view id) { return "package.attempts." + std::string(id); }

Result<HttpResponse> call(sync::Transport& t, HttpRequest req) {
  VIGIL_ASSIGN(auto r, t.roundtrip(req));
  if (r.status != 200) return fail(http::decode_error(r).retry_later());
  return r;
}

Result<Bytes> read_file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::not_found, "the package file " + path.filename().string() + " is missing: download it again");
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(in.tellg());
  if (size > pkg::k_max_package_bytes) return fail(Errc::invalid_argument, "the package file is larger than a package may be");
  in.seekg(0);
  Bytes out(size);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(size));
  if (!in) return fail(Errc::io, "reading " + path.string());
  return out;
}

fs::path package_path(const fs::path& data_dir, std::string_view assessment_id, std::uint32_t version) {
  return data_dir / "packages" / (std::string(assessment_id) + "-v" + std::to_string(version) + ".vpkg");
}

bool is_safe_id(std::string_view id) {
  return !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  }) && id.find("..") == std::string_view::npos;
}

Result<Bytes> signing_key(store::Store& store) {
  VIGIL_ASSIGN(auto key, store.get_state(k_state_signing_key));
  if (!key) return fail(Errc::not_found, "no assessment has been downloaded on this device yet");
  return std::move(*key);
}

struct Held {
  pkg::SittingGrant grant;
  std::string title;
  std::string file;
};

Result<std::optional<Held>> held(store::Store& store, std::string_view sitting_id) {
  VIGIL_ASSIGN(auto raw, store.get_state(sitting_state(sitting_id)));
  if (!raw) return std::optional<Held>{};
  VIGIL_ASSIGN(auto j, protocol::parse_json(as_chars(*raw)));
  if (!j.contains("grant") || !j.contains("title") || !j.contains("file") || !j["title"].is_string() || !j["file"].is_string()) {
    return fail(Errc::integrity, "the stored sitting " + std::string(sitting_id) + " is damaged: download again");
  }
  Held h;
  VIGIL_ASSIGN(h.grant, pkg::parse_grant(j["grant"].dump()));
  h.title = j["title"].get<std::string>();
  h.file = j["file"].get<std::string>();
  return std::optional<Held>{std::move(h)};
}

Result<std::vector<std::string>> index(store::Store& store) {
  VIGIL_ASSIGN(auto raw, store.get_state(k_state_index));
  std::vector<std::string> out;
  if (!raw) return out;
  auto j = json::parse(as_chars(*raw), nullptr, false);
  if (!j.is_array()) return fail(Errc::integrity, "the list of downloaded assessments is damaged: download again");
  for (const auto& e : j) {
    if (e.is_string()) out.push_back(e.get<std::string>());
  }
  return out;
}

Result<LocalSitting> to_local(store::Store& store, const fs::path& data_dir, const Held& h) {
  LocalSitting s;
  s.sitting_id = h.grant.sitting_id;
  s.assessment_id = h.grant.assessment_id;
  s.version = h.grant.version;
  s.title = h.title;
  s.scheduled_start_ms = h.grant.scheduled_start_ms;
  s.window_end_ms = h.grant.window_end_ms;
  s.accommodations = h.grant.accommodations;
  s.package_file = data_dir / "packages" / h.file;
  VIGIL_ASSIGN(auto key, store.get_state(key_state(h.grant.sitting_id)));
  s.unlocked = key.has_value();
  if (key) crypto::wipe(*key);
  return s;
}

// The grant and the verified package of a sitting (invariant 2).
struct Opened {
  Held held;
  pkg::VerifiedPackage package;
};

Result<Opened> open_sitting(store::Store& store, const fs::path& data_dir, std::string_view sitting_id) {
  VIGIL_ASSIGN(auto h, held(store, sitting_id));
  if (!h) return fail(Errc::not_found, "this device has no assessment for sitting " + std::string(sitting_id) + ": download it first");
  VIGIL_ASSIGN(auto signer, signing_key(store));
  VIGIL_TRY(pkg::verify_grant(h->grant, signer));
  VIGIL_ASSIGN(auto file, read_file_bytes(data_dir / "packages" / h->file));
  auto verified = pkg::verify_package(file, signer);
  if (!verified) return fail(std::move(verified).error().context("the downloaded package cannot be used; download it again"));
  if (verified->header.key_id != h->grant.key_id || verified->header.assessment_id != h->grant.assessment_id ||
      verified->header.version != h->grant.version) {
    return fail(Errc::integrity, "the package file does not belong to this sitting: download it again");
  }
  return Opened{std::move(*h), std::move(*verified)};
}

Result<Unlocked> finish_unlock(store::Store& store, const fs::path& data_dir, const Opened& o, ByteView key) {
  VIGIL_ASSIGN(auto a, pkg::decrypt_package(o.package, key));
  VIGIL_ASSIGN(auto local, to_local(store, data_dir, o.held));
  return Unlocked{std::move(local), std::move(a)};
}

// Stores the key (invariant 3) and records the unlock in the sitting's journal.
Status remember_key(store::Store& store, const pkg::SittingGrant& g, ByteView key, std::string_view method) {
  VIGIL_TRY(store.put_state(key_state(g.sitting_id), key));
  VIGIL_TRY(store.begin_session(g.sitting_id, g.assessment_id));
  const json payload{{"sitting_id", g.sitting_id}, {"assessment_id", g.assessment_id}, {"version", g.version},
                     {"key_id", g.key_id}, {"method", method}};
  return store.record_event(g.sitting_id, "package.unlocked", payload.dump()).map([](std::uint64_t) {});
}

struct Attempts {
  std::int64_t failures = 0;
  std::int64_t last_failure_wall_ms = 0;
};

Result<Attempts> attempts(store::Store& store, std::string_view sitting_id) {
  VIGIL_ASSIGN(auto raw, store.get_state(attempts_state(sitting_id)));
  Attempts a;
  if (!raw) return a;
  auto j = json::parse(as_chars(*raw), nullptr, false);
  if (!j.is_object() || !j.contains("failures") || !j["failures"].is_number_integer() ||
      !j.contains("last_failure_wall_ms") || !j["last_failure_wall_ms"].is_number_integer()) {
    // A damaged counter counts as locked-out-for-now rather than as zero.
    return Attempts{k_free_code_attempts + 5, 0};
  }
  a.failures = j["failures"].get<std::int64_t>();
  a.last_failure_wall_ms = j["last_failure_wall_ms"].get<std::int64_t>();
  return a;
}

// The wait still due before another try, in ms (0: may try now).
std::int64_t wait_ms(const Attempts& a, std::int64_t now) {
  if (a.failures < k_free_code_attempts) return 0;
  const auto extra = std::min<std::int64_t>(a.failures - k_free_code_attempts, 5);
  const std::int64_t delay = std::min<std::int64_t>(30'000LL << extra, 15 * 60'000);
  const std::int64_t elapsed = now - a.last_failure_wall_ms;
  // A clock set back (elapsed < 0) does not shorten the wait: the whole delay is due again.
  if (elapsed < 0) return delay;
  return elapsed >= delay ? 0 : delay - elapsed;
}

std::string minutes_text(std::int64_t ms) {
  const std::int64_t s = (ms + 999) / 1000;
  if (s < 120) return std::to_string(s) + " seconds";
  return std::to_string((s + 59) / 60) + " minutes";
}

}  // namespace

Result<crypto::X25519KeyPair> device_kx_key(store::Store& store) {
  VIGIL_ASSIGN(auto secret, store.derive_device_secret("kx", crypto::k_x25519_key_size));
  return crypto::x25519_from_private(crypto::view(secret));
}

Result<std::vector<LocalSitting>> download(sync::Transport& transport, store::Store& store, const fs::path& data_dir) {
  VIGIL_ASSIGN(auto enrolment, store.enrolment());
  if (!enrolment) return fail(Errc::forbidden, "this device is not enrolled yet: enrol it with the code from your council first");
  VIGIL_ASSIGN(auto list_resp, call(transport, HttpRequest{"GET", "/v1/packages", {}, {}}));
  VIGIL_ASSIGN(auto lj, protocol::parse_json(list_resp.body));
  struct Listed {
    std::string sitting_id, assessment_id, title;
    std::uint32_t version = 0;
    std::array<std::uint8_t, 32> sha{};
  };
  Bytes server_key;
  std::vector<Listed> listed;
  {
    auto decoded = protocol::decode_top<bool>(lj, [&](protocol::ObjectReader& r) -> Result<bool> {
      VIGIL_TRY(r.version(1));
      VIGIL_ASSIGN(server_key, r.base64("package_public_key", 32));
      if (server_key.size() != 32) return fail(r.error("package_public_key", "must be 32 bytes"));
      VIGIL_ASSIGN(auto key_id, r.string("package_key_id", 64));
      (void)key_id;
      VIGIL_ASSIGN(auto server_time, r.integer("server_time_ms"));
      (void)server_time;
      VIGIL_ASSIGN(auto items, r.objects("sittings", 100));
      for (auto& s : items) {
        Listed l;
        VIGIL_ASSIGN(l.sitting_id, s.non_empty_string("sitting_id", 128));
        VIGIL_ASSIGN(l.assessment_id, s.non_empty_string("assessment_id", 64));
        VIGIL_ASSIGN(auto v, s.uint("version"));
        l.version = static_cast<std::uint32_t>(std::min<std::uint64_t>(v, 0x7fffffff));
        VIGIL_ASSIGN(l.title, s.string("title", 500));
        VIGIL_ASSIGN(auto level, s.string("level", 32));
        (void)level;
        VIGIL_ASSIGN(auto start, s.integer("scheduled_start_ms"));
        VIGIL_ASSIGN(auto end, s.integer("window_end_ms"));
        (void)start;
        (void)end;
        VIGIL_ASSIGN(l.sha, s.hex_digest32("package_sha256"));
        VIGIL_TRY(s.finish());
        if (!is_safe_id(l.sitting_id) || !is_safe_id(l.assessment_id)) return fail(s.error("sitting_id", "is not a valid id"));
        listed.push_back(std::move(l));
      }
      VIGIL_TRY(r.finish());
      return true;
    });
    if (!decoded) return fail(std::move(decoded).error().context("the server's list of assessments"));
  }
  // (2) The first key seen over the pinned channel is kept; a different one later is refused.
  VIGIL_ASSIGN(auto known, store.get_state(k_state_signing_key));
  if (known && *known != server_key) {
    return fail(Errc::integrity, "the server's package key has changed since the last download: contact the support line");
  }
  if (!known) VIGIL_TRY(store.put_state(k_state_signing_key, server_key));

  std::error_code ec;
  fs::create_directories(data_dir / "packages", ec);
  if (ec) return fail(Errc::io, "creating " + (data_dir / "packages").string() + ": " + ec.message());
  VIGIL_ASSIGN(auto kx, device_kx_key(store));
  VIGIL_ASSIGN(auto ids, index(store));

  for (const auto& l : listed) {
    const fs::path path = package_path(data_dir, l.assessment_id, l.version);
    auto existing = read_file_bytes(path);
    if (!existing || crypto::sha256(*existing) != l.sha) {
      VIGIL_ASSIGN(auto resp, call(transport, HttpRequest{"GET", "/v1/packages/" + l.assessment_id + "/" + std::to_string(l.version),
                                                          {}, {}}));
      const ByteView file = as_bytes(resp.body);
      if (crypto::sha256(file) != l.sha) return fail(Errc::integrity, "the package arrived damaged (its SHA-256 differs): try again");
      VIGIL_ASSIGN(auto verified, pkg::verify_package(file, server_key));
      if (verified.header.assessment_id != l.assessment_id || verified.header.version != l.version) {
        return fail(Errc::integrity, "the server sent a package other than the one it listed");
      }
      VIGIL_TRY(write_file_atomically(path, file));  // (1)
    }
    const json body{{"v", 1}, {"kx_public", to_base64(kx.public_key)}};
    VIGIL_ASSIGN(auto gresp, call(transport, HttpRequest{"POST", "/v1/sittings/" + l.sitting_id + "/grant",
                                                         {{"Content-Type", "application/json"}}, body.dump()}));
    VIGIL_ASSIGN(auto grant, pkg::parse_grant(gresp.body));
    VIGIL_TRY(pkg::verify_grant(grant, server_key));
    if (grant.sitting_id != l.sitting_id || grant.device_id != store.device_id() ||
        grant.candidate_id != enrolment->candidate_id || grant.assessment_id != l.assessment_id || grant.version != l.version) {
      return fail(Errc::integrity, "the server sent a grant for another sitting or device");
    }
    const json record{{"grant", pkg::to_json(grant)}, {"title", l.title}, {"file", path.filename().string()}};
    VIGIL_TRY(store.put_state(sitting_state(l.sitting_id), as_bytes(record.dump())));
    if (std::find(ids.begin(), ids.end(), l.sitting_id) == ids.end()) ids.push_back(l.sitting_id);
  }
  VIGIL_TRY(store.put_state(k_state_index, as_bytes(json(ids).dump())));
  return local_sittings(store, data_dir);
}

Result<std::vector<LocalSitting>> local_sittings(store::Store& store, const fs::path& data_dir) {
  VIGIL_ASSIGN(auto ids, index(store));
  std::vector<LocalSitting> out;
  for (const auto& id : ids) {
    VIGIL_ASSIGN(auto h, held(store, id));
    if (!h) continue;
    VIGIL_ASSIGN(auto local, to_local(store, data_dir, *h));
    out.push_back(std::move(local));
  }
  std::sort(out.begin(), out.end(), [](const LocalSitting& a, const LocalSitting& b) {
    return a.scheduled_start_ms != b.scheduled_start_ms ? a.scheduled_start_ms < b.scheduled_start_ms : a.sitting_id < b.sitting_id;
  });
  return out;
}

Result<Unlocked> reopen(store::Store& store, const fs::path& data_dir, std::string_view sitting_id) {
  VIGIL_ASSIGN(auto key, store.get_state(key_state(sitting_id)));
  if (!key) return fail(Errc::not_found, "this assessment has not been unlocked on this device yet");
  const crypto::SecretBytes secret = crypto::to_secret(*key);
  crypto::wipe(*key);
  VIGIL_ASSIGN(auto opened, open_sitting(store, data_dir, sitting_id));
  return finish_unlock(store, data_dir, opened, crypto::view(secret));
}

Result<Unlocked> unlock_online(sync::Transport& transport, store::Store& store, const fs::path& data_dir,
                               std::string_view sitting_id) {
  if (auto again = reopen(store, data_dir, sitting_id); again || again.error().code != Errc::not_found) return again;
  VIGIL_ASSIGN(auto opened, open_sitting(store, data_dir, sitting_id));
  const auto& g = opened.held.grant;
  VIGIL_ASSIGN(auto resp, call(transport, HttpRequest{"POST", "/v1/sittings/" + g.sitting_id + "/key",
                                                      {{"Content-Type", "application/json"}}, R"({"v":1})"}));
  VIGIL_ASSIGN(auto j, protocol::parse_json(resp.body));
  VIGIL_ASSIGN(auto sealed, protocol::decode_top<Bytes>(j, [&](protocol::ObjectReader& r) -> Result<Bytes> {
    VIGIL_TRY(r.version(1));
    VIGIL_ASSIGN(auto id, r.string("sitting_id", 128));
    VIGIL_ASSIGN(auto key_id, r.string("key_id", 64));
    VIGIL_ASSIGN(auto box, r.base64("sealed_key", 256));
    VIGIL_TRY(r.finish());
    if (id != g.sitting_id || key_id != g.key_id) return fail(Errc::integrity, "the server released the key of another sitting");
    return box;
  }));
  VIGIL_ASSIGN(auto kx, device_kx_key(store));
  auto key = crypto::open_sealed(kx, sealed, as_bytes(pkg::online_key_aad(g.sitting_id)));
  if (!key) return fail(Errc::wrong_key, "the released key was not sealed to this device: download the assessment again");
  const crypto::SecretBytes secret = crypto::to_secret(*key);
  crypto::wipe(*key);
  VIGIL_ASSIGN(auto unlocked, finish_unlock(store, data_dir, opened, crypto::view(secret)));
  VIGIL_TRY(remember_key(store, g, crypto::view(secret), "online"));
  unlocked.sitting.unlocked = true;
  return unlocked;
}

Result<Unlocked> unlock_offline(store::Store& store, const fs::path& data_dir, std::string_view sitting_id,
                                std::string_view start_code, const time::Clock& clock) {
  if (auto again = reopen(store, data_dir, sitting_id); again || again.error().code != Errc::not_found) return again;
  VIGIL_ASSIGN(auto code, pkg::normalise_start_code(start_code));
  VIGIL_ASSIGN(auto opened, open_sitting(store, data_dir, sitting_id));
  const auto& g = opened.held.grant;
  if (g.device_id != store.device_id()) {
    return fail(Errc::wrong_key, "this assessment was downloaded for another device: download it again on this one");
  }
  // (5) The device clock is the only clock here.
  const std::int64_t now = clock.wall_ms();
  if (now >= g.window_end_ms) {
    return fail(Errc::expired, "the time to sit this assessment has ended (by this computer's clock): call the support line");
  }
  if (now < g.scheduled_start_ms - k_early_unlock_ms) {
    return fail(Errc::forbidden, "it is too early to start this assessment (by this computer's clock): check the date and time");
  }
  // (4) Counted before the answer, persisted in the store.
  VIGIL_ASSIGN(auto tries, attempts(store, sitting_id));
  if (const auto wait = wait_ms(tries, now); wait > 0) {
    return fail(Errc::rate_limited, "too many wrong start codes: wait " + minutes_text(wait) + " before trying again");
  }
  VIGIL_ASSIGN(auto kx, device_kx_key(store));
  auto key = pkg::unwrap_offline_key(g, kx, code);
  if (!key && key.error().code == Errc::auth_failed) {
    tries.failures += 1;
    tries.last_failure_wall_ms = now;
    const json a{{"failures", tries.failures}, {"last_failure_wall_ms", tries.last_failure_wall_ms}};
    VIGIL_TRY(store.put_state(attempts_state(sitting_id), as_bytes(a.dump())));
    VIGIL_TRY(store.begin_session(g.sitting_id, g.assessment_id));
    VIGIL_TRY(store.record_event(g.sitting_id, "start_code.rejected", json{{"failures", tries.failures}}.dump()));
    const std::int64_t left = k_free_code_attempts - tries.failures;
    return fail(Error(Errc::auth_failed,
                      left > 0 ? "that start code is not right: check it with the support line and try again (" +
                                     std::to_string(left) + (left == 1 ? " try" : " tries") + " before a wait)"
                               : "that start code is not right: wait " + minutes_text(wait_ms(tries, now)) +
                                     " before trying again, and check the code with the support line",
                      "start_code"));
  }
  if (!key) return fail(std::move(key).error());
  VIGIL_ASSIGN(auto unlocked, finish_unlock(store, data_dir, opened, crypto::view(*key)));
  VIGIL_TRY(remember_key(store, g, crypto::view(*key), "start_code"));
  VIGIL_TRY(store.erase_state(attempts_state(sitting_id)));
  unlocked.sitting.unlocked = true;
  return unlocked;
}

}  // namespace vigil::client::package
