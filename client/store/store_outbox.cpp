// Store: the outbox (what the sync engine sends, and the server's acknowledgements) and blobs.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "client/store/store_detail.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/protocol/sync.hpp"

namespace vigil::client::store {

Result<std::vector<OutboxItem>> Store::outbox_pending(std::size_t limit) {
  Lock lock(*this);
  return sqlite::collect<OutboxItem>(
      db_.statement("SELECT session_id, seq, priority FROM outbox ORDER BY priority, session_id, seq LIMIT ?",
                    static_cast<std::int64_t>(limit)),
      [](const Statement& row) {
        return OutboxItem{row.column_text(0), static_cast<std::uint64_t>(row.column_int(1)),
                          static_cast<OutboxPriority>(row.column_int(2))};
      });
}

Result<OutboxCounts> Store::outbox_counts() {
  Lock lock(*this);
  auto st = db_.cached(
                               "SELECT count(*), coalesce(sum(length(j.payload)), 0) FROM outbox o "
                               "JOIN journal j ON j.session_id = o.session_id AND j.seq = o.seq");
  if (!st) return fail(st.error());
  auto row = st->step();
  if (!row) return fail(row.error());
  OutboxCounts out{static_cast<std::uint64_t>(st->column_int(0)), static_cast<std::uint64_t>(st->column_int(1)), 0, 0};
  st->reset();
  auto bl = db_.cached("SELECT count(*), coalesce(sum(length(data)), 0) FROM blobs WHERE uploaded_wall_ms IS NULL");
  if (!bl) return fail(bl.error());
  auto brow = bl->step();
  if (!brow) return fail(brow.error());
  out.blobs = static_cast<std::uint64_t>(bl->column_int(0));
  out.blob_bytes = static_cast<std::uint64_t>(bl->column_int(1));
  return out;
}

Status Store::acknowledge(std::string_view session_id, SentBatch sent, std::uint64_t acked_up_to) {
  Lock lock(*this);
  // Invariant 3 must hold against a buggy or hostile server too: an acknowledgement beyond the
  // records this store has written, or beyond the batch it answers, must not drop rows that were
  // never sent.
  if (sent.first == 0 || sent.last < sent.first) {
    return fail(Errc::invalid_argument, "an acknowledgement must answer a batch of at least one record");
  }
  auto app = appender(session_id);
  if (!app) return fail(app.error());
  if (acked_up_to > (*app)->head().seq) {
    return fail(Errc::invalid_argument, "the server acknowledged record " + std::to_string(acked_up_to) + " of session " +
                                            std::string(session_id) + ", which only has " +
                                            std::to_string((*app)->head().seq) + " records; ignored");
  }
  return run_write(
      db_.statement("DELETE FROM outbox WHERE session_id = ? AND seq >= ? AND seq <= ?", session_id,
                    static_cast<std::int64_t>(sent.first), static_cast<std::int64_t>(std::min(acked_up_to, sent.last))),
      dir_);
}

Result<std::vector<std::string>> Store::sessions_with_pending_records() {
  Lock lock(*this);
  return first_column_texts(
      db_.statement("SELECT session_id FROM outbox GROUP BY session_id ORDER BY min(priority), session_id"));
}

Status Store::requeue(std::string_view session_id, std::uint64_t from_seq) {
  Lock lock(*this);
  return run_write(db_.statement("INSERT INTO outbox(session_id, seq, priority, created_wall_ms) "
                                 "SELECT session_id, seq, ?, ? FROM journal WHERE session_id = ? AND seq >= ? "
                                 "ON CONFLICT(session_id, seq) DO NOTHING",
                                 static_cast<std::int64_t>(OutboxPriority::answers), clock_->wall_ms(), session_id,
                                 static_cast<std::int64_t>(from_seq)),
                   dir_);
}

Result<std::vector<journal::Entry>> Store::pending_records(std::string_view session_id, std::size_t limit) {
  Lock lock(*this);
  // A session's records go in sequence order whatever their priority: the server accepts only a
  // contiguous extension of the chain it holds.
  return read_entries(
      db_.statement("SELECT j.seq, j.prev_hash, j.boot_id, j.mono_ns, j.wall_ms, j.type, j.payload_hash, j.payload "
                    "FROM outbox o JOIN journal j ON j.session_id = o.session_id AND j.seq = o.seq "
                    "WHERE o.session_id = ? ORDER BY o.seq LIMIT ?",
                    session_id, static_cast<std::int64_t>(limit)));
}

Result<journal::Hash> Store::add_blob(std::string_view session_id, ByteView data, OutboxPriority priority) {
  Lock lock(*this);
  if (data.empty() || data.size() > protocol::k_max_blob_bytes) {
    return fail(Errc::invalid_argument, "a blob is 1 byte to 64 MiB");
  }
  const journal::Hash sha = crypto::sha256(data);
  auto rec = change(session_id, [&](journal::Appender& app) -> Result<journal::Record> {
    auto ins = db_.cached("INSERT INTO blobs(sha256, session_id, priority, data) VALUES (?, ?, ?, ?) "
                          "ON CONFLICT(sha256) DO NOTHING");
    if (!ins) return fail(ins.error());
    ins->bind(1, ByteView(sha)).bind(2, session_id).bind(3, static_cast<std::int64_t>(priority)).bind(4, data);
    VIGIL_TRY(ins->run());
    const std::string payload = nlohmann::json{{"sha256", to_hex(ByteView(sha))}, {"size", data.size()}, {"v", 1}}.dump();
    return append_in_tx(app, "blob.added", as_bytes(payload), priority);
  });
  if (!rec) return fail(rec.error());
  return sha;
}

Result<std::vector<PendingBlob>> Store::pending_blobs() {
  Lock lock(*this);
  return sqlite::collect<PendingBlob>(
      db_.statement("SELECT sha256, session_id, priority, length(data) FROM blobs WHERE uploaded_wall_ms IS NULL "
                    "ORDER BY priority, session_id, sha256"),
      [](const Statement& row) {
        PendingBlob b;
        (void)copy_digest(row.column_blob(0), b.sha256);
        b.session_id = row.column_text(1);
        b.priority = static_cast<OutboxPriority>(row.column_int(2));
        b.size = static_cast<std::uint64_t>(row.column_int(3));
        return b;
      });
}

Result<Bytes> Store::blob_chunk(const journal::Hash& sha256, std::uint64_t offset, std::size_t length) {
  Lock lock(*this);
  auto st = db_.cached("SELECT substr(data, ? + 1, ?) FROM blobs WHERE sha256 = ?");
  if (!st) return fail(st.error());
  st->bind(1, static_cast<std::int64_t>(offset)).bind(2, static_cast<std::int64_t>(length)).bind(3, ByteView(sha256));
  VIGIL_ASSIGN(auto chunk, sqlite::one<Bytes>(*st, [](const Statement& row) { return row.column_blob(0); }));
  if (!chunk) return fail(Errc::not_found, "no such blob on this device");
  return std::move(*chunk);
}

Status Store::mark_blob_uploaded(const journal::Hash& sha256) {
  Lock lock(*this);
  return run_write(
      db_.statement("UPDATE blobs SET uploaded_wall_ms = ? WHERE sha256 = ?", clock_->wall_ms(), ByteView(sha256)),
      dir_);
}
}  // namespace vigil::client::store
