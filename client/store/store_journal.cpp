// Store: sessions and their journals (appending, checkpoints, verification) and submission.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "client/store/store_detail.hpp"
#include "shared/protocol/sync.hpp"

namespace vigil::client::store {

namespace {

// Stores a signed checkpoint; one already stored at the same seq is kept.
Status insert_checkpoint(Db& db, std::string_view session_id, const journal::Checkpoint& cp) {
  auto ci = db.cached("INSERT INTO checkpoints(session_id, seq, head_hash, wall_ms, signature) VALUES (?, ?, ?, ?, ?) "
                      "ON CONFLICT(session_id, seq) DO NOTHING");
  if (!ci) return fail(ci.error());
  ci->bind(1, session_id).bind(2, static_cast<std::int64_t>(cp.seq)).bind(3, ByteView(cp.head_hash)).bind(4, cp.wall_ms)
      .bind(5, ByteView(cp.signature));
  return ci->run();
}

}  // namespace

Status Store::begin_session(std::string_view session_id, std::string_view assessment_id) {
  Lock lock(*this);
  VIGIL_TRY(validate_id("session id", session_id));
  VIGIL_TRY(validate_id("assessment id", assessment_id));
  {
    auto st = db_.cached("SELECT assessment_id FROM sessions WHERE session_id = ?");
    if (!st) return fail(st.error());
    st->bind(1, session_id);
    VIGIL_ASSIGN(const auto existing, sqlite::one<std::string>(*st, [](const Statement& row) { return row.column_text(0); }));
    if (existing) {
      if (*existing == assessment_id) return {};
      return fail(Errc::conflict, "session " + std::string(session_id) + " belongs to another assessment");
    }
  }
  auto tx = Transaction::begin(db_);
  if (!tx) return fail(storage_error(tx.error(), dir_));
  auto ins = db_.cached("INSERT INTO sessions(session_id, assessment_id, created_wall_ms) VALUES (?, ?, ?)");
  if (!ins) return fail(ins.error());
  ins->bind(1, session_id).bind(2, assessment_id).bind(3, clock_->wall_ms());
  if (auto r = ins->run(); !r) return fail(storage_error(r.error(), dir_));

  journal::Appender app(journal::chain_id_for(device_id_, session_id), journal::Head::genesis(journal::chain_id_for(device_id_, session_id)));
  const std::string payload = nlohmann::json{{"v", 1}, {"assessment_id", assessment_id}}.dump();
  auto rec = append_in_tx(app, "session.started", as_bytes(payload), OutboxPriority::submission);
  if (!rec) return fail(storage_error(rec.error(), dir_));
  if (auto c = tx->commit(); !c) return fail(storage_error(c.error(), dir_));
  app.commit(*rec);
  appenders_.insert_or_assign(std::string(session_id), std::move(app));
  return {};
}

Result<std::vector<std::string>> Store::session_ids() {
  Lock lock(*this);
  return first_column_texts(db_.statement("SELECT session_id FROM sessions ORDER BY created_wall_ms, session_id"));
}

Result<journal::Appender*> Store::appender(std::string_view session_id) {
  assert(mu_held());
  if (auto it = appenders_.find(session_id); it != appenders_.end()) return &it->second;
  auto exists = db_.cached("SELECT 1 FROM sessions WHERE session_id = ?");
  if (!exists) return fail(exists.error());
  exists->bind(1, session_id);
  VIGIL_ASSIGN(const auto found, sqlite::one<bool>(*exists, [](const Statement&) { return true; }));
  if (!found) return fail(Errc::not_found, "there is no session " + std::string(session_id) + " on this device");

  const std::string chain = journal::chain_id_for(device_id_, session_id);
  journal::Head head = journal::Head::genesis(chain);
  auto st = db_.cached(
                               "SELECT seq, prev_hash, boot_id, mono_ns, wall_ms, type, payload_hash FROM journal "
                               "WHERE session_id = ? ORDER BY seq DESC LIMIT 1");
  if (!st) return fail(st.error());
  st->bind(1, session_id);
  VIGIL_ASSIGN(const auto last, sqlite::one<std::optional<journal::Record>>(*st, [](const Statement& row) {
    journal::Record r;
    return read_record(row, r) ? std::optional(std::move(r)) : std::nullopt;
  }));
  if (last) {
    if (!*last) return fail(Errc::integrity, "the journal of session " + std::string(session_id) + " is damaged");
    head = journal::Head::after(**last);
  }
  return &appenders_.insert_or_assign(std::string(session_id), journal::Appender(chain, head)).first->second;
}

Result<journal::Record> Store::append_in_tx(journal::Appender& app, std::string_view type, ByteView payload,
                                            OutboxPriority priority) {
  assert(mu_held() && db_.in_transaction());
  // The chain id is <device_id>/<session_id> (journal invariant 2).
  assert(app.chain_id().size() > device_id_.size() && app.chain_id().starts_with(device_id_) &&
         app.chain_id()[device_id_.size()] == '/');
  journal::Record r = app.next(type, payload, *clock_);
  const std::string session_id = app.chain_id().substr(device_id_.size() + 1);
  auto ins = db_.cached(
                                "INSERT INTO journal(session_id, seq, prev_hash, boot_id, mono_ns, wall_ms, type, "
                                "payload_hash, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!ins) return fail(ins.error());
  ins->bind(1, session_id)
      .bind(2, static_cast<std::int64_t>(r.seq))
      .bind(3, ByteView(r.prev_hash))
      .bind(4, r.boot_id)
      .bind(5, static_cast<std::int64_t>(r.monotonic_ns))
      .bind(6, r.wall_ms)
      .bind(7, r.type)
      .bind(8, ByteView(r.payload_hash))
      .bind(9, payload);
  VIGIL_TRY(ins->run());

  auto out = db_.cached("INSERT INTO outbox(session_id, seq, priority, created_wall_ms) VALUES (?, ?, ?, ?)");
  if (!out) return fail(out.error());
  out->bind(1, session_id).bind(2, static_cast<std::int64_t>(r.seq)).bind(3, static_cast<std::int64_t>(priority)).bind(4, r.wall_ms);
  VIGIL_TRY(out->run());

  if (r.seq % checkpoint_every_ == 0) VIGIL_TRY(insert_checkpoint_in_tx(app.chain_id(), session_id, journal::Head::after(r)));
  return r;
}

Status Store::insert_checkpoint_in_tx(std::string_view chain_id, std::string_view session_id, const journal::Head& head) {
  assert(mu_held() && db_.in_transaction());
  VIGIL_ASSIGN(const auto cp, journal::make_checkpoint(chain_id, head, crypto::view(device_seed_)));
  return insert_checkpoint(db_, session_id, cp);
}

Result<std::uint64_t> Store::record_event(std::string_view session_id, std::string_view type, std::string_view payload,
                                          OutboxPriority priority) {
  Lock lock(*this);
  if (type.empty() || type.size() > 64) return fail(Errc::invalid_argument, "event type must be 1 to 64 characters");
  for (char c : type) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_')) {
      return fail(Errc::invalid_argument, "event type may hold only a-z, 0-9, '.' and '_'");
    }
  }
  if (payload.size() > protocol::k_max_payload_bytes) {
    return fail(Errc::invalid_argument, "an event payload may be at most 1 MiB");
  }
  auto rec = change(session_id, [&](journal::Appender& app) { return append_in_tx(app, type, as_bytes(payload), priority); });
  if (!rec) return fail(rec.error());
  return rec->seq;
}

