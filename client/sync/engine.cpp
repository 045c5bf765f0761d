#include "client/sync/engine.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "client/sync/appeals.hpp"
#include "client/sync/equalities.hpp"
#include "shared/http/status.hpp"
#include "shared/protocol/messages.hpp"
#include "shared/protocol/sync.hpp"

namespace vigil::client::sync {

namespace {

using protocol::HttpRequest;
using protocol::HttpResponse;

// The server's error answer (shared/http/status.hpp: 429 and 5xx are "try again later").
Error server_error(const HttpResponse& r) { return http::decode_error(r).retry_later(); }

}  // namespace

std::string_view sync_state_name(SyncState s) noexcept {
  switch (s) {
    case SyncState::idle: return "up to date";
    case SyncState::syncing: return "sending";
    case SyncState::offline: return "waiting for a connection";
    case SyncState::refused: return "refused by the server";
  }
  return "unknown";
}

SyncEngine::SyncEngine(store::Store& store, Transport& transport, SyncOptions options)
    : store_(store), transport_(transport), options_(options) {
  if (auto e = store_.enrolment(); e && *e) {
    receipt_key_ = (*e)->receipt_public_key;
    candidate_id_ = (*e)->candidate_id;
  }
  refresh_counts();
}

SyncEngine::~SyncEngine() { stop(); }

Result<HttpResponse> SyncEngine::call(HttpRequest request) {
  auto r = transport_.roundtrip(request);
  // A server that says when to come back is believed (loop() waits at least that long).
  if (r && http::transient(r->status)) {
    if (const auto after = http::retry_after(*r)) {
      retry_after_ms_.store(std::chrono::duration_cast<std::chrono::milliseconds>(*after).count());
    }
  }
  return r;
}

Result<bool> SyncEngine::push_records(const std::string& session_id) {
  for (int round = 0; round < 100'000; ++round) {
    VIGIL_ASSIGN(auto entries, store_.pending_records(session_id, options_.batch_records));
    if (entries.empty()) return true;
    protocol::RecordBatch batch;
    batch.session_id = session_id;
    // Bounded by bytes as well as count, under the server's body limit: payloads travel as base64
    // (4/3) plus ~400 bytes of JSON per record. A single record always goes, alone if need be.
    std::size_t bytes = 0;
    for (auto& e : entries) {
      const std::size_t cost = (e.payload ? e.payload->size() : 0) * 4 / 3 + 400;
      if (!batch.records.empty() && bytes + cost > options_.batch_bytes) break;
      bytes += cost;
      const bool submission = e.record.type == protocol::k_session_submitted_type;
      batch.records.push_back({e.record, e.payload ? std::move(*e.payload) : Bytes{}});
      // A batch ends at the submission, so the checkpoint sent with it is the one signed there
      // (the server's receipt needs it).
      if (submission) break;
    }
    // The newest checkpoint the batch covers lets the server check the device's signature.
    VIGIL_ASSIGN(auto cps, store_.checkpoints(session_id));
    for (auto it = cps.rbegin(); it != cps.rend(); ++it) {
      if (it->seq >= batch.records.front().record.seq && it->seq <= batch.records.back().record.seq) {
        batch.checkpoint = *it;
        break;
      }
    }
    HttpRequest req{"POST", "/v1/sessions/" + session_id + "/records", {{"Content-Type", "application/json"}},
                    protocol::to_json(batch).dump()};
    VIGIL_ASSIGN(auto resp, call(std::move(req)));
    if (resp.status != 200) return fail(server_error(resp));
    VIGIL_ASSIGN(auto ack, protocol::parse_batch_ack(resp.body));
    const std::uint64_t first = batch.records.front().record.seq;
    if (ack.highest_contiguous_seq + 1 < first) {
      // (3) The server is behind what it acknowledged before: queue the missing records again.
      VIGIL_TRY(store_.requeue(session_id, ack.highest_contiguous_seq + 1));
      continue;
    }
    // Only this batch's rows leave the outbox: an acknowledgement past its last record (a buggy or
    // hostile server) must not drop records appended meanwhile, which were never sent.
    VIGIL_TRY(store_.acknowledge(session_id, {first, batch.records.back().record.seq}, ack.highest_contiguous_seq));
    if (ack.highest_contiguous_seq < batch.records.back().record.seq) {
      return false;  // the server stopped short (a gap it wants filled first): next pass
    }
    std::lock_guard lock(mu_);
    progress_.last_success_wall_ms = time::system_clock().wall_ms();
  }
  return false;
}

Status SyncEngine::push_blob(const store::PendingBlob& blob) {
  const std::string path = "/v1/blobs/" + to_hex(ByteView(blob.sha256));
  for (int attempt = 0; attempt < 8; ++attempt) {
    VIGIL_ASSIGN(auto status_resp, call(HttpRequest{"GET", path, {}, {}}));
    if (status_resp.status != 200) return fail(server_error(status_resp));
    VIGIL_ASSIGN(auto status, protocol::parse_blob_status(status_resp.body));
    std::uint64_t offset = status.offset;
    bool restart = false;
    while (!status.complete && offset < blob.size) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(options_.chunk_bytes, blob.size - offset));
      VIGIL_ASSIGN(auto chunk, store_.blob_chunk(blob.sha256, offset, n));
      HttpRequest put{"PUT", path,
                      {{"Content-Type", "application/octet-stream"},
                       {"Upload-Offset", std::to_string(offset)},
                       {"Upload-Length", std::to_string(blob.size)},
                       {"Chunk-SHA256", to_hex(ByteView(crypto::sha256(chunk)))}},
                      std::string(as_chars(chunk))};
      VIGIL_ASSIGN(auto resp, call(std::move(put)));
      if (resp.status == 409 || resp.status == 422) {
        restart = true;  // offset moved on (a lost response) or damage in transit: ask again
        break;
      }
      if (resp.status != 200) return fail(server_error(resp));
      VIGIL_ASSIGN(status, protocol::parse_blob_status(resp.body));
      offset = status.offset;
    }
    if (restart) continue;
    if (status.complete) return store_.mark_blob_uploaded(blob.sha256);
  }
  return fail(Errc::unavailable, "an upload kept failing its checks; it will be tried again later");
}

