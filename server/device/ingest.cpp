// The device API's ingest half (api.hpp invariants 1-3): a batch of journal records accepted only
// as a verified extension of the stored head, the unlock-time check, the receipt, and what the
// server holds of a session. Routing, enrolment, blobs and packages are in api.cpp.
#include "server/device/api.hpp"
#include "server/device/api_detail.hpp"

#include <algorithm>
#include <vector>
#include <nlohmann/json.hpp>
#include "server/results/equalities.hpp"
#include "shared/protocol/json_limits.hpp"
#include "server/packages/packages.hpp"
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
#include "shared/time/format.hpp"

namespace vigil::server {

using json = nlohmann::json;
using protocol::HttpRequest;
using protocol::HttpResponse;
using namespace device_detail;

Result<HttpResponse> Api::post_records(const DeviceRow& device, std::string_view session_id, const HttpRequest& req) {
  VIGIL_TRY(http::require_json(req));
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
    // anything is stored (finding 4; shared/protocol/json_limits.hpp).
    for (const auto& e : fresh) {
      if (protocol::json_shape(as_chars(*e.payload)) == protocol::JsonShape::too_deep) {
        flags.push_back({device.device_id, std::string(session_id), e.record.seq, "payload_too_deep",
                         "record " + std::to_string(e.record.seq) + " has a payload nested more than " +
                             std::to_string(protocol::k_max_payload_depth) + " levels deep; the batch was refused"});
        return fail(Error(Errc::integrity, "record " + std::to_string(e.record.seq) + " has a payload nested more than " +
                                               std::to_string(protocol::k_max_payload_depth) + " levels deep; nothing was stored",
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
  return http::json_response(200, protocol::to_json(protocol::BatchAck{std::string(session_id), highest}));
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
    detail = "the assessment was unlocked on the device and reached the server at " + time::utc_iso8601(now) +
             ", before its start at " + time::utc_iso8601(sitting->scheduled_start_ms);
  } else if (r.wall_ms < early || r.wall_ms >= sitting->window_end_ms) {
    // The device's clock: it claims a time outside the window (a wrong clock, or a code used early or late).
    detail = "the device recorded the unlock at " + time::utc_iso8601(r.wall_ms) + ", outside the window " +
             time::utc_iso8601(sitting->scheduled_start_ms) + " to " + time::utc_iso8601(sitting->window_end_ms);
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
  return http::json_response(200, protocol::to_json(out));
}

}  // namespace vigil::server
