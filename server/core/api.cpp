#include "server/core/api.hpp"

#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/core/equalities.hpp"
#include "server/core/json_limits.hpp"
#include "server/core/packages.hpp"
#include "server/core/results.hpp"
#include "shared/core/log.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/sealed_box.hpp"
#include "shared/crypto/kdf.hpp"
#include "shared/crypto/pki.hpp"
#include "shared/crypto/random.hpp"
#include "shared/journal/verifier.hpp"
#include "shared/protocol/messages.hpp"
#include "shared/protocol/sync.hpp"

namespace vigil::server::core {

namespace {

using json = nlohmann::json;
using protocol::HttpRequest;
using protocol::HttpResponse;

constexpr std::string_view k_code_alphabet = "ACDEFGHJKMNPQRTUVWXY34679";
constexpr std::size_t k_handle_len = 4;
// The enrolment secret has ~56 bits and may be tried 5 times; scrypt makes a stolen table of
// hashes expensive to search before the codes expire.
const crypto::ScryptParams k_code_scrypt{1u << 14, 8, 1};

HttpResponse json_response(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.headers["Content-Type"] = "application/json";
  r.body = body.dump();
  return r;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

Status check_session_id(std::string_view id) {
  const bool ok = !id.empty() && id.size() <= protocol::k_max_session_id_len &&
                  std::all_of(id.begin(), id.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                           c == '_' || c == '.';
                  });
  if (!ok) return fail(Error(Errc::invalid_argument, "the session id in the path is not valid", "session"));
  return {};
}

Result<std::array<std::uint8_t, 32>> parse_sha_hex(std::string_view hex, const char* field) {
  std::array<std::uint8_t, 32> out{};
  const bool ok = hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
                    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                  });
  if (!ok) return fail(Error(Errc::invalid_argument, std::string(field) + " must be 64 lower-case hex digits", field));
  const auto bytes = from_hex(hex).value();
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

Result<std::uint64_t> header_uint(const HttpRequest& req, std::string_view name) {
  const std::string v = req.header(name);
  if (v.empty() || v.size() > 19 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return fail(Error(Errc::invalid_argument, "header " + std::string(name) + " must be a whole number", std::string(name)));
  }
  return std::stoull(v);
}

bool is_structural(journal::FindingKind k) {
  using K = journal::FindingKind;
  return k == K::modified || k == K::deleted || k == K::inserted || k == K::forked || k == K::bad_checkpoint;
}

}  // namespace

int status_for(Errc code) noexcept {
  switch (code) {
    case Errc::invalid_argument: return 400;
    case Errc::unsupported_version: return 400;
    case Errc::auth_failed: return 401;
    case Errc::forbidden: return 403;
    case Errc::wrong_key: return 403;
    case Errc::not_found: return 404;
    case Errc::already_exists: return 409;
    case Errc::conflict: return 409;
    case Errc::expired: return 410;
    case Errc::integrity: return 422;
    case Errc::rate_limited: return 429;
    case Errc::busy: return 503;
    case Errc::unavailable: return 503;
    case Errc::read_only: return 503;
    case Errc::disk_full: return 507;
    case Errc::crypto:
    case Errc::not_a_store:
    case Errc::io:
    case Errc::internal: return 500;
  }
  return 500;
}

HttpResponse error_response(const Error& e) {
  Error shown = e;
  // Internal failures are logged by the caller; the client gets no internals.
  if (status_for(e.code) >= 500 && e.code != Errc::disk_full) shown.message = "the server could not complete this request";
  return json_response(status_for(e.code), protocol::to_json(protocol::error_body_from(shown)));
}

HttpResponse Api::handle(const HttpRequest& request, const protocol::PeerIdentity& peer) {
  auto r = route(request, peer);
  if (!r) {
    if (status_for(r.error().code) >= 500 && config_.log) {
      // One key=value line; the request path is ours to print, the message is the server's own.
      config_.log("event=request_failed method=" + log_value(request.method) + " status=" +
                  std::to_string(status_for(r.error().code)) + " code=" + std::string(errc_name(r.error().code)) +
                  " detail=" + log_value(r.error().message));
    }
    return error_response(r.error());
  }
  return std::move(*r);
}

