#pragma once
// The client's sync engine: sends what the store's outbox holds to the server whenever a
// connection exists, without the candidate doing anything, and keeps the signed receipt.
//
// Invariants:
//  (1) A record leaves the outbox only when the server's answer says it holds it
//      (Store::acknowledge with the server's highest contiguous sequence).
//  (2) One session's records are sent in sequence order (the server accepts only a contiguous
//      extension of the chain it holds); urgency orders sessions and blobs: submission, answers,
//      events, evidence.
//  (3) If the server holds less than it once acknowledged (restored from a backup), the missing
//      records are queued again from the local journal, which keeps every record.
//  (4) A receipt is kept only if it verifies against the receipt key received at enrolment and
//      names this candidate, device and session, the seq and record hash of the local
//      session.submitted record, and the blobs that record lists. Anything else is an
//      Errc::integrity error: nothing is stored and the next pass asks again.
//  (5) A session whose records the server refuses (conflict, integrity) is not retried by this
//      engine: the server has flagged it for a human; other sessions go on.
//  (6) The exam never waits on sync: the engine runs on its own thread and takes the store's
//      lock only for short local reads and writes, never across network I/O.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <random>
#include <string>
#include <thread>

#include "client/store/store.hpp"
#include "client/sync/transport.hpp"
#include "shared/protocol/sync.hpp"

namespace vigil::client::sync {

struct SyncOptions {
  std::size_t batch_records = 500;
  std::size_t batch_bytes = 1536 * 1024;   // under the server's default 2 MiB body limit
  std::size_t chunk_bytes = 256 * 1024;
  std::chrono::milliseconds backoff_initial{1'000};
  std::chrono::milliseconds backoff_max{60'000};
  std::chrono::milliseconds idle_poll{30'000};   // look again even without local changes
};

enum class SyncState { idle, syncing, offline, refused };
std::string_view sync_state_name(SyncState s) noexcept;

struct SyncProgress {
  SyncState state = SyncState::idle;
  std::uint64_t records_pending = 0;
  std::uint64_t record_bytes_pending = 0;
  std::uint64_t blobs_pending = 0;
  std::uint64_t blob_bytes_pending = 0;
  std::uint64_t receipts_pending = 0;
  std::string last_error;                 // plain English, for the UI and `vigil-client status`
  std::int64_t last_success_wall_ms = 0;
  std::chrono::milliseconds retry_in{0};
};

class SyncEngine {
 public:
  SyncEngine(store::Store& store, Transport& transport, SyncOptions options = {});
  ~SyncEngine();
  SyncEngine(const SyncEngine&) = delete;
  SyncEngine& operator=(const SyncEngine&) = delete;

  // One pass over everything pending. true: nothing left to send and every submitted session
  // has its receipt. Errors: Errc::unavailable (no usable connection: retry later),
  // Errc::forbidden (device unknown or revoked), Errc::conflict or Errc::integrity (records
  // refused, or a receipt that does not match this device's journal: after the other sessions
  // were served), or what the store reports.
  Result<bool> run_once();

  // Background operation: a thread that calls run_once, backs off exponentially with jitter
  // while the server cannot be reached, and wakes early on notify().
  void start();
  void stop();
  void notify();  // something new is in the outbox

  SyncProgress progress() const;

 private:
  Result<bool> push_records(const std::string& session_id);
  Status push_blob(const store::PendingBlob& blob);
  Result<bool> fetch_receipt(const std::string& session_id);
  Status check_receipt(const protocol::Receipt& r, const std::string& session_id);
  Status resend_submission(const std::string& session_id);
  Result<protocol::HttpResponse> call(protocol::HttpRequest request);
  void refresh_counts();
  void loop();

  store::Store& store_;
  Transport& transport_;
  SyncOptions options_;
  Bytes receipt_key_;
  std::string candidate_id_;

  mutable std::mutex mu_;
  // The last Retry-After (ms) of a 429 or 5xx answer, taken by loop() as its least wait; 0: none.
  std::atomic<std::int64_t> retry_after_ms_{0};
  std::condition_variable wake_;
  bool stopping_ = false;
  bool notified_ = false;
  SyncProgress progress_;
  std::thread thread_;
  std::set<std::string> refused_;      // sessions whose records the server refused (409/422)
  std::set<std::string> resubmitted_;  // sessions whose signed submission was sent once more
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace vigil::client::sync
