#pragma once
// The candidate's local store: one SQLCipher database per device that holds every session's
// answers, journal and outbox, encrypted at rest, and survives a crash or power cut at any
// instant without losing anything it acknowledged.
//
// Invariants:
//  (1) A save returns success only after its transaction is durable: the store runs in WAL mode
//      with synchronous=FULL, so COMMIT returns after the WAL is fsynced.
//  (2) Every change writes its journal record and its outbox row in the same transaction as the
//      change itself; there is no state in which an answer exists without its record, or a
//      record without its outbox row (until the server acknowledges it).
//  (3) A row leaves the outbox only when the server has acknowledged its (session, seq).
//  (4) The store file exists under its final name only once it is complete: creation happens
//      under a temporary name and is renamed into place. A missing file is created; an empty,
//      foreign or undecryptable file is an error, never silently replaced by a new store.
//  (5) One process at a time: an exclusive lock on <dir>/store.lock, released by the kernel if
//      the process dies.
//  (6) The journal of each session verifies (shared/journal/verifier.hpp) after any crash.
//
// Thread safety: every public method may be called from any thread (one internal mutex); the
// sync engine's thread and the UI share one Store. Network I/O never happens under that mutex.
// The mutex is not recursive: a public method takes it once and never calls another public
// method; what they share are private helpers marked "REQUIRES: mu_ held", which assert it.
//
// The parts: store_file.cpp (create, key, open, migrate, maintenance), store_journal.cpp
// (sessions, journal, checkpoints, submission), store_answers.cpp, store_outbox.cpp (outbox and
// blobs), store_state.cpp (enrolment, receipts, named state, device secrets); store_detail.hpp
// holds what they share.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "client/platform/platform.hpp"
#include "client/store/key_store.hpp"
#include "shared/sqlite/sqlite.hpp"
#include "shared/core/result.hpp"
#include "shared/journal/journal.hpp"
#include "shared/journal/verifier.hpp"
#include "shared/time/clock.hpp"

namespace vigil::client::store {

using sqlite::Db;
using sqlite::Statement;
using sqlite::Transaction;

inline constexpr int k_schema_version = 3;
inline constexpr std::string_view k_store_format = "vigil-client-store";

struct StoreOptions {
  std::filesystem::path dir;                 // created (0700) if missing
  KeyStorePreference key_storage = KeyStorePreference::automatic;
  std::unique_ptr<KeyStore> key_store;       // overrides key_storage when set (tests)
  const time::Clock* clock = nullptr;        // defaults to the system clock
  std::uint32_t checkpoint_every = 32;       // sign a journal checkpoint every N records
  const char* sqlite_vfs = nullptr;          // fault-injection seam for tests; nullptr = default
};

enum class OutboxPriority : int { submission = 0, answers = 1, events = 2, evidence = 3 };

struct SaveReceipt {
  std::uint64_t revision = 0;   // of this item, from 1
  std::uint64_t seq = 0;        // journal sequence of the save
};

struct Answer {
  std::string item_id;
  std::uint64_t revision = 0;
  std::string value;
  std::int64_t saved_wall_ms = 0;
  std::uint64_t seq = 0;
};

struct OutboxItem {
  std::string session_id;
  std::uint64_t seq = 0;
  OutboxPriority priority = OutboxPriority::events;
};

struct OutboxCounts {
  std::uint64_t records = 0;
  std::uint64_t payload_bytes = 0;
  std::uint64_t blobs = 0;
  std::uint64_t blob_bytes = 0;
};

// What enrolment gave this device (client/sync/enrol.hpp).
struct Enrolment {
  std::string candidate_id;
  std::string server_trust_json;     // protocol::ClientTrust
  std::string device_cert_pem;
  std::string ca_chain_pem;
  crypto::SecretBytes device_key_pem;
  Bytes receipt_public_key;
  Bytes evidence_public_key;
};

struct PendingBlob {
  journal::Hash sha256{};
  std::string session_id;
  OutboxPriority priority = OutboxPriority::evidence;
  std::uint64_t size = 0;
};

class Store {
 public:
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Opens the store in options.dir, creating it (and its key) only if no store file exists.
  static Result<std::unique_ptr<Store>> open(StoreOptions options);