Result<bool> SyncEngine::fetch_receipt(const std::string& session_id) {
  VIGIL_ASSIGN(auto resp, call(HttpRequest{"GET", "/v1/sessions/" + session_id, {}, {}}));
  if (resp.status != 200) return fail(server_error(resp));
  VIGIL_ASSIGN(auto state, protocol::parse_session_state(resp.body));
  if (!state.receipt) {
    // Everything is there but no receipt: the signed checkpoint at the submission may not have
    // reached the server (records it already holds are not resent). Send the submitted record
    // again with it, once per engine: the server checks it against what it holds.
    bool resent = false;
    {
      std::lock_guard lock(mu_);
      resent = !resubmitted_.insert(session_id).second;
    }
    if (!resent && state.submitted) VIGIL_TRY(resend_submission(session_id));
    return false;
  }
  VIGIL_TRY(check_receipt(*state.receipt, session_id));
  VIGIL_TRY(store_.save_receipt(session_id, protocol::to_json(*state.receipt).dump()));
  return true;
}

Status SyncEngine::check_receipt(const protocol::Receipt& r, const std::string& session_id) {
  // (4) Only a receipt that verifies is kept...
  if (auto v = protocol::verify_receipt(r, receipt_key_); !v) {
    return fail(Errc::integrity, "the server's receipt for session " + session_id + " does not verify: " + v.error().message);
  }
  // ... and only if it names this candidate, this device, this session and exactly the journal
  // this device submitted: a validly signed receipt for another session or for a shorter chain
  // would otherwise tell the candidate that answers arrived which the server never acknowledged.
  const std::string prefix = "the server's receipt for session " + session_id + " ";
  const auto mismatch = [&](const std::string& what) {
    return fail(Errc::integrity, prefix + what + "; it was not kept, and sync will ask for it again");
  };
  if (r.session_id != session_id) return mismatch("names another session");
  if (r.device_id != store_.device_id()) return mismatch("names another device");
  if (r.candidate_id != candidate_id_) return mismatch("names another candidate");
  VIGIL_ASSIGN(auto entries, store_.journal_entries(session_id));
  const auto submitted = std::find_if(entries.rbegin(), entries.rend(), [](const journal::Entry& e) {
    return e.record.type == protocol::k_session_submitted_type;
  });
  if (submitted == entries.rend()) return mismatch("arrived, but this device has not submitted that session");
  if (r.final_seq != submitted->record.seq) {
    return mismatch("ends at record " + std::to_string(r.final_seq) + ", but the submission is record " +
                    std::to_string(submitted->record.seq));
  }
  if (r.head_hash != journal::record_hash(submitted->record)) return mismatch("names a different final record");
  VIGIL_ASSIGN(auto manifest, protocol::parse_submission_manifest(
                                  submitted->payload ? std::string_view(as_chars(*submitted->payload)) : std::string_view{}));
  if (r.blobs != manifest.blobs) return mismatch("lists different evidence from the submission");
  return {};
}

Status SyncEngine::resend_submission(const std::string& session_id) {
  VIGIL_ASSIGN(auto entries, store_.journal_entries(session_id));
  VIGIL_ASSIGN(auto cps, store_.checkpoints(session_id));
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (it->record.type != protocol::k_session_submitted_type) continue;
    const auto cp = std::find_if(cps.begin(), cps.end(), [&](const journal::Checkpoint& c) { return c.seq == it->record.seq; });
    if (cp == cps.end()) return {};
    protocol::RecordBatch batch{session_id, {{it->record, it->payload ? *it->payload : Bytes{}}}, *cp};
    VIGIL_ASSIGN(auto resp, call(HttpRequest{"POST", "/v1/sessions/" + session_id + "/records",
                                             {{"Content-Type", "application/json"}}, protocol::to_json(batch).dump()}));
    if (resp.status != 200) return fail(server_error(resp));
    return {};
  }
  return {};
}

