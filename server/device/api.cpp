#include "server/device/api.hpp"
#include "server/device/api_detail.hpp"

#include <algorithm>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/results/equalities.hpp"
#include "shared/protocol/json_limits.hpp"
#include "server/packages/packages.hpp"
#include "server/results/appeals.hpp"
#include "server/results/outcome.hpp"
#include "server/results/results.hpp"
#include "shared/core/log.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "shared/crypto/kdf.hpp"
#include "shared/crypto/pki.hpp"
#include "shared/crypto/random.hpp"
#include "shared/journal/verifier.hpp"
#include "shared/protocol/messages.hpp"
#include "shared/protocol/sync.hpp"
#include "shared/http/request.hpp"
#include "shared/http/response.hpp"
#include "shared/http/router.hpp"
#include "shared/http/status.hpp"
#include "shared/time/format.hpp"

namespace vigil::server {

namespace {


using json = nlohmann::json;
using protocol::HttpRequest;
using protocol::HttpResponse;

constexpr std::string_view k_code_alphabet = "ACDEFGHJKMNPQRTUVWXY34679";
constexpr std::size_t k_handle_len = 4;
// The enrolment secret has ~56 bits and may be tried 5 times; scrypt makes a stolen table of
// hashes expensive to search before the codes expire.
const crypto::ScryptParams k_code_scrypt{1u << 14, 8, 1};

// The device endpoints (api.hpp), one row each, matched by shared/http/router.hpp.
enum class Endpoint { health, server_keys, enrol, packages, package, grant, key, appeal, results, equalities, records,
                      session, blob_get, blob_put };
struct Route {
  const char* method;
  const char* pattern;
  Endpoint endpoint;
};
constexpr Route k_routes[] = {
    {"GET", "/v1/health", Endpoint::health},
    {"GET", "/v1/server-keys", Endpoint::server_keys},
    {"POST", "/v1/enrol", Endpoint::enrol},
    {"GET", "/v1/packages", Endpoint::packages},
    {"GET", "/v1/packages/{assessment}/{version}", Endpoint::package},
    {"POST", "/v1/sittings/{sitting}/grant", Endpoint::grant},
    {"POST", "/v1/sittings/{sitting}/key", Endpoint::key},
    {"POST", "/v1/sittings/{sitting}/appeal", Endpoint::appeal},
    {"GET", "/v1/results", Endpoint::results},
    {"PUT", "/v1/equalities", Endpoint::equalities},
    {"POST", "/v1/sessions/{session}/records", Endpoint::records},
    {"GET", "/v1/sessions/{session}", Endpoint::session},
    {"GET", "/v1/blobs/{sha256}", Endpoint::blob_get},
    {"PUT", "/v1/blobs/{sha256}", Endpoint::blob_put},
};

bool any_segment(std::string_view) noexcept { return true; }

}  // namespace

using namespace device_detail;
using http::json_response;
using http::header_uint;


HttpResponse Api::handle(const HttpRequest& request, const protocol::PeerIdentity& peer) {
  auto r = route(request, peer);
  if (!r) {
    if (http::status_for(r.error().code) >= 500 && config_.log) {
      config_.log(log::line("request_failed", {{"method", request.method},
                                                {"status", http::status_for(r.error().code)},
                                                {"code", errc_name(r.error().code)},
                                                {"detail", r.error().message}}));
    }
    return http::error_response(r.error());
  }
  return std::move(*r);
}

Result<HttpResponse> Api::route(const HttpRequest& req, const protocol::PeerIdentity& peer) {
  VIGIL_ASSIGN(const auto segments, http::path_segments(req.path()));
  // Any segment reaches the handlers, which check ids themselves so that a bad one is a 400
  // naming its field ("session", "sha256", "version") rather than an unknown endpoint.
  auto routed = http::route(std::span<const Route>(k_routes), req.method, segments, any_segment);
  // The unauthenticated probes answer only GET; any other method finds no endpoint there (as
  // before the shared router), so they reveal nothing about what else the path would take.
  if (!routed && segments.size() == 2 && (segments[1] == "health" || segments[1] == "server-keys")) {
    return fail(Errc::not_found, "no such endpoint");
  }
  VIGIL_ASSIGN(const auto found, std::move(routed));
  const auto& at = found.captures;
  switch (found.row->endpoint) {
    case Endpoint::health: return json_response(200, json{{"v", 1}, {"status", "ok"}});
    case Endpoint::server_keys:
      return json_response(200, json{{"v", 1},
                                     {"receipt_public_key", to_base64(keys_.receipt_public)},
                                     {"receipt_key_id", protocol::key_id_of(keys_.receipt_public)},
                                     {"evidence_public_key", to_base64(keys_.evidence_public)}});
    case Endpoint::enrol: return enrol(req);
    default: break;
  }
  VIGIL_ASSIGN(const DeviceRow device, authenticate(peer));
  // Sessions and sittings share one id syntax, checked after authentication.
  for (const char* id : {"session", "sitting"}) {
    if (const auto it = at.find(id); it != at.end()) VIGIL_TRY(check_session_id(it->second));
  }
  switch (found.row->endpoint) {
    case Endpoint::packages: return list_packages(device);
    case Endpoint::package: return get_package(device, at.at("assessment"), at.at("version"));
    case Endpoint::grant: return post_grant(device, at.at("sitting"), req);
    case Endpoint::key: return post_key(device, at.at("sitting"));
    case Endpoint::appeal: return post_appeal(device, at.at("sitting"), req);
    case Endpoint::results: return get_results(device, req);
    case Endpoint::equalities: return put_equalities(device, req);
    case Endpoint::records: return post_records(device, at.at("session"), req);
    case Endpoint::session: return get_session(device, at.at("session"));
    case Endpoint::blob_get: return get_blob(device, at.at("sha256"));
    case Endpoint::blob_put: return put_blob(device, at.at("sha256"), req);
    default: return fail(Errc::internal, "an endpoint without a handler");
  }
}

// Only the device's own candidate's released results (server/results/results.hpp, invariant 2).
// ?v=2 (clients since issue 16 part 3) adds each submitted sitting's outcome state with the
// public reason of a void or withheld one (server/results/outcome.hpp; never a proctor's note);
// without it the body is version 1, which older clients read strictly.
Result<HttpResponse> Api::get_results(const DeviceRow& device, const HttpRequest& req) {
  VIGIL_ASSIGN(const auto q, http::query_params(req.query()));
  const auto v = q.find("v");
  if (v != q.end() && v->second == "3") {
    VIGIL_ASSIGN(auto all, candidate_results(deps_.results, device.candidate_id, &deps_.appeals, config_.appeal_window_days));
    return json_response(200, results::to_json(all, 3));
  }
  if (v != q.end() && v->second == "2") {
    VIGIL_ASSIGN(auto all, candidate_results(deps_.results, device.candidate_id));
    return json_response(200, results::to_json(all, 2));
  }
  if (v != q.end() && v->second != "1") {
    return fail(Error(Errc::invalid_argument, "v must be 1, 2 or 3", "v"));
  }
  VIGIL_ASSIGN(auto list, released_results_for(deps_.results, device.candidate_id));
  return json_response(200, results::to_json(list));
}

// An appeal of the device's own candidate's void or withheld result (server/results/appeals.hpp):
// 201 with the appeal, or 200 with the same appeal for a request sent again.
Result<HttpResponse> Api::post_appeal(const DeviceRow& device, std::string_view sitting_id, const HttpRequest& req) {
  VIGIL_TRY(http::require_json(req));
  VIGIL_ASSIGN(auto request, results::parse_appeal_request(req.body));
  VIGIL_ASSIGN(auto lodged, lodge_appeal(repo_, deps_.results, deps_.appeals, device, sitting_id, request,
                                         config_.appeal_window_days, clock_));
  const auto& a = lodged.appeal;
  return json_response(lodged.created ? 201 : 200,
                       json{{"v", 1},
                            {"appeal", {{"sitting_id", a.sitting_id},
                                        {"request_id", a.request_id},
                                        {"state", a.state == "decided" ? "decided" : "received"},
                                        {"lodged_wall_ms", a.lodged_wall_ms}}}});
}

// The candidate is the device's (invariant 3 of shared/results/equalities.hpp): the body names
// no one, so one candidate's device cannot write another's declaration.
Result<HttpResponse> Api::put_equalities(const DeviceRow& device, const HttpRequest& req) {
  VIGIL_ASSIGN(const auto body, http::json_body(req));
  VIGIL_ASSIGN(auto d, results::parse_equalities(body));
  VIGIL_TRY(repo_.transaction(
      [&]() -> Status { return server::put_equalities(deps_.equalities, keys_, device.candidate_id, d, clock_); }));
  return json_response(200, json{{"v", 1}, {"stored", true}});
}

Result<DeviceRow> Api::authenticate(const protocol::PeerIdentity& peer) {
  if (!peer.client_certificate) {
    return fail(Errc::auth_failed, "this endpoint needs the device certificate issued at enrolment");
  }
  VIGIL_ASSIGN(auto device, repo_.device(peer.subject_cn));
  if (!device || device->cert_serial != peer.serial_hex) {
    return fail(Errc::forbidden, "this device certificate is not known to the server");
  }
  if (device->revoked_wall_ms) return fail(Errc::forbidden, "this device has been revoked; contact your council");
  return std::move(*device);
}

Result<HttpResponse> Api::enrol(const HttpRequest& req) {
  VIGIL_TRY(http::require_json(req));
  VIGIL_ASSIGN(auto in, protocol::parse_enrol_request(req.body));
  const std::string handle = in.code.substr(0, k_handle_len);
  const std::string secret = in.code.substr(k_handle_len);
  const std::int64_t now = clock_.wall_ms();
  const auto not_recognised = [] {
    return fail(Error(Errc::forbidden, "this enrolment code is not recognised: check it against your letter", "code"));
  };

  // The secret is checked before anything about the code is revealed, and scrypt runs whether or
  // not the handle exists, so neither the answers nor their timing tell a guesser which handles
  // are live. Only a locked code answers before the check (it must: that is the lock).
  VIGIL_ASSIGN(auto code, repo_.enrolment_code(handle));
  static const Bytes k_dummy_salt(16, 0);
  VIGIL_ASSIGN(auto hash, crypto::scrypt(as_bytes(secret), code ? ByteView(code->salt) : ByteView(k_dummy_salt), k_code_scrypt, 32));
  if (!code) return not_recognised();
  if (code->failed_attempts >= config_.max_failed_enrolment_attempts) {
    return fail(Error(Errc::rate_limited, "this enrolment code is locked after too many wrong tries; ask your council for a new one", "code"));
  }
  if (!crypto::ct_equal(crypto::view(hash), code->secret_hash)) {
    // Counted with one atomic UPDATE. (Tries already past the lock check when the fifth wrong one
    // lands still run: at most about one extra guess per server thread.)
    VIGIL_TRY(repo_.count_failed_enrolment(handle));
    return not_recognised();
  }
  if (code->used_wall_ms) {
    return fail(Error(Errc::conflict, "this enrolment code has already been used; ask your council for a new one", "code"));
  }
  if (now >= code->expires_wall_ms) {
    return fail(Error(Errc::expired, "this enrolment code has expired; ask your council for a new one", "code"));
  }

  auto csr = crypto::parse_csr(in.csr_pem);
  if (!csr) return fail(Error(Errc::invalid_argument, csr.error().message, "csr"));
  if (csr->common_name != in.device_id) {
    return fail(Error(Errc::invalid_argument, "the request's common name must be the device id", "csr"));
  }
  crypto::CertificateSpec spec;
  spec.common_name = in.device_id;
  spec.uris = {"vigil:candidate/" + code->candidate_id + "/device/" + in.device_id};
  spec.use = crypto::CertificateSpec::Use::client;
  spec.not_before_unix = now / 1000 - 300;  // tolerate clients whose clock is a little behind
  spec.not_after_unix = now / 1000 + config_.device_certificate_days * 86'400;
  if (auto ca = crypto::parse_certificate(keys_.device_ca_cert_pem); ca) {
    spec.not_after_unix = std::min(spec.not_after_unix, ca->not_after_unix);
  }
  VIGIL_ASSIGN(auto cert_pem, crypto::issue_certificate(spec, csr->public_pem, keys_.device_ca_cert_pem, keys_.device_ca_key_pem));
  VIGIL_ASSIGN(auto cert, crypto::parse_certificate(cert_pem));

  VIGIL_TRY(repo_.transaction([&]() -> Status {
    VIGIL_TRY(repo_.mark_enrolment_code_used(handle, in.device_id, now));
    return repo_.add_device(DeviceRow{in.device_id, code->candidate_id, cert.serial_hex, in.signing_public_key, now, std::nullopt});
  }));

  protocol::EnrolResponse out;
  out.device_id = in.device_id;
  out.candidate_id = code->candidate_id;
  out.device_certificate_pem = cert_pem;
  out.ca_chain_pem = keys_.device_ca_cert_pem;
  out.receipt_public_key = keys_.receipt_public;
  out.evidence_public_key = keys_.evidence_public;
  return json_response(201, protocol::to_json(out));
}

Result<HttpResponse> Api::get_blob(const DeviceRow& device, std::string_view sha_hex) {
  VIGIL_ASSIGN(auto sha, parse_sha_hex(sha_hex, "sha256"));
  VIGIL_ASSIGN(auto b, repo_.blob(device.device_id, sha));
  protocol::BlobStatus out;
  out.sha256 = sha;
  if (b) {
    out.size = b->size;
    out.offset = b->received;
    out.complete = b->complete;
  }
  return json_response(200, protocol::to_json(out));
}

Result<HttpResponse> Api::put_blob(const DeviceRow& device, std::string_view sha_hex, const HttpRequest& req) {
  VIGIL_ASSIGN(auto sha, parse_sha_hex(sha_hex, "sha256"));
  if (req.header("Content-Type") != "application/octet-stream") {
    return fail(Error(Errc::invalid_argument, "Content-Type must be application/octet-stream", "Content-Type"));
  }
  VIGIL_ASSIGN(const auto offset, header_uint(req, "Upload-Offset"));
  VIGIL_ASSIGN(const auto length, header_uint(req, "Upload-Length"));
  VIGIL_ASSIGN(const auto chunk_sha, parse_sha_hex(req.header("Chunk-SHA256"), "Chunk-SHA256"));
  const ByteView chunk = as_bytes(req.body);
  if (length == 0 || length > protocol::k_max_blob_bytes) {
    return fail(Error(Errc::invalid_argument, "Upload-Length must be 1 to 67108864 bytes", "Upload-Length"));
  }
  if (chunk.empty() || chunk.size() > protocol::k_max_chunk_bytes) {
    return fail(Error(Errc::invalid_argument, "a chunk is 1 byte to 1 MiB", "body"));
  }
  if (offset > length || chunk.size() > length - offset) {
    return fail(Error(Errc::invalid_argument, "the chunk runs past Upload-Length", "Upload-Offset"));
  }
  if (crypto::sha256(chunk) != chunk_sha) {
    return fail(Error(Errc::integrity, "the chunk does not match its Chunk-SHA256: it was damaged on the way; send it again",
                      "Chunk-SHA256"));
  }
  protocol::BlobStatus out;
  out.sha256 = sha;
  bool discarded = false;  // the whole upload failed its hash: reset (committed), then refused
  VIGIL_TRY(repo_.transaction([&]() -> Status {
    VIGIL_ASSIGN(auto existing, repo_.blob(device.device_id, sha));
    BlobRow b;
    if (existing) {
      b = *existing;
      if (b.size != length) return fail(Error(Errc::conflict, "Upload-Length differs from the first chunk's", "Upload-Length"));
    } else {
      // A blob is allocated at its full size on its first chunk: bound what one device may hold.
      VIGIL_ASSIGN(const std::uint64_t held, repo_.device_blob_bytes(device.device_id));
      if (held + length > config_.device_blob_quota_bytes) {
        return fail(Error(Errc::disk_full, "this device has reached its upload allowance on the server", "Upload-Length"));
      }
      VIGIL_ASSIGN(b, repo_.create_blob(device.device_id, sha, length));
    }
    out.size = b.size;
    out.offset = b.received;
    out.complete = b.complete;
    if (b.complete) return {};  // already whole: a resend after a lost response
    if (offset != b.received) {
      return fail(Error(Errc::conflict, "the server holds " + std::to_string(b.received) +
                                            " bytes of this blob: ask for the offset and send from there", "Upload-Offset"));
    }
    VIGIL_TRY(repo_.write_blob(b, offset, chunk));
    b.received = offset + chunk.size();
    std::optional<std::int64_t> complete;
    if (b.received == b.size) {
      crypto::Sha256 h;
      for (std::uint64_t at = 0; at < b.size; at += protocol::k_max_chunk_bytes) {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(protocol::k_max_chunk_bytes, b.size - at));
        VIGIL_ASSIGN(auto part, repo_.read_blob(b, at, n));
        h.update(part);
      }
      if (h.finish() != sha) {
        // The reset must be committed (a failed transaction would roll it back and leave the
        // offset at the last chunk, so the client could only ever resend that chunk).
        VIGIL_TRY(repo_.set_blob_progress(b, 0, std::nullopt));
        discarded = true;
        return {};
      }
      complete = clock_.wall_ms();
    }
    VIGIL_TRY(repo_.set_blob_progress(b, b.received, complete));
    out.offset = b.received;
    out.complete = complete.has_value();
    return {};
  }));
  if (discarded) {
    return fail(Error(Errc::integrity, "the whole upload does not match its SHA-256; it was discarded, send it again", "sha256"));
  }
  return json_response(200, protocol::to_json(out));
}

