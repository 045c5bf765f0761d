// The SQLite layer's migration runner, row helpers and bound statements, on an in-memory
// database. Built twice: against plain SQLite (the server's flavour) and against SQLCipher (the
// client's).
#include <catch2/catch_test_macros.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shared/sqlite/sqlite.hpp"

using namespace vigil;
using namespace vigil::sqlite;

namespace {

Db memory_db() {
  auto db = Db::open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!db) FAIL(db.error().describe());
  return std::move(*db);
}

std::int64_t user_version(Db& db) { return db.query_int("PRAGMA user_version").value(); }

bool has_table(Db& db, std::string_view name) {
  auto st = Statement::prepare(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?");
  REQUIRE(st);
  st->bind(1, name);
  REQUIRE(st->step().value());
  return st->column_int(0) == 1;
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("sqlite::migrate applies each pending migration once and counts them in user_version") {
  Db db = memory_db();
  const std::array<std::string_view, 3> all{
      "CREATE TABLE a(id INTEGER PRIMARY KEY)",
      "INSERT INTO a(id) VALUES (1)",
      "CREATE TABLE b(id INTEGER PRIMARY KEY); INSERT INTO a(id) VALUES (2)",
  };
  REQUIRE(migrate(db, std::span(all).first(2)));
  CHECK(user_version(db) == 2);
  CHECK_FALSE(has_table(db, "b"));
  REQUIRE(migrate(db, all));
  CHECK(user_version(db) == 3);
  CHECK(has_table(db, "b"));
  REQUIRE(migrate(db, all));  // nothing pending: nothing runs again
  CHECK(db.query_int("SELECT count(*) FROM a").value() == 2);
}

TEST_CASE("a failing migration leaves user_version and the schema as they were before it") {
  Db db = memory_db();
  const std::array<std::string_view, 3> all{
      "CREATE TABLE a(id INTEGER PRIMARY KEY)",
      "CREATE TABLE b(id INTEGER PRIMARY KEY); ALTER TABLE a ADD COLUMN x TEXT; INSERT INTO nowhere VALUES (1)",
      "CREATE TABLE c(id INTEGER PRIMARY KEY)",
  };
  auto r = migrate(db, all);
  REQUIRE_FALSE(r);
  CHECK(contains(r.error().message, "migration 2 failed"));
  CHECK(contains(r.error().message, "nowhere"));
  CHECK(user_version(db) == 1);
  CHECK(has_table(db, "a"));
  CHECK_FALSE(has_table(db, "b"));
  CHECK_FALSE(has_table(db, "c"));
  CHECK(db.query_int("SELECT count(*) FROM pragma_table_info('a')").value() == 1);
  CHECK_FALSE(db.in_transaction());
}

TEST_CASE("a migration that leaves a foreign key dangling is reported and rolled back") {
  Db db = memory_db();
  REQUIRE(db.exec("PRAGMA foreign_keys = ON"));
  const std::array<std::string_view, 2> all{
      "CREATE TABLE parent(id INTEGER PRIMARY KEY); "
      "CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id))",
      "INSERT INTO child(id, parent_id) VALUES (1, 42)",
  };
  auto r = migrate(db, all);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::integrity);
  CHECK(contains(r.error().message, "migration 2 failed"));
  CHECK(contains(r.error().message, "child"));
  CHECK(user_version(db) == 1);
  CHECK(db.query_int("SELECT count(*) FROM child").value() == 0);
  // The connection enforces foreign keys again, as it did before.
  CHECK(db.query_int("PRAGMA foreign_keys").value() == 1);
}

TEST_CASE("a migration may rebuild a table that others refer to, foreign keys checked after it") {
  Db db = memory_db();
  REQUIRE(db.exec("PRAGMA foreign_keys = ON"));
  const std::array<std::string_view, 2> all{
      "CREATE TABLE parent(id INTEGER PRIMARY KEY); "
      "CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id)); "
      "INSERT INTO parent(id) VALUES (7); INSERT INTO child(id, parent_id) VALUES (1, 7)",
      // The procedure of https://sqlite.org/lang_altertable.html: new table, copy, drop, rename.
      "CREATE TABLE parent_new(id INTEGER PRIMARY KEY CHECK (id > 0)); "
      "INSERT INTO parent_new(id) SELECT id FROM parent; DROP TABLE parent; ALTER TABLE parent_new RENAME TO parent",
  };
  REQUIRE(migrate(db, all));
  CHECK(user_version(db) == 2);
  CHECK(db.query_int("SELECT count(*) FROM child").value() == 1);
  CHECK(db.query_int("PRAGMA foreign_keys").value() == 1);
}

TEST_CASE("a database from a newer program is refused by sqlite::migrate and left as it is") {
  Db db = memory_db();
  REQUIRE(db.exec("PRAGMA user_version = 5"));
  const std::array<std::string_view, 2> all{"CREATE TABLE a(id INTEGER)", "CREATE TABLE b(id INTEGER)"};
  auto r = migrate(db, all);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::unsupported_version);
  CHECK(user_version(db) == 5);
  CHECK_FALSE(has_table(db, "a"));
}