Result<journal::Record> Store::change(std::string_view session_id,
                                      const std::function<Result<journal::Record>(journal::Appender&)>& body) {
  assert(mu_held() && !db_.in_transaction());
  auto app = appender(session_id);
  if (!app) return fail(app.error());
  auto result = [&]() -> Result<journal::Record> {
    auto tx = Transaction::begin(db_);
    if (!tx) return fail(tx.error());
    auto rec = body(**app);
    if (!rec) return rec;  // the transaction rolls back as tx goes out of scope
    VIGIL_TRY(tx->commit());
    return rec;
  }();
  if (!result) {
    // A failed COMMIT may or may not have reached the disk: forget the cached head so the next
    // change reloads it from the database, the only source of truth.
    if (auto it = appenders_.find(session_id); it != appenders_.end()) appenders_.erase(it);
    return fail(storage_error(result.error(), dir_));
  }
  (*app)->commit(*result);
  return result;
}

Result<journal::Checkpoint> Store::checkpoint(std::string_view session_id) {
  Lock lock(*this);
  auto app = appender(session_id);
  if (!app) return fail(app.error());
  auto cp = journal::make_checkpoint((*app)->chain_id(), (*app)->head(), crypto::view(device_seed_));
  if (!cp) return fail(cp.error());
  if (auto r = insert_checkpoint(db_, session_id, *cp); !r) return fail(storage_error(r.error(), dir_));
  return cp;
}

Result<std::vector<journal::Entry>> Store::journal_entries(std::string_view session_id) {
  Lock lock(*this);
  return journal_entries_locked(session_id);
}