Status Api::refuse_if_withdrawn(const DeviceRow& device, std::string_view action) {
  VIGIL_ASSIGN(const bool withdrawn, repo_.candidate_withdrawn(device.candidate_id));
  if (!withdrawn) return {};
  VIGIL_TRY(repo_.transaction([&]() -> Status {
    return repo_.add_audit("device.refused", "device/" + device.device_id,
                           "candidate " + device.candidate_id + " withdrawn: " + std::string(action) + " refused",
                           clock_.wall_ms());
  }));
  return fail(Error(Errc::forbidden, "this candidate has been withdrawn by their council: assessments can no longer be "
                                     "downloaded, unlocked or submitted from this device",
                    "candidate"));
}

Result<HttpResponse> Api::list_packages(const DeviceRow& device) {
  VIGIL_TRY(refuse_if_withdrawn(device, "package list"));
  VIGIL_ASSIGN(auto sittings, repo_.sittings_of(device.candidate_id));
  json list = json::array();
  for (const auto& st : sittings) {
    VIGIL_ASSIGN(auto pkg, repo_.package(st.assessment_id, st.version, false));
    if (!pkg) continue;
    list.push_back({{"sitting_id", st.sitting_id},
                    {"assessment_id", st.assessment_id},
                    {"version", st.version},
                    {"title", pkg->title},
                    {"level", pkg->level},
                    {"scheduled_start_ms", st.scheduled_start_ms},
                    {"window_end_ms", st.window_end_ms},
                    {"package_sha256", to_hex(pkg->package_sha256)}});
  }
  return json_response(200, json{{"v", 1},
                                 {"package_public_key", to_base64(keys_.package_public)},
                                 {"package_key_id", protocol::key_id_of(keys_.package_public)},
                                 {"server_time_ms", clock_.wall_ms()},
                                 {"sittings", std::move(list)}});
}