Result<HttpResponse> Api::route(const HttpRequest& req, const protocol::PeerIdentity& peer) {
  const auto parts = split_path(req.path());
  const std::string& m = req.method;
  if (parts.size() < 2 || parts[0] != "v1") return fail(Errc::not_found, "no such endpoint");

  if (parts.size() == 2 && parts[1] == "health" && m == "GET") return json_response(200, json{{"v", 1}, {"status", "ok"}});
  if (parts.size() == 2 && parts[1] == "server-keys" && m == "GET") {
    return json_response(200, json{{"v", 1},
                                   {"receipt_public_key", to_base64(keys_.receipt_public)},
                                   {"receipt_key_id", protocol::key_id_of(keys_.receipt_public)},
                                   {"evidence_public_key", to_base64(keys_.evidence_public)}});
  }
  if (parts.size() == 2 && parts[1] == "enrol") {
    if (m != "POST") return fail(Errc::invalid_argument, "use POST for /v1/enrol");
    return enrol(req);
  }

  if (parts[1] == "packages" && (parts.size() == 2 || parts.size() == 4)) {
    if (m != "GET") return fail(Errc::invalid_argument, "use GET for packages");
    VIGIL_ASSIGN(const DeviceRow device, authenticate(peer));
    if (parts.size() == 2) return list_packages(device);
    return get_package(device, parts[2], parts[3]);
  }
  if (parts[1] == "sittings" && parts.size() == 4 && (parts[3] == "grant" || parts[3] == "key")) {
    if (m != "POST") return fail(Errc::invalid_argument, "use POST for sitting grants and keys");
    VIGIL_ASSIGN(const DeviceRow device, authenticate(peer));
    VIGIL_TRY(check_session_id(parts[2]));
    if (parts[3] == "grant") return post_grant(device, parts[2], req);
    return post_key(device, parts[2]);
  }

  if (parts.size() == 2 && parts[1] == "results") {
    if (m != "GET") return fail(Errc::invalid_argument, "use GET for /v1/results");
    VIGIL_ASSIGN(const DeviceRow device, authenticate(peer));
    return get_results(device);
  }
  if (parts.size() == 2 && parts[1] == "equalities") {
    if (m != "PUT") return fail(Errc::invalid_argument, "use PUT for /v1/equalities");
    VIGIL_ASSIGN(const DeviceRow device, authenticate(peer));
    return put_equalities(device, req);
  }

  const bool sessions = parts[1] == "sessions" && (parts.size() == 3 || (parts.size() == 4 && parts[3] == "records"));
  const bool blobs = parts[1] == "blobs" && parts.size() == 3;
  if (!sessions && !blobs) return fail(Errc::not_found, "no such endpoint");
  VIGIL_ASSIGN(const DeviceRow device, authenticate(peer));
  if (sessions) {
    VIGIL_TRY(check_session_id(parts[2]));
    if (parts.size() == 4 && m == "POST") return post_records(device, parts[2], req);
    if (parts.size() == 3 && m == "GET") return get_session(device, parts[2]);
    return fail(Errc::invalid_argument, "method not allowed here");
  }
  if (m == "GET") return get_blob(device, parts[2]);
  if (m == "PUT") return put_blob(device, parts[2], req);
  return fail(Errc::invalid_argument, "method not allowed here");
}

// Only the device's own candidate's released results (server/core/results.hpp, invariant 2).
Result<HttpResponse> Api::get_results(const DeviceRow& device) {
  if (!config_.results) return fail(Errc::not_found, "this server does not serve results");
  VIGIL_ASSIGN(auto list, released_results_for(*config_.results, device.candidate_id));
  return json_response(200, results::to_json(list));
}

