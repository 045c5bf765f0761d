// Store: answers, saved with their journal record and outbox row, and their revisions.
#include "client/store/store_detail.hpp"
#include "shared/core/utf8.hpp"
#include "shared/encoding/canonical.hpp"
#include "shared/protocol/messages.hpp"

namespace vigil::client::store {

Result<SaveReceipt> Store::save_answer(std::string_view session_id, std::string_view item_id, std::string_view value) {
  Lock lock(*this);
  VIGIL_TRY(validate_id("item id", item_id));
  if (value.size() > protocol::k_max_answer_bytes) {
    return fail(Errc::invalid_argument, "the answer is longer than 100,000 bytes (about 15,000 words)");
  }
  if (!is_valid_utf8(value)) return fail(Errc::invalid_argument, "the answer is not valid UTF-8 text");
  std::uint64_t revision = 1;
  auto rec = change(session_id, [&](journal::Appender& app) -> Result<journal::Record> {
    {
      auto state = db_.cached("SELECT state FROM sessions WHERE session_id = ?");
      if (!state) return fail(state.error());
      state->bind(1, session_id);
      VIGIL_ASSIGN(bool row, state->step());
      if (row && state->column_text(0) == "submitted") {
        return fail(Errc::conflict, "this session has been submitted: its answers can no longer change");
      }
    }
    {
      auto st = db_.cached("SELECT revision FROM answers WHERE session_id = ? AND item_id = ?");
      if (!st) return fail(st.error());
      st->bind(1, session_id).bind(2, item_id);
      auto row = st->step();
      if (!row) return fail(row.error());
      revision = *row ? static_cast<std::uint64_t>(st->column_int(0)) + 1 : 1;
    }
    const std::string payload = protocol::encode_answer_saved({std::string(item_id), revision, std::string(value)});
    auto r = append_in_tx(app, "answer.saved", as_bytes(payload), OutboxPriority::answers);
    if (!r) return r;
    for (const char* sql : {"INSERT INTO answers(session_id, item_id, revision, value, saved_wall_ms, journal_seq) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(session_id, item_id) DO UPDATE SET "
                            "revision = excluded.revision, value = excluded.value, "
                            "saved_wall_ms = excluded.saved_wall_ms, journal_seq = excluded.journal_seq",
                            "INSERT INTO answer_revisions(session_id, item_id, revision, value, saved_wall_ms, "
                            "journal_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"}) {
      auto st = db_.cached(sql);
      if (!st) return fail(st.error());
      st->bind(1, session_id).bind(2, item_id).bind(3, static_cast<std::int64_t>(revision)).bind(4, value)
          .bind(5, r->wall_ms).bind(6, static_cast<std::int64_t>(r->seq));
      VIGIL_TRY(st->run());
    }
    return r;
  });
  if (!rec) return fail(rec.error());
  return SaveReceipt{revision, rec->seq};
}

namespace {

// A row selected as (item_id, revision, value, saved_wall_ms, journal_seq).
Answer answer_row(const Statement& st) {
  return Answer{st.column_text(0), static_cast<std::uint64_t>(st.column_int(1)), st.column_text(2), st.column_int(3),
                static_cast<std::uint64_t>(st.column_int(4))};
}

}  // namespace

Result<std::optional<Answer>> Store::answer(std::string_view session_id, std::string_view item_id) {
  Lock lock(*this);
  return sqlite::one<Answer>(db_.statement("SELECT item_id, revision, value, saved_wall_ms, journal_seq FROM answers "
                                           "WHERE session_id = ? AND item_id = ?",
                                           session_id, item_id),
                             answer_row);
}

Result<std::vector<Answer>> Store::answers(std::string_view session_id) {
  Lock lock(*this);
  return sqlite::collect<Answer>(
      db_.statement("SELECT item_id, revision, value, saved_wall_ms, journal_seq FROM answers "
                    "WHERE session_id = ? ORDER BY item_id",
                    session_id),
      answer_row);
}

Result<std::vector<Answer>> Store::answer_history(std::string_view session_id, std::string_view item_id) {
  Lock lock(*this);
  return sqlite::collect<Answer>(
      db_.statement("SELECT item_id, revision, value, saved_wall_ms, journal_seq FROM answer_revisions "
                    "WHERE session_id = ? AND item_id = ? ORDER BY revision",
                    session_id, item_id),
      answer_row);
}
}  // namespace vigil::client::store
