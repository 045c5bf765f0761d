// The power-loss VFS itself (tests/support/power_cut_vfs.hpp): what it keeps and what it drops,
// so that "nothing lost" from the power-cut drivers means something. Plain SQLite.
#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "shared/sqlite/sqlite.hpp"
#include "tests/support/power_cut_vfs.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace vigil;
using testing::CutMode;
using testing::PowerCutVfs;

namespace {

std::string contents(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A file opened through the shim's own methods, as SQLite opens its journals. (unix's VFS gives a
// journal its database's mode, so the database file must exist: journal() makes it.)
struct RawFile {
  sqlite3_vfs* vfs = sqlite3_vfs_find(PowerCutVfs::k_name);
  std::string name;
  std::string storage;
  sqlite3_file* f = nullptr;

  RawFile(const fs::path& p, int type) : name(p.string()), storage(static_cast<std::size_t>(vfs->szOsFile), '\0') {
    f = reinterpret_cast<sqlite3_file*>(storage.data());
    int out = 0;
    REQUIRE(vfs->xOpen(vfs, name.c_str(), f, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | type, &out) == SQLITE_OK);
  }
  ~RawFile() {
    if (f->pMethods != nullptr) f->pMethods->xClose(f);
  }
  int write(const std::string& s, sqlite3_int64 at) { return f->pMethods->xWrite(f, s.data(), static_cast<int>(s.size()), at); }
  int sync() { return f->pMethods->xSync(f, SQLITE_SYNC_NORMAL); }
};

fs::path journal(const testing::TempDir& dir) {
  std::ofstream(dir / "t.db", std::ios::app).flush();
  return dir / "t.db-journal";
}

sqlite::Db open_db(const fs::path& p, const char* vfs) {
  auto db = sqlite::Db::open(p.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs);
  REQUIRE(db);
  return std::move(*db);
}

}  // namespace

TEST_CASE("power-loss VFS: a committed transaction survives the cut, one committed without a sync does not") {
  auto& vfs = PowerCutVfs::instance();
  const testing::TempDir dir;
  const fs::path db_path = dir / "t.db";
  {
    auto db = open_db(db_path, nullptr);
    REQUIRE(db.exec("PRAGMA journal_mode = WAL; CREATE TABLE t(v TEXT)"));
  }
  vfs.arm(0, CutMode::drop, 1);
  {
    auto db = open_db(db_path, PowerCutVfs::k_name);
    REQUIRE(db.exec("PRAGMA synchronous = FULL; INSERT INTO t VALUES ('synced')"));
    REQUIRE(db.exec("PRAGMA synchronous = OFF; INSERT INTO t VALUES ('not synced')"));
    vfs.cut_now();
    CHECK(vfs.stats().writes_lost > 0);
    // The process is dead: reads fail too.
    CHECK_FALSE(db.query_int("SELECT count(*) FROM t WHERE v = 'x'"));
  }
  auto db = open_db(db_path, nullptr);
  CHECK(db.query_int("SELECT count(*) FROM t WHERE v = 'synced'").value() == 1);
  CHECK(db.query_int("SELECT count(*) FROM t WHERE v = 'not synced'").value() == 0);
  CHECK(db.query_text("PRAGMA integrity_check").value() == "ok");
}

TEST_CASE("power-loss VFS: the cut comes at the chosen write or sync, and that call and every later one fail") {
  auto& vfs = PowerCutVfs::instance();
  const testing::TempDir dir;
  vfs.arm(3, CutMode::drop, 1);
  const fs::path j = journal(dir);
  RawFile f(j, SQLITE_OPEN_MAIN_JOURNAL);
  CHECK(f.write("one", 0) == SQLITE_OK);
  CHECK(f.sync() == SQLITE_OK);
  CHECK(f.write("two", 3) == SQLITE_IOERR_WRITE);  // the third: the power goes
  CHECK(vfs.is_cut());
  CHECK(vfs.events() == 3);
  CHECK(f.sync() == SQLITE_IOERR_FSYNC);
  CHECK(contents(j) == "one");
}

TEST_CASE("power-loss VFS: files created or deleted since their directory's last sync are undone") {
  auto& vfs = PowerCutVfs::instance();
  const testing::TempDir dir;
  {
    std::ofstream(dir / "old") << "durable";
  }
  vfs.arm(0, CutMode::drop, 1);
  {
    // A database file's creation is not followed by a directory sync (unix's VFS does that only
    // for journals): synced data or not, it is gone.
    RawFile db(dir / "new.db", SQLITE_OPEN_MAIN_DB);
    REQUIRE(db.write("data", 0) == SQLITE_OK);
    REQUIRE(db.sync() == SQLITE_OK);
  }
  sqlite3_vfs* v = sqlite3_vfs_find(PowerCutVfs::k_name);
  REQUIRE(v->xDelete(v, (dir / "old").c_str(), 0) == SQLITE_OK);
  REQUIRE_FALSE(fs::exists(dir / "old"));
  vfs.cut_now();
  CHECK_FALSE(fs::exists(dir / "new.db"));
  CHECK(contents(dir / "old") == "durable");
  CHECK(vfs.stats().files_removed == 1);
  CHECK(vfs.stats().files_restored == 1);

  // A journal's first sync syncs its directory: its creation, and the deletion before it, stay.
  vfs.arm(0, CutMode::drop, 1);
  REQUIRE(v->xDelete(v, (dir / "old").c_str(), 0) == SQLITE_OK);
  {
    RawFile j(journal(dir), SQLITE_OPEN_MAIN_JOURNAL);
    REQUIRE(j.write("journal", 0) == SQLITE_OK);
    REQUIRE(j.sync() == SQLITE_OK);
  }
  vfs.cut_now();
  CHECK(contents(dir / "t.db-journal") == "journal");
  CHECK_FALSE(fs::exists(dir / "old"));
}

TEST_CASE("power-loss VFS: tear keeps whole sectors of the unsynced writes in order; reorder keeps a subset") {
  auto& vfs = PowerCutVfs::instance();
  const testing::TempDir dir;
  const std::string old_data(4096, 'o');
  const fs::path path = journal(dir);
  bool saw_torn = false;
  bool saw_gap = false;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    const bool tear = seed % 2 == 0;
    {
      std::ofstream(path, std::ios::binary | std::ios::trunc) << old_data;
    }
    vfs.arm(0, tear ? CutMode::tear : CutMode::reorder, seed);
    {
      RawFile j(path, SQLITE_OPEN_MAIN_JOURNAL);
      REQUIRE(j.sync() == SQLITE_OK);  // the file and its directory entry are durable
      for (int k = 0; k < 4; ++k) REQUIRE(j.write(std::string(1024, static_cast<char>('a' + k)), 1024 * k) == SQLITE_OK);
    }
    vfs.cut_now();
    const std::string after = contents(path);
    REQUIRE(after.size() == old_data.size());
    // Every 512-byte sector is wholly old or wholly new.
    std::string pattern;
    for (std::size_t s = 0; s < 8; ++s) {
      const std::string sector = after.substr(s * 512, 512);
      const char fresh = static_cast<char>('a' + s / 2);
      REQUIRE((sector == std::string(512, 'o') || sector == std::string(512, fresh)));
      pattern += sector[0] == 'o' ? 'o' : 'n';
    }
    INFO("seed " << seed << ": " << pattern);
    if (tear) {
      // New sectors form a prefix: the first k writes and part of the next.
      CHECK(pattern.find("on") == std::string::npos);
      for (std::size_t w = 0; w < 4; ++w) saw_torn = saw_torn || (pattern[2 * w] == 'n' && pattern[2 * w + 1] == 'o');
    } else {
      // Whole writes (pairs of sectors), any subset.
      for (std::size_t w = 0; w < 4; ++w) CHECK(pattern[2 * w] == pattern[2 * w + 1]);
      saw_gap = saw_gap || pattern.find("on") != std::string::npos;
    }
  }
  CHECK(saw_torn);
  CHECK(saw_gap);
}