// The candidate is the device's (invariant 3 of shared/results/equalities.hpp): the body names
// no one, so one candidate's device cannot write another's declaration.
Result<HttpResponse> Api::put_equalities(const DeviceRow& device, const HttpRequest& req) {
  if (!config_.equalities) return fail(Errc::not_found, "this server does not collect equalities declarations");
  if (req.header("Content-Type").rfind("application/json", 0) != 0) {
    return fail(Error(Errc::invalid_argument, "Content-Type must be application/json", "Content-Type"));
  }
  const auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return fail(Errc::invalid_argument, "the request body is not JSON");
  VIGIL_ASSIGN(auto d, results::parse_equalities(body));
  VIGIL_TRY(repo_.transaction(
      [&]() -> Status { return core::put_equalities(*config_.equalities, keys_, device.candidate_id, d, clock_); }));
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
  if (req.header("Content-Type").rfind("application/json", 0) != 0) {
    return fail(Error(Errc::invalid_argument, "Content-Type must be application/json", "Content-Type"));
  }
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

Result<HttpResponse> Api::post_records(const DeviceRow& device, std::string_view session_id, const HttpRequest& req) {
  if (req.header("Content-Type").rfind("application/json", 0) != 0) {
    return fail(Error(Errc::invalid_argument, "Content-Type must be application/json", "Content-Type"));
  }
  VIGIL_ASSIGN(auto batch, protocol::parse_record_batch(req.body));
  if (batch.session_id != session_id) {
    return fail(Error(Errc::invalid_argument, "session_id does not match the path", "session_id"));
  }
  const std::int64_t now = clock_.wall_ms();
  const std::string chain = journal::chain_id_for(device.device_id, session_id);
  std::vector<FlagRow> flags;  // written even if the batch is refused (invariant 1)
  std::uint64_t highest = 0;

  bool withdrawn_submission = false;  // audited after the refused transaction (finding 6)

  auto status = repo_.transaction([&]() -> Status {
    // A sitting's journal comes only from its own candidate's devices (issue 13, finding 1).
    // Session ids that are no sitting (demos, tests) carry no result and are accepted as before;
    // the scoring readers also take only the sitting's candidate's devices.
    VIGIL_ASSIGN(auto sitting, repo_.sitting(session_id));
    if (sitting && sitting->candidate_id != device.candidate_id) {
      flags.push_back({device.device_id, std::string(session_id), 0, "foreign_sitting",
                       "this device (candidate " + device.candidate_id + ") sent records for sitting " +
                           std::string(session_id) + ", which belongs to another candidate; nothing was stored"});
      return fail(Error(Errc::forbidden, "session " + std::string(session_id) +
                                             " is a sitting of another candidate: a device may send records only for "
                                             "its own candidate's sittings; nothing was stored",
                        "session"));
    }
    VIGIL_ASSIGN(auto row, repo_.session(device.device_id, session_id));
    SessionRow s = row ? std::move(*row) : SessionRow{device.device_id, std::string(session_id), device.candidate_id,
                                                     journal::Head::genesis(chain), std::nullopt, {}, {}};
    // Records the server already holds: a resend must be byte-for-byte the same (invariant 2).
    std::vector<journal::Entry> fresh;
    for (const auto& r : batch.records) {
      if (r.record.seq == 0) return fail(Error(Errc::invalid_argument, "record sequence numbers start at 1", "records"));
      if (r.record.seq <= s.head.seq) {
        VIGIL_ASSIGN(auto stored, repo_.record(device.device_id, session_id, r.record.seq));
        if (!stored || stored->record_hash != journal::record_hash(r.record) ||
            journal::payload_hash(r.payload) != r.record.payload_hash) {
          flags.push_back({device.device_id, std::string(session_id), r.record.seq, "conflict",
                           "record " + std::to_string(r.record.seq) + " was sent again with different content"});
          return fail(Errc::conflict, "record " + std::to_string(r.record.seq) +
                                          " was already received with different content; the server kept the first");
        }
        continue;
      }
      if (r.record.seq != s.head.seq + 1 + fresh.size()) break;  // beyond a gap: resend later
      fresh.push_back({r.record, r.payload});
    }
    highest = s.head.seq;
    // A checkpoint for a record the server already holds (a resent submission, say) is checked
    // against the stored record and kept: it may be what a receipt is waiting for.
    if (batch.checkpoint && batch.checkpoint->seq <= s.head.seq && batch.checkpoint->seq > 0) {
      const auto& c = *batch.checkpoint;
      VIGIL_ASSIGN(auto stored, repo_.record(device.device_id, session_id, c.seq));
      if (c.chain_id != chain || !stored || stored->record_hash != c.head_hash ||
          !journal::verify_checkpoint(c, device.signing_public_key)) {
        flags.push_back({device.device_id, std::string(session_id), c.seq, "bad_checkpoint",
                         "a checkpoint for record " + std::to_string(c.seq) +
                             " does not match the record the server holds or is not signed by this device"});
        return fail(Errc::integrity, "the checkpoint does not match the records the server holds");
      }
      VIGIL_TRY(repo_.insert_checkpoint(device.device_id, session_id, c));
      if (fresh.empty()) {
        VIGIL_TRY(maybe_issue_receipt(device, session_id));
        return {};
      }
    }
    if (fresh.empty()) return {};

    // Payloads are the device's bytes; the staff pages parse them. Nesting is bounded here, before
    // anything is stored (finding 4; server/core/json_limits.hpp).
    for (const auto& e : fresh) {
      if (json_shape(as_chars(*e.payload)) == JsonShape::too_deep) {
        flags.push_back({device.device_id, std::string(session_id), e.record.seq, "payload_too_deep",
                         "record " + std::to_string(e.record.seq) + " has a payload nested more than " +
                             std::to_string(k_max_payload_depth) + " levels deep; the batch was refused"});
        return fail(Error(Errc::integrity, "record " + std::to_string(e.record.seq) + " has a payload nested more than " +
                                               std::to_string(k_max_payload_depth) + " levels deep; nothing was stored",
                          "records"));
      }
      if (e.record.type == protocol::k_session_submitted_type) {
        VIGIL_ASSIGN(const bool withdrawn, repo_.candidate_withdrawn(device.candidate_id));
        if (withdrawn) {
          withdrawn_submission = true;
          return fail(Error(Errc::conflict, "this candidate has been withdrawn by their council: the submission was "
                                            "not accepted and nothing in this batch was stored",
                            "candidate"));
        }
      }
    }
    // Answers after the submission (this device's, or another device's once the sitting was
    // submitted) are stored, for the record and the proctor, but never scored (finding 2;
    // SqliteResultsRepository::answers): refusing them would block the rest of the journal.
    VIGIL_ASSIGN(bool submitted, repo_.submitted_by_candidate(session_id, device.candidate_id));
    for (const auto& e : fresh) {
      if (e.record.type == protocol::k_session_submitted_type) submitted = true;
      if (submitted && e.record.type == protocol::k_answer_saved_type) {
        flags.push_back({device.device_id, std::string(session_id), e.record.seq, "answer_after_submission",
                         "record " + std::to_string(e.record.seq) +
                             " saves an answer after the sitting was submitted; it is kept for review and never scored"});
        break;  // one flag per batch is enough to send a proctor to the timeline
      }
    }

    std::vector<journal::Checkpoint> cps;
    if (batch.checkpoint && batch.checkpoint->seq > s.head.seq && batch.checkpoint->seq <= fresh.back().record.seq) {
      cps.push_back(*batch.checkpoint);
    }
    const auto report = journal::verify({chain, s.head, fresh, cps, device.signing_public_key});
    bool refuse = false;
    for (const auto& f : report.findings) {
      flags.push_back({device.device_id, std::string(session_id), f.seq, std::string(journal::finding_name(f.kind)), f.detail});
      refuse = refuse || is_structural(f.kind);
    }
    if (refuse) {
      return fail(Errc::integrity, "these records do not continue the session's journal: " + report.findings.front().detail);
    }
    // The session row first (a new session has none yet), then its records.
    s.head = journal::Head::after(fresh.back().record);
    VIGIL_TRY(repo_.put_session_head(s, now));
    for (const auto& e : fresh) {
      VIGIL_TRY(repo_.insert_record(device.device_id, session_id, protocol::RecordDto{e.record, *e.payload}, now));
      if (e.record.type == protocol::k_session_submitted_type) {
        VIGIL_TRY(repo_.set_session_submitted(device.device_id, session_id, e.record.seq, as_chars(*e.payload)));
      }
      if (e.record.type == "package.unlocked") {
        VIGIL_ASSIGN(auto unlock_flag, check_unlock_time(device, session_id, e.record, now));
        if (unlock_flag) flags.push_back(std::move(*unlock_flag));
      }
    }
    for (const auto& c : cps) VIGIL_TRY(repo_.insert_checkpoint(device.device_id, session_id, c));
    highest = s.head.seq;
    // Clock findings were accepted with the records; they are flags for review.
    VIGIL_TRY(maybe_issue_receipt(device, session_id));
    for (const auto& f : flags) VIGIL_TRY(repo_.add_flag(f, now));
    flags.clear();
    return {};
  });
  if (!flags.empty() || withdrawn_submission) {
    (void)repo_.transaction([&]() -> Status {
      for (const auto& f : flags) VIGIL_TRY(repo_.add_flag(f, now));
      if (withdrawn_submission) {
        VIGIL_TRY(repo_.add_audit("device.refused", "device/" + device.device_id,
                                  "candidate " + device.candidate_id + " withdrawn: submission of " +
                                      std::string(session_id) + " refused",
                                  now));
      }
      return {};
    });
  }
  if (!status) return fail(status.error());
  return json_response(200, protocol::to_json(protocol::BatchAck{std::string(session_id), highest}));
}

Result<std::optional<FlagRow>> Api::check_unlock_time(const DeviceRow& device, std::string_view session_id,
                                                      const journal::Record& r, std::int64_t now) {
  // The session id is the sitting id (docs/PACKAGE-FORMAT.md). Sessions that are not sittings
  // (demos, tests) have nothing to check.
  VIGIL_ASSIGN(auto sitting, repo_.sitting(session_id));
  if (!sitting || sitting->candidate_id != device.candidate_id) return std::optional<FlagRow>{};
  const std::int64_t early = sitting->scheduled_start_ms - k_unlock_tolerance_ms;
  std::string detail;
  if (now < early) {
    // The server's own clock: the assessment was open on the device before it was due.
    detail = "the assessment was unlocked on the device and reached the server at " + format_iso8601(now) +
             ", before its start at " + format_iso8601(sitting->scheduled_start_ms);
  } else if (r.wall_ms < early || r.wall_ms >= sitting->window_end_ms) {
    // The device's clock: it claims a time outside the window (a wrong clock, or a code used early or late).
    detail = "the device recorded the unlock at " + format_iso8601(r.wall_ms) + ", outside the window " +
             format_iso8601(sitting->scheduled_start_ms) + " to " + format_iso8601(sitting->window_end_ms);
  } else {
    return std::optional<FlagRow>{};
  }
  return std::optional<FlagRow>{FlagRow{device.device_id, std::string(session_id), r.seq, "unlock_outside_window", detail}};
}

Status Api::maybe_issue_receipt(const DeviceRow& device, std::string_view session_id) {
  VIGIL_ASSIGN(auto s, repo_.session(device.device_id, session_id));
  if (!s || !s->submitted_seq || !s->receipt.empty() || s->head.seq < *s->submitted_seq) return {};
  auto manifest = protocol::parse_submission_manifest(s->manifest);
  if (!manifest) {
    // The device signed a malformed manifest into its own journal: flag it, receipt what we have.
    VIGIL_TRY(repo_.add_flag({device.device_id, std::string(session_id), *s->submitted_seq, "bad_manifest",
                              "the submission's list of evidence could not be read"}, clock_.wall_ms()));
    manifest = protocol::SubmissionManifest{};
  }
  for (const auto& b : manifest->blobs) {
    VIGIL_ASSIGN(auto blob, repo_.blob(device.device_id, b));
    if (!blob || !blob->complete) return {};  // not yet: the receipt comes with the last blob
  }
  // The device's own signature must cover the submission: a checkpoint at the submitted record
  // (the client signs one in the same transaction as the submission).
  VIGIL_ASSIGN(const bool signed_at_submission, repo_.has_checkpoint(device.device_id, session_id, *s->submitted_seq));
  if (!signed_at_submission) return {};
  VIGIL_ASSIGN(auto final_record, repo_.record(device.device_id, session_id, *s->submitted_seq));
  if (!final_record) return fail(Errc::internal, "the submitted record is missing");
  protocol::Receipt r;
  r.candidate_id = device.candidate_id;
  r.device_id = device.device_id;
  r.session_id = std::string(session_id);
  r.final_seq = *s->submitted_seq;
  r.head_hash = final_record->record_hash;
  r.blobs = manifest->blobs;
  r.received_wall_ms = clock_.wall_ms();
  VIGIL_TRY(protocol::sign_receipt(r, crypto::view(keys_.receipt_seed), keys_.receipt_public));
  return repo_.set_session_receipt(device.device_id, session_id, protocol::to_json(r).dump());
}

Result<HttpResponse> Api::get_session(const DeviceRow& device, std::string_view session_id) {
  VIGIL_TRY(repo_.transaction([&]() -> Status { return maybe_issue_receipt(device, session_id); }));
  VIGIL_ASSIGN(auto s, repo_.session(device.device_id, session_id));
  protocol::SessionState out;
  out.session_id = std::string(session_id);
  if (s) {
    out.highest_contiguous_seq = s->head.seq;
    out.submitted = s->submitted_seq.has_value();
    if (!s->receipt.empty()) {
      VIGIL_ASSIGN(out.receipt, protocol::parse_receipt(s->receipt));
      out.complete = true;
    }
  }
  return json_response(200, protocol::to_json(out));
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
  HttpResponse r;
  r.status = 200;
  r.headers["Content-Type"] = "application/octet-stream";
  r.body.assign(pkg->package.begin(), pkg->package.end());
  return r;
}

Result<HttpResponse> Api::post_grant(const DeviceRow& device, std::string_view sitting_id, const HttpRequest& req) {
  if (req.header("Content-Type").rfind("application/json", 0) != 0) {
    return fail(Error(Errc::invalid_argument, "Content-Type must be application/json", "Content-Type"));
  }
  VIGIL_ASSIGN(auto j, protocol::parse_json(req.body));
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
    return fail(Errc::forbidden, "not yet: the assessment opens at " + format_iso8601(sitting->scheduled_start_ms) +
                                     " (it is now " + format_iso8601(now) + ")");
  }
  if (now >= sitting->window_end_ms) {
    return fail(Errc::expired, "the window for this assessment closed at " + format_iso8601(sitting->window_end_ms) +
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

}  // namespace vigil::server::core
