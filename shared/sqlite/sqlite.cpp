#include "shared/sqlite/sqlite.hpp"

namespace vigil::sqlite {

Errc errc_from_sqlite(int rc) noexcept {
  switch (rc & 0xff) {
    case SQLITE_FULL: return Errc::disk_full;
    case SQLITE_READONLY: return Errc::read_only;
    case SQLITE_NOTADB: return Errc::wrong_key;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Errc::busy;
    case SQLITE_CORRUPT: return Errc::integrity;
    case SQLITE_CONSTRAINT: return Errc::conflict;
    case SQLITE_NOTFOUND: return Errc::not_found;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_PERM: return Errc::io;
    default: return Errc::internal;
  }
}

Db::~Db() { close(); }

Db& Db::operator=(Db&& o) noexcept {
  if (this != &o) {
    close();
    db_ = o.db_;
    cache_ = std::move(o.cache_);
    o.db_ = nullptr;
  }
  return *this;
}

void Db::close() noexcept {
  for (auto& [sql, st] : cache_) sqlite3_finalize(st);
  cache_.clear();
  if (db_ != nullptr) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
}

Result<Db> Db::open(const std::string& path, int flags, const char* vfs) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, vfs);
  Db db(raw);
  if (rc != SQLITE_OK) {
    if (raw == nullptr) return fail(Errc::internal, "out of memory opening the database");
    return fail(db.error(rc, "opening database"));
  }
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Error Db::error(int rc, std::string_view what) const {
  std::string msg(what);
  msg += ": ";
  msg += db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  return Error(errc_from_sqlite(rc), std::move(msg));
}

Status Db::exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return fail(errc_from_sqlite(rc), msg);
  }
  return {};
}

Result<std::optional<std::string>> Db::query_text(std::string_view sql) {
  auto st = Statement::prepare(*this, sql);
  if (!st) return fail(st.error());
  auto row = st->step();
  if (!row) return fail(row.error());
  if (!*row || st->column_is_null(0)) return std::optional<std::string>{};
  return std::optional<std::string>{st->column_text(0)};
}

Result<std::int64_t> Db::query_int(std::string_view sql) {
  auto st = Statement::prepare(*this, sql);
  if (!st) return fail(st.error());
  auto row = st->step();
  if (!row) return fail(row.error());
  if (!*row) return fail(Errc::not_found, "query returned no row");
  return st->column_int(0);
}

Result<Statement> Db::cached(std::string_view sql) {
  auto it = cache_.find(std::string(sql));
  if (it == cache_.end()) {
    sqlite3_stmt* st = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &st, nullptr);
    if (rc != SQLITE_OK) return fail(error(rc, "preparing statement"));
    it = cache_.emplace(std::string(sql), st).first;
  }
  return Statement(this, it->second, false);
}

Statement::~Statement() {
  if (st_ == nullptr) return;
  if (owned_) {
    sqlite3_finalize(st_);
  } else {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }
}

Result<Statement> Statement::prepare(Db& db, std::string_view sql) {
  sqlite3_stmt* st = nullptr;
  const int rc = sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &st, nullptr);
  if (rc != SQLITE_OK) return fail(db.error(rc, "preparing statement"));
  return Statement(&db, st, true);
}