Result<HttpResponse> Api::get_package(const DeviceRow& device, std::string_view assessment_id, std::string_view version) {
  const bool digits = !version.empty() && version.size() <= 9 &&
                      std::all_of(version.begin(), version.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) return fail(Error(Errc::invalid_argument, "the version in the path must be a whole number", "version"));
  VIGIL_TRY(refuse_if_withdrawn(device, "package download"));
  const auto v = static_cast<std::uint32_t>(std::stoul(std::string(version)));
  // Only packages the candidate is scheduled to sit: a device cannot collect other papers.
  VIGIL_ASSIGN(auto sitting, repo_.sitting_of(device.candidate_id, assessment_id));
  if (!sitting || sitting->version != v) return fail(Errc::not_found, "no such package scheduled for this candidate");
  VIGIL_ASSIGN(auto pkg, repo_.package(assessment_id, v, true));
  if (!pkg) return fail(Errc::not_found, "no such package");
  return http::bytes_response("application/octet-stream", std::string(pkg->package.begin(), pkg->package.end()));
}

Result<HttpResponse> Api::post_grant(const DeviceRow& device, std::string_view sitting_id, const HttpRequest& req) {
  VIGIL_ASSIGN(auto j, http::json_body(req));
  VIGIL_ASSIGN(auto kx, protocol::decode_top<Bytes>(j, [](protocol::ObjectReader& r) -> Result<Bytes> {
    VIGIL_TRY(r.version(1));
    VIGIL_ASSIGN(auto key, r.base64("kx_public", 32));
    if (key.size() != 32) return fail(r.error("kx_public", "must be a 32-byte X25519 public key"));
    VIGIL_TRY(r.finish());
    return key;
  }));
  VIGIL_TRY(refuse_if_withdrawn(device, "sitting grant"));
  VIGIL_ASSIGN(auto grant, issue_grant(repo_, keys_, device, sitting_id, kx, clock_));
  return json_response(200, package::to_json(grant));
}