Result<bool> SyncEngine::run_once() {
  {
    std::lock_guard lock(mu_);
    progress_.state = SyncState::syncing;
  }
  bool done = true;
  VIGIL_ASSIGN(auto sessions, store_.sessions_with_pending_records());
  std::optional<Error> refusal;
  for (const auto& s : sessions) {
    {
      std::lock_guard lock(mu_);
      if (refused_.count(s) != 0) {
        done = false;
        continue;
      }
    }
    auto finished = push_records(s);
    if (!finished) {
      const Errc c = finished.error().code;
      if (c != Errc::conflict && c != Errc::integrity) return fail(finished.error());
      // The server refused this session's records (and flagged them for a human): retrying
      // cannot change that, so the session waits while the others go on. Kept for review.
      std::lock_guard lock(mu_);
      refused_.insert(s);
      refusal = finished.error();
      done = false;
      continue;
    }
    done = done && *finished;
  }
  VIGIL_ASSIGN(auto blobs, store_.pending_blobs());
  for (const auto& b : blobs) VIGIL_TRY(push_blob(b));
  VIGIL_ASSIGN(auto waiting, store_.sessions_awaiting_receipt());
  std::optional<Error> receipt_problem;
  for (const auto& s : waiting) {
    auto got = fetch_receipt(s);
    if (!got && got.error().code != Errc::integrity) return fail(got.error());
    if (!got) {
      // A receipt that does not match this device's journal is not kept; the other sessions go
      // on, and the next pass asks again (a server bug may be fixed meanwhile).
      receipt_problem = got.error();
      done = false;
      continue;
    }
    done = done && *got;
  }
  // The optional equalities declaration: apart from the journal, last (it never delays the
  // assessment's records), retried with the same back-off (docs/EQUALITIES.md).
  VIGIL_TRY(push_equalities(store_, transport_));
  // The candidate's appeals (docs/RESULTS.md "Appeals"): kept until the server has them.
  VIGIL_ASSIGN(const bool appeals_sent, push_appeals(store_, transport_));
  done = done && appeals_sent;
  refresh_counts();
  if (refusal) return fail(*refusal);
  if (receipt_problem) return fail(*receipt_problem);
  std::lock_guard lock(mu_);
  progress_.last_error.clear();
  progress_.last_success_wall_ms = time::system_clock().wall_ms();
  progress_.state = done ? SyncState::idle : SyncState::syncing;
  return done;
}

void SyncEngine::refresh_counts() {
  auto counts = store_.outbox_counts();
  auto waiting = store_.sessions_awaiting_receipt();
  std::lock_guard lock(mu_);
  if (counts) {
    progress_.records_pending = counts->records;
    progress_.record_bytes_pending = counts->payload_bytes;
    progress_.blobs_pending = counts->blobs;
    progress_.blob_bytes_pending = counts->blob_bytes;
  }
  if (waiting) progress_.receipts_pending = waiting->size();
}

void SyncEngine::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void SyncEngine::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SyncEngine::notify() {
  {
    std::lock_guard lock(mu_);
    notified_ = true;
  }
  wake_.notify_all();
}

SyncProgress SyncEngine::progress() const {
  std::lock_guard lock(mu_);
  return progress_;
}

void SyncEngine::loop() {
  auto backoff = options_.backoff_initial;
  for (;;) {
    auto result = run_once();
    std::chrono::milliseconds wait = options_.idle_poll;
    {
      std::unique_lock lock(mu_);
      if (!result) {
        progress_.last_error = result.error().message;
        const Errc c = result.error().code;
        progress_.state = (c == Errc::forbidden || c == Errc::conflict || c == Errc::integrity) ? SyncState::refused
                                                                                                   : SyncState::offline;
        // Randomised exponential backoff: many devices coming back at once do not arrive together.
        std::uniform_real_distribution<double> jitter(0.5, 1.5);
        wait = std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(backoff.count()) * jitter(rng_)));
        backoff = std::min(options_.backoff_max, backoff * 2);
        // The server's Retry-After, when it sent one, is the least wait (bounded: an hour).
        if (const auto after = retry_after_ms_.exchange(0); after > 0) {
          wait = std::max(wait, std::chrono::milliseconds(std::min<std::int64_t>(after, 3'600'000)));
        }
      } else {
        backoff = options_.backoff_initial;
        if (!*result) wait = std::chrono::milliseconds(0);  // more to do: go on at once
      }
      progress_.retry_in = wait;
      wake_.wait_for(lock, wait, [this] { return stopping_ || notified_; });
      notified_ = false;
      if (stopping_) return;
    }
  }
}

}  // namespace vigil::client::sync