  const std::string& device_id() const noexcept { return device_id_; }
  const Bytes& device_public_key() const noexcept { return device_public_; }
  std::string key_storage_description() const { return key_store_->description(); }
  std::string key_storage_kind() const { return key_store_->kind(); }
  const std::filesystem::path& path() const noexcept { return path_; }

  // Sessions. begin_session is idempotent for the same (session, assessment).
  Status begin_session(std::string_view session_id, std::string_view assessment_id);
  Result<std::vector<std::string>> session_ids();

  // Saves an answer; durable when this returns (invariant 1). Journal type "answer.saved".
  Result<SaveReceipt> save_answer(std::string_view session_id, std::string_view item_id, std::string_view value);
  // Appends any other event to the session journal (payload: compact JSON). Durable on return.
  Result<std::uint64_t> record_event(std::string_view session_id, std::string_view type, std::string_view payload,
                                     OutboxPriority priority = OutboxPriority::events);
  // Signs a checkpoint of the session's current head and stores it.
  Result<journal::Checkpoint> checkpoint(std::string_view session_id);

  Result<std::optional<Answer>> answer(std::string_view session_id, std::string_view item_id);
  Result<std::vector<Answer>> answers(std::string_view session_id);
  Result<std::vector<Answer>> answer_history(std::string_view session_id, std::string_view item_id);

  Result<std::vector<journal::Entry>> journal_entries(std::string_view session_id);
  Result<std::vector<journal::Checkpoint>> checkpoints(std::string_view session_id);
  Result<journal::Report> verify_journal(std::string_view session_id);

  // Outbox, lowest priority value first, then by session and sequence (never by wall time,
  // which the candidate can change).
  Result<std::vector<OutboxItem>> outbox_pending(std::size_t limit);
  Result<OutboxCounts> outbox_counts();
  // The server answered the batch of this session's records with seq in [sent.first, sent.last]
  // that it holds every record up to and including acked_up_to (invariant 3). Only rows of that
  // batch at or below acked_up_to leave the outbox: rows appended while the batch was in flight,
  // or never sent, stay whatever the server claims. Refused (invalid_argument, nothing deleted)
  // when acked_up_to is beyond what this store has written, or the range is empty.
  struct SentBatch {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
  };
  Status acknowledge(std::string_view session_id, SentBatch sent, std::uint64_t acked_up_to);

  // ---- sync support (client/sync) ----
  Status save_enrolment(const Enrolment& e);
  Result<std::optional<Enrolment>> enrolment();
  // Sessions with records still to send, the most urgent first (lowest outbox priority).
  Result<std::vector<std::string>> sessions_with_pending_records();
  // Queues every record of the session from from_seq on again (the server lost what it had
  // acknowledged, e.g. it was restored from a backup). The journal keeps every record.
  Status requeue(std::string_view session_id, std::uint64_t from_seq);
  // Up to `limit` unacknowledged records of a session, in sequence order, with payloads.
  Result<std::vector<journal::Entry>> pending_records(std::string_view session_id, std::size_t limit);
  // Ends the session: a "session.submitted" record whose payload lists the session's blobs.
  // Durable on return; idempotent.
  Result<std::uint64_t> submit_session(std::string_view session_id);
  Result<bool> is_submitted(std::string_view session_id);
  // Stores a blob for upload and its journal record ("blob.added", payload = its hash and size)
  // in one transaction. Returns the blob's SHA-256.
  Result<journal::Hash> add_blob(std::string_view session_id, ByteView data, OutboxPriority priority);
  Result<std::vector<PendingBlob>> pending_blobs();
  Result<Bytes> blob_chunk(const journal::Hash& sha256, std::uint64_t offset, std::size_t length);
  Status mark_blob_uploaded(const journal::Hash& sha256);
  Status save_receipt(std::string_view session_id, std::string_view receipt_json);
  Result<std::optional<std::string>> receipt(std::string_view session_id);
  // Submitted sessions whose receipt has not arrived yet.
  Result<std::vector<std::string>> sessions_awaiting_receipt();