Statement& Statement::bind(int i, std::int64_t v) {
  const int rc = sqlite3_bind_int64(st_, i, v);
  if (rc != SQLITE_OK) bind_rc_ = rc;
  return *this;
}
Statement& Statement::bind(int i, std::string_view v) {
  // An empty string_view may carry a null data(), which SQLite would bind as NULL, not ''.
  static const char k_empty = 0;
  const char* p = v.empty() ? &k_empty : v.data();
  const int rc = sqlite3_bind_text64(st_, i, p, v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) bind_rc_ = rc;
  return *this;
}
Statement& Statement::bind(int i, ByteView v) {
  // A zero-length blob must still bind as a blob, not NULL: pass a valid pointer.
  static const std::uint8_t k_empty = 0;
  const void* p = v.empty() ? static_cast<const void*>(&k_empty) : static_cast<const void*>(v.data());
  const int rc = sqlite3_bind_blob64(st_, i, p, v.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) bind_rc_ = rc;
  return *this;
}
Statement& Statement::bind_null(int i) {
  const int rc = sqlite3_bind_null(st_, i);
  if (rc != SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Result<bool> Statement::step() {
  if (bind_rc_ != SQLITE_OK) return fail(db_->error(bind_rc_, "binding a parameter"));
  const int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return fail(db_->error(rc, "running statement"));
}

Status Statement::run() {
  auto r = step();
  if (!r) return fail(r.error());
  reset();
  return {};
}

void Statement::reset() noexcept {
  sqlite3_reset(st_);
  sqlite3_clear_bindings(st_);
  bind_rc_ = SQLITE_OK;
}

std::int64_t Statement::column_int(int i) const noexcept { return sqlite3_column_int64(st_, i); }
std::string Statement::column_text(int i) const {
  const auto* p = sqlite3_column_text(st_, i);
  const int n = sqlite3_column_bytes(st_, i);
  return p != nullptr ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
}
Bytes Statement::column_blob(int i) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(st_, i));
  const int n = sqlite3_column_bytes(st_, i);
  return p != nullptr ? Bytes(p, p + n) : Bytes();
}
bool Statement::column_is_null(int i) const noexcept { return sqlite3_column_type(st_, i) == SQLITE_NULL; }

std::optional<std::int64_t> Statement::column_int_or_null(int i) const {
  if (column_is_null(i)) return std::nullopt;
  return column_int(i);
}

std::optional<std::string> Statement::column_text_or_null(int i) const {
  if (column_is_null(i)) return std::nullopt;
  return column_text(i);
}

Result<Transaction> Transaction::begin(Db& db) {
  VIGIL_TRY(db.exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Transaction::~Transaction() {
  // Roll back unless committed. If COMMIT itself failed, SQLite may already have rolled back;
  // ROLLBACK then fails harmlessly.
  if (open_) (void)db_->exec("ROLLBACK");
}

Status Transaction::commit() {
  auto st = db_->exec("COMMIT");
  if (st) open_ = false;
  return st;
}

namespace {

// migrations[from] onwards, each in its own transaction (see migrate()).
Status apply_migrations(Db& db, std::span<const std::string_view> migrations, std::size_t from) {
  for (std::size_t i = from; i < migrations.size(); ++i) {
    const std::string number = std::to_string(i + 1);
    auto applied = [&]() -> Status {
      VIGIL_ASSIGN(auto tx, Transaction::begin(db));
      VIGIL_TRY(db.exec(migrations[i]));
      {
        VIGIL_ASSIGN(auto check, Statement::prepare(db, "SELECT count(*), \"table\", parent FROM pragma_foreign_key_check"));
        VIGIL_ASSIGN(const bool row, check.step());
        if (row && check.column_int(0) != 0) {
          return fail(Errc::integrity, "it would leave " + std::to_string(check.column_int(0)) +
                                           " reference(s) dangling (in table " + check.column_text(1) + ", to " +
                                           check.column_text(2) + ")");
        }
      }
      VIGIL_TRY(db.exec("PRAGMA user_version = " + number));
      return tx.commit();
    }();
    if (!applied) {
      return fail(std::move(applied).error().context("migration " + number + " failed (the database stays at schema version " +
                                                     std::to_string(i) + ")"));
    }
  }
  return {};
}

}  // namespace

Status migrate(Db& db, std::span<const std::string_view> migrations) {
  VIGIL_ASSIGN(const std::int64_t current, db.query_int("PRAGMA user_version"));
  if (current < 0 || static_cast<std::uint64_t>(current) > migrations.size()) {
    return fail(Errc::unsupported_version, "the database is at schema version " + std::to_string(current) +
                                               " but this program knows only " + std::to_string(migrations.size()) +
                                               ": it was written by a newer version");
  }
  const auto from = static_cast<std::size_t>(current);
  if (from == migrations.size()) return {};
  VIGIL_ASSIGN(const std::int64_t foreign_keys, db.query_int("PRAGMA foreign_keys"));
  VIGIL_TRY(db.exec("PRAGMA foreign_keys = OFF"));
  auto applied = apply_migrations(db, migrations, from);
  auto restored = db.exec(foreign_keys != 0 ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF");
  if (!applied) return applied;
  return restored;
}

}  // namespace vigil::sqlite