Result<HttpResponse> Api::post_key(const DeviceRow& device, std::string_view sitting_id) {
  VIGIL_TRY(refuse_if_withdrawn(device, "online unlock"));
  VIGIL_ASSIGN(auto sitting, repo_.sitting(sitting_id));
  if (!sitting || sitting->candidate_id != device.candidate_id) {
    return fail(Error(Errc::not_found, "no such sitting for this candidate", "sitting"));
  }
  // The server's clock decides (the device's can be set to anything).
  const std::int64_t now = clock_.wall_ms();
  if (now < sitting->scheduled_start_ms) {
    return fail(Errc::forbidden, "not yet: the assessment opens at " + time::utc_iso8601(sitting->scheduled_start_ms) +
                                     " (it is now " + time::utc_iso8601(now) + ")");
  }
  if (now >= sitting->window_end_ms) {
    return fail(Errc::expired, "the window for this assessment closed at " + time::utc_iso8601(sitting->window_end_ms) +
                                   ": contact the support line");
  }
  VIGIL_ASSIGN(auto kx, repo_.sitting_device_kx(sitting_id, device.device_id));
  if (!kx) return fail(Error(Errc::conflict, "ask for this sitting's grant first (POST .../grant)", "sitting"));
  VIGIL_ASSIGN(auto pkg, repo_.package(sitting->assessment_id, sitting->version, false));
  if (!pkg) return fail(Errc::internal, "the sitting's package is missing");
  VIGIL_ASSIGN(auto key, content_key_of(keys_, *pkg));
  VIGIL_ASSIGN(auto sealed, crypto::seal(*kx, crypto::view(key), as_bytes(package::online_key_aad(sitting_id))));
  VIGIL_TRY(repo_.transaction([&]() -> Status { return repo_.mark_key_released(sitting_id, device.device_id, now); }));
  return json_response(200, json{{"v", 1}, {"sitting_id", sitting_id}, {"key_id", pkg->key_id}, {"sealed_key", to_base64(sealed)}});
}