  // ---- named state (runner position and timer, unlocked content keys) ----
  // Durable on return. Values are private to this device and never synced.
  Status put_state(std::string_view name, ByteView value);
  Result<std::optional<Bytes>> get_state(std::string_view name);
  Status erase_state(std::string_view name);

  // A key derived from the device's identity seed for one purpose (HKDF-SHA256, info
  // "vigil.device.<purpose>.v1"): e.g. the X25519 key-agreement key packages are wrapped to.
  // Deterministic for a device; different purposes never share a key.
  Result<crypto::SecretBytes> derive_device_secret(std::string_view purpose, std::size_t length = 32);

  // Copies the write-ahead log into the database file and truncates it. Call when the candidate
  // is idle (not typing): it costs several fsyncs that should not land on a save.
  Status checkpoint_wal();

  // PRAGMA integrity_check: "ok" or SQLite's list of problems.
  Result<std::string> integrity_check();

 private:
  class Lock;  // takes mu_ and records its holder (store_detail.hpp)

  Store() = default;
  // Whether the calling thread holds mu_ (through a Lock); for asserts.
  bool mu_held() const noexcept { return mu_owner_.load(std::memory_order_relaxed) == std::this_thread::get_id(); }

  // Called only by open(), before the Store is shared.
  Status load_identity();

  // REQUIRES: mu_ held. The session's appender, its head loaded from the journal on first use.
  Result<journal::Appender*> appender(std::string_view session_id);
  // REQUIRES: mu_ held, no transaction open. Runs body in one transaction with the session's
  // appender and commits; advances the appender only if COMMIT succeeded (invariant 2: body
  // writes the change, its record and its outbox row).
  Result<journal::Record> change(std::string_view session_id,
                                 const std::function<Result<journal::Record>(journal::Appender&)>& body);
  // REQUIRES: mu_ held, inside the caller's open transaction. Appends a record and its outbox
  // row; returns the record.
  Result<journal::Record> append_in_tx(journal::Appender& app, std::string_view type, ByteView payload,
                                       OutboxPriority priority);
  // REQUIRES: mu_ held, inside the caller's open transaction. Signs a checkpoint of `head` and
  // stores it.
  Status insert_checkpoint_in_tx(std::string_view chain_id, std::string_view session_id, const journal::Head& head);
  // REQUIRES: mu_ held. The bodies of the public methods of the same names, for the public
  // methods that need them too (verify_journal, submit_session).
  Result<std::vector<journal::Entry>> journal_entries_locked(std::string_view session_id);
  Result<std::vector<journal::Checkpoint>> checkpoints_locked(std::string_view session_id);
  Result<bool> is_submitted_locked(std::string_view session_id);

  std::filesystem::path dir_;
  std::filesystem::path path_;
  platform::InstanceLock lock_;  // held while the store is open (invariant 5)
  std::unique_ptr<KeyStore> key_store_;
  const time::Clock* clock_ = nullptr;
  std::uint32_t checkpoint_every_ = 32;
  Db db_;
  std::string device_id_;
  crypto::SecretBytes device_seed_;
  Bytes device_public_;
  // Each session's chain head, loaded on first use. std::map: pointers stay valid as sessions are
  // added.
  std::map<std::string, journal::Appender, std::less<>> appenders_;
  // Serialises the public methods: the sync engine's thread and the UI share one Store. Taken
  // only through Lock, which keeps mu_owner_ (the holder's id, or none) for mu_held().
  mutable std::mutex mu_;
  mutable std::atomic<std::thread::id> mu_owner_{};
};

}  // namespace vigil::client::store