Result<std::vector<journal::Entry>> Store::journal_entries_locked(std::string_view session_id) {
  assert(mu_held());
  return read_entries(
      db_.statement("SELECT seq, prev_hash, boot_id, mono_ns, wall_ms, type, payload_hash, payload FROM journal "
                    "WHERE session_id = ? ORDER BY seq",
                    session_id));
}

Result<std::vector<journal::Checkpoint>> Store::checkpoints(std::string_view session_id) {
  Lock lock(*this);
  return checkpoints_locked(session_id);
}

Result<std::vector<journal::Checkpoint>> Store::checkpoints_locked(std::string_view session_id) {
  assert(mu_held());
  auto st = db_.cached("SELECT seq, head_hash, wall_ms, signature FROM checkpoints WHERE session_id = ? ORDER BY seq");
  if (!st) return fail(st.error());
  st->bind(1, session_id);
  const std::string chain = journal::chain_id_for(device_id_, session_id);
  return sqlite::collect<journal::Checkpoint>(*st, [&](const Statement& row) {
    journal::Checkpoint c;
    c.chain_id = chain;
    c.seq = static_cast<std::uint64_t>(row.column_int(0));
    (void)copy_digest(row.column_blob(1), c.head_hash);  // a wrong size stays zero and fails verification
    c.wall_ms = row.column_int(2);
    c.signature = row.column_blob(3);
    return c;
  });
}

Result<journal::Report> Store::verify_journal(std::string_view session_id) {
  Lock lock(*this);
  auto entries = journal_entries_locked(session_id);
  if (!entries) return fail(entries.error());
  auto cps = checkpoints_locked(session_id);
  if (!cps) return fail(cps.error());
  const std::string chain = journal::chain_id_for(device_id_, session_id);
  journal::VerifyInput in{chain, journal::Head::genesis(chain), *entries, *cps, device_public_};
  return journal::verify(in);
}

Result<bool> Store::is_submitted(std::string_view session_id) {
  Lock lock(*this);
  return is_submitted_locked(session_id);
}

Result<bool> Store::is_submitted_locked(std::string_view session_id) {
  assert(mu_held());
  auto st = db_.cached("SELECT state FROM sessions WHERE session_id = ?");
  if (!st) return fail(st.error());
  st->bind(1, session_id);
  VIGIL_ASSIGN(const auto state, sqlite::one<std::string>(*st, [](const Statement& row) { return row.column_text(0); }));
  if (!state) return fail(Errc::not_found, "there is no session " + std::string(session_id) + " on this device");
  return *state == "submitted";
}

Result<std::uint64_t> Store::submit_session(std::string_view session_id) {
  Lock lock(*this);
  auto done = is_submitted_locked(session_id);
  if (!done) return fail(done.error());
  if (*done) {
    auto st = db_.cached("SELECT max(seq) FROM journal WHERE session_id = ? AND type = 'session.submitted'");
    if (!st) return fail(st.error());
    st->bind(1, session_id);
    auto row = st->step();
    if (!row) return fail(row.error());
    return static_cast<std::uint64_t>(st->column_int(0));
  }
  auto rec = change(session_id, [&](journal::Appender& app) -> Result<journal::Record> {
    protocol::SubmissionManifest manifest;
    auto st = db_.cached("SELECT sha256 FROM blobs WHERE session_id = ? ORDER BY sha256");
    if (!st) return fail(st.error());
    st->bind(1, session_id);
    using Digest = decltype(manifest.blobs)::value_type;
    VIGIL_ASSIGN(manifest.blobs, sqlite::collect<Digest>(*st, [](const Statement& row) {
      Digest d{};
      (void)copy_digest(row.column_blob(0), d);
      return d;
    }));
    const std::string payload = protocol::encode_submission_manifest(manifest);
    auto r = append_in_tx(app, protocol::k_session_submitted_type, as_bytes(payload), OutboxPriority::submission);
    if (!r) return r;
    // The device signs the submission itself: the server issues a receipt only for a submission
    // a device-signed checkpoint covers.
    VIGIL_TRY(insert_checkpoint_in_tx(app.chain_id(), session_id, journal::Head::after(*r)));
    auto up = db_.cached("UPDATE sessions SET state = 'submitted' WHERE session_id = ?");
    if (!up) return fail(up.error());
    up->bind(1, session_id);
    VIGIL_TRY(up->run());
    return r;
  });
  if (!rec) return fail(rec.error());
  return rec->seq;
}
}  // namespace vigil::client::store