TEST_CASE("sqlite::one gives nothing for no row, the row for one, and an error for two") {
  Db db = memory_db();
  REQUIRE(db.exec("CREATE TABLE t(k TEXT, v INTEGER); INSERT INTO t VALUES ('one', 1), ('two', 2), ('two', 3)"));
  auto st = Statement::prepare(db, "SELECT v FROM t WHERE k = ?");
  REQUIRE(st);
  const auto value = [](Statement& s) { return s.column_int(0); };

  st->bind(1, std::string_view("none"));
  auto none = one<std::int64_t>(*st, value);
  REQUIRE(none);
  CHECK_FALSE(none->has_value());

  st->reset();
  st->bind(1, std::string_view("one"));
  auto single = one<std::int64_t>(*st, value);
  REQUIRE(single);
  CHECK(*single == std::optional<std::int64_t>(1));

  st->reset();
  st->bind(1, std::string_view("two"));
  auto two = one<std::int64_t>(*st, value);
  REQUIRE_FALSE(two);
  CHECK(two.error().code == Errc::internal);
}

TEST_CASE("Db::statement binds its arguments in order, and collect and one pass on its errors") {
  Db db = memory_db();
  REQUIRE(db.exec("CREATE TABLE t(k TEXT, v INTEGER, b BLOB); "
                  "INSERT INTO t VALUES ('a', 1, x'01'), ('b', 2, x'02'), ('b', 3, x'03')"));
  const auto value = [](const Statement& s) { return s.column_int(0); };
  const std::array<std::uint8_t, 1> blob{0x03};

  auto rows = collect<std::int64_t>(db.statement("SELECT v FROM t WHERE k = ? AND v >= ? ORDER BY v",
                                                 std::string_view("b"), std::int64_t{2}),
                                    value);
  REQUIRE(rows);
  CHECK(*rows == std::vector<std::int64_t>{2, 3});
  auto by_blob = one<std::int64_t>(db.statement("SELECT v FROM t WHERE b = ?", ByteView(blob)), value);
  REQUIRE(by_blob);
  CHECK(*by_blob == std::optional<std::int64_t>(3));

  // A statement that does not prepare: its error, not a crash.
  auto bad = collect<std::int64_t>(db.statement("SELECT nothing FROM nowhere"), value);
  REQUIRE_FALSE(bad);
  CHECK_FALSE(one<std::int64_t>(db.statement("SELECT nothing FROM nowhere"), value));

  // A bind that fails (one argument too many) is reported when the statement runs, also after the
  // statement has been moved out of Db::statement.
  auto extra = one<std::int64_t>(db.statement("SELECT v FROM t WHERE k = ?", std::string_view("a"), std::int64_t{1}),
                                 value);
  REQUIRE_FALSE(extra);
  CHECK(contains(extra.error().message, "binding a parameter"));
}

TEST_CASE("Statement::bind_all binds in order: integers, bools, text, bytes, and NULL for an empty optional") {
  Db db = memory_db();
  REQUIRE(db.exec("CREATE TABLE t(i INTEGER, b INTEGER, s TEXT, x BLOB, n INTEGER, o TEXT)"));
  auto ins = Statement::prepare(db, "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)");
  REQUIRE(ins);
  const std::uint32_t small = 7;
  const Bytes blob{1, 2, 3};
  const std::optional<std::int64_t> none;
  const std::optional<std::string> some = "here";
  ins->bind_all(small, true, std::string("text"), blob, none, some);
  REQUIRE(ins->run());

  auto st = Statement::prepare(db, "SELECT i, b, s, x, n, o, typeof(n) FROM t");
  REQUIRE(st);
  REQUIRE(st->step().value());
  CHECK(st->column_int(0) == 7);
  CHECK(st->column_int(1) == 1);
  CHECK(st->column_text(2) == "text");
  CHECK(st->column_blob(3) == blob);
  CHECK(st->column_text(6) == "null");
  CHECK(st->column_int_or_null(4) == std::nullopt);
  CHECK(st->column_text_or_null(5) == std::optional<std::string>("here"));
  CHECK(st->column_int_or_null(0) == std::optional<std::int64_t>(7));
  CHECK(st->column_text_or_null(4) == std::nullopt);
}
