#pragma once
// A small RAII layer over SQLite. Db owns a connection,
// Statement a prepared statement, Transaction a BEGIN IMMEDIATE ... COMMIT that rolls back unless
// committed. Every failure becomes a Result with an Errc chosen from SQLite's result code, so the
// caller can tell a full disk from a wrong key from a busy file.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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

  sqlite3* handle() const noexcept { return db_; }
  Error error(int rc, std::string_view what) const;
  void close() noexcept;

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

class Statement {
 public:
  Statement() = default;
  ~Statement();
  Statement(Statement&& o) noexcept : db_(o.db_), st_(o.st_), owned_(o.owned_) { o.st_ = nullptr; }
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;

  static Result<Statement> prepare(Db& db, std::string_view sql);

  // Bind by 1-based index. Text and blobs are copied (SQLITE_TRANSIENT).
  Statement& bind(int i, std::int64_t v);
  Statement& bind(int i, std::string_view v);
  Statement& bind(int i, ByteView v);
  Statement& bind_null(int i);

  // Returns true when a row is available, false when done.
  Result<bool> step();
  // Steps to completion expecting no rows (INSERT/UPDATE/DELETE).
  Status run();
  void reset() noexcept;

  std::int64_t column_int(int i) const noexcept;
  std::string column_text(int i) const;
  Bytes column_blob(int i) const;
  bool column_is_null(int i) const noexcept;

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

}  // namespace vigil::sqlite