Result<NewEnrolmentCode> create_enrolment_code(Repository& repo, std::string_view candidate_id, const time::Clock& clock,
                                               std::int64_t valid_days) {
  VIGIL_ASSIGN(auto candidate, repo.candidate(candidate_id));
  if (!candidate) return fail(Errc::not_found, "no candidate " + std::string(candidate_id));
  for (int attempt = 0; attempt < 20; ++attempt) {
    // Rejection sampling: only bytes below 250 (= 10 x 25) are used, so every character of the
    // alphabet is equally likely.
    std::string code;
    while (code.size() < protocol::k_enrolment_code_len) {
      VIGIL_ASSIGN(auto random, crypto::random_bytes(32));
      for (auto b : random) {
        if (b < 250 && code.size() < protocol::k_enrolment_code_len) code += k_code_alphabet[b % k_code_alphabet.size()];
      }
    }
    const std::string handle = code.substr(0, k_handle_len);
    VIGIL_ASSIGN(auto taken, repo.enrolment_code(handle));
    if (taken) continue;
    VIGIL_ASSIGN(auto salt, crypto::random_bytes(16));
    VIGIL_ASSIGN(auto hash, crypto::scrypt(as_bytes(std::string_view(code).substr(k_handle_len)), salt, k_code_scrypt, 32));
    EnrolmentCodeRow row;
    row.handle = handle;
    row.candidate_id = std::string(candidate_id);
    row.salt = salt;
    row.secret_hash = Bytes(hash.begin(), hash.end());
    row.expires_wall_ms = clock.wall_ms() + valid_days * 86'400'000;
    VIGIL_TRY(repo.add_enrolment_code(row, clock.wall_ms()));
    return NewEnrolmentCode{code.substr(0, 4) + "-" + code.substr(4, 4) + "-" + code.substr(8, 4) + "-" + code.substr(12, 4),
                            row.expires_wall_ms};
  }
  return fail(Errc::internal, "could not find a free enrolment code handle");
}

}  // namespace vigil::server
