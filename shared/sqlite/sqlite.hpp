#pragma once
// A small RAII layer over SQLite. Db owns a connection,
// Statement a prepared statement, Transaction a BEGIN IMMEDIATE ... COMMIT that rolls back unless
// committed. Every failure becomes a Result with an Errc chosen from SQLite's result code, so the
// caller can tell a full disk from a wrong key from a busy file.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

// Compiled twice: into vigil_sqlite_cipher for the client (SQLCipher's build of SQLite, with
// VIGIL_SQLITE_CIPHER defined) and into vigil_sqlite_plain for the server. The two libraries are
// never linked into one binary: their SQLite symbols clash.
#if defined(VIGIL_SQLITE_CIPHER)
#include <sqlcipher/sqlite3.h>
#else
#include <sqlite3.h>
#endif

#include "shared/core/bytes.hpp"
#include "shared/core/result.hpp"

namespace vigil::sqlite {

// Maps an SQLite (extended) result code to our error codes.
Errc errc_from_sqlite(int rc) noexcept;

class Statement;

class Db {
 public:
  Db() = default;
  ~Db();
  Db(Db&& o) noexcept : db_(o.db_), cache_(std::move(o.cache_)) { o.db_ = nullptr; }
  Db& operator=(Db&& o) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // flags: SQLITE_OPEN_READWRITE [| SQLITE_OPEN_CREATE]. vfs: nullptr for the default.
  static Result<Db> open(const std::string& path, int flags, const char* vfs = nullptr);

  Status exec(std::string_view sql);
  // Runs a statement that returns one row with one text column (PRAGMAs), or nullopt.
  Result<std::optional<std::string>> query_text(std::string_view sql);
  Result<std::int64_t> query_int(std::string_view sql);

  // A prepared statement kept for the life of the connection (the hot paths run the same few
  // statements thousands of times). The returned Statement resets it when it goes out of scope.
  // The SQL text is the cache key.
  Result<Statement> cached(std::string_view sql);
  // cached(sql) with args bound to ?1, ?2, ... in order (Statement::bind_all).
  template <class... Args>
  Result<Statement> statement(std::string_view sql, const Args&... args);

  sqlite3* handle() const noexcept { return db_; }
  // Whether a transaction is open on this connection (for asserts in code that needs one).
  bool in_transaction() const noexcept { return db_ != nullptr && sqlite3_get_autocommit(db_) == 0; }
  Error error(int rc, std::string_view what) const;
  void close() noexcept;

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

class Statement {
  template <class T>
  struct is_optional : std::false_type {};
  template <class T>
  struct is_optional<std::optional<T>> : std::true_type {};

 public:
  Statement() = default;
  ~Statement();
  Statement(Statement&& o) noexcept : db_(o.db_), st_(o.st_), owned_(o.owned_), bind_rc_(o.bind_rc_) {
    o.st_ = nullptr;
  }
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;

  static Result<Statement> prepare(Db& db, std::string_view sql);

  // Bind by 1-based index. Text and blobs are copied (SQLITE_TRANSIENT).
  Statement& bind(int i, std::int64_t v);
  Statement& bind(int i, std::string_view v);
  Statement& bind(int i, ByteView v);
  Statement& bind_null(int i);
  // Binds args to parameters 1, 2, ... in order (so `?N` parameters in the order of N), each as
  // bind_value says. One call instead of a chain of numbered binds.
  template <class... Args>
  Statement& bind_all(const Args&... args) {
    int i = 0;
    (bind_value(++i, args), ...);
    return *this;
  }
  // An integer (a bool as 0 or 1) binds as INTEGER, text as TEXT, bytes (Bytes, a digest array)
  // as BLOB, std::nullopt or an empty std::optional as NULL.
  template <class T>
  Statement& bind_value(int i, const T& v) {
    if constexpr (std::is_same_v<T, std::nullopt_t>) {
      return bind_null(i);
    } else if constexpr (is_optional<T>::value) {
      return v ? bind_value(i, *v) : bind_null(i);
    } else if constexpr (std::is_integral_v<T>) {
      return bind(i, static_cast<std::int64_t>(v));
    } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
      return bind(i, std::string_view(v));
    } else {
      return bind(i, ByteView(v));
    }
  }

  // Returns true when a row is available, false when done.
  Result<bool> step();
  // Steps to completion expecting no rows (INSERT/UPDATE/DELETE).
  Status run();
  void reset() noexcept;

  std::int64_t column_int(int i) const noexcept;
  std::string column_text(int i) const;
  Bytes column_blob(int i) const;
  bool column_is_null(int i) const noexcept;
  // A nullable column: nullopt for NULL.
  std::optional<std::int64_t> column_int_or_null(int i) const;
  std::optional<std::string> column_text_or_null(int i) const;

 private:
  friend class Db;
  Statement(Db* db, sqlite3_stmt* st, bool owned) : db_(db), st_(st), owned_(owned) {}
  Db* db_ = nullptr;
  sqlite3_stmt* st_ = nullptr;
  bool owned_ = true;  // false: borrowed from Db's cache, reset instead of finalized
  int bind_rc_ = SQLITE_OK;
};

// BEGIN IMMEDIATE on construction (via begin()); ROLLBACK in the destructor unless commit()
// succeeded. commit() returns only after SQLite reports the transaction durable
// (with synchronous=FULL in WAL mode: the WAL is fsynced).
class Transaction {
 public:
  static Result<Transaction> begin(Db& db);
  ~Transaction();
  Transaction(Transaction&& o) noexcept : db_(o.db_), open_(o.open_) { o.open_ = false; }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;

  Status commit();

 private:
  explicit Transaction(Db* db) : db_(db), open_(true) {}
  Db* db_;
  bool open_;
};

template <class... Args>
Result<Statement> Db::statement(std::string_view sql, const Args&... args) {
  VIGIL_ASSIGN(Statement st, cached(sql));
  st.bind_all(args...);
  return st;
}

// Steps a statement to the end, making one Row of each result row with make(statement).
template <class Row, class Make>
Result<std::vector<Row>> collect(Statement& st, Make make) {
  std::vector<Row> out;
  for (;;) {
    VIGIL_ASSIGN(bool row, st.step());
    if (!row) break;
    out.push_back(make(st));
  }
  return out;
}
// The same for a statement that may have failed to prepare: its error, or its rows
// (collect(db.statement(sql, args...), make)).
template <class Row, class Make>
Result<std::vector<Row>> collect(Result<Statement>&& st, Make make) {
  if (!st) return fail(std::move(st).error());
  return collect<Row>(*st, make);
}

// Steps a statement that returns at most one row: nullopt when it returns none, make(statement)
// of the row when it returns one. A second row is an error (Errc::internal: the query or the
// schema is wrong, e.g. a lookup by a column that is not unique), as is a failed step.
template <class Row, class Make>
Result<std::optional<Row>> one(Statement& st, Make make) {
  VIGIL_ASSIGN(const bool row, st.step());
  if (!row) return std::optional<Row>{};
  std::optional<Row> out{make(st)};
  VIGIL_ASSIGN(const bool another, st.step());
  if (another) return fail(Errc::internal, "a query that returns at most one row returned more than one");
  return out;
}
template <class Row, class Make>
Result<std::optional<Row>> one(Result<Statement>&& st, Make make) {
  if (!st) return fail(std::move(st).error());
  return one<Row>(*st, make);
}

// Brings a database's schema up to date. migrations[i] is the SQL of migration i + 1 (numbered
// files, in order), and PRAGMA user_version is the number of migrations applied.
//  - Each pending migration runs in its own transaction together with its user_version, so one
//    that fails leaves the database at the version and schema it had before that migration (the
//    ones before it stay applied). The error keeps SQLite's code (disk_full, read_only, ...) and
//    names the migration: "migration 2 failed (the database stays at schema version 1): ...".
//  - Foreign keys are not enforced while migrating (so a migration may rebuild a table, as
//    https://sqlite.org/lang_altertable.html describes); instead PRAGMA foreign_key_check must
//    find no dangling reference before each migration commits, or it is rolled back
//    (Errc::integrity). The connection's foreign_keys setting is as before on return.
//  - A user_version beyond migrations.size() (a database written by a newer program) is
//    Errc::unsupported_version, and nothing is run.
// Call it outside any transaction (PRAGMA foreign_keys has no effect inside one).
Status migrate(Db& db, std::span<const std::string_view> migrations);

}  // namespace vigil::sqlite
