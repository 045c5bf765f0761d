// Store: the file's lifecycle (create, key, open, lock, migrate) and its maintenance.
#include <algorithm>
#include <cstring>
#include <fstream>

#include "client/embedded/client_migrations.hpp"
#include "client/store/store_detail.hpp"
#include "shared/core/file.hpp"
#include "shared/crypto/ed25519.hpp"
#include "shared/crypto/random.hpp"

namespace vigil::client::store {

namespace {

constexpr char k_plain_sqlite_header[] = "SQLite format 3";

// Its error worded for the candidate, naming the data folder (read-only, full).
Status in_dir(Status st, const fs::path& dir, std::string_view doing) {
  if (!st) return fail(dir_error(st.error(), dir, doing));
  return {};
}

// Whether p exists; only "no such file" counts as absent, any other failure (EIO, ESTALE, ELOOP,
// EACCES) is an error, so a transient fault never looks like "no store yet".
Result<bool> path_exists(const fs::path& p) {
  std::error_code ec;
  const auto st = fs::symlink_status(p, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return fail(Errc::io, "checking " + p.string() + ": " + ec.message());
  }
  return !ec && st.type() != fs::file_type::not_found;
}

bool starts_with_plain_sqlite_header(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  char head[sizeof k_plain_sqlite_header] = {};
  in.read(head, sizeof head);
  return in.gcount() == sizeof head && std::memcmp(head, k_plain_sqlite_header, sizeof head) == 0;
}

// SQLCipher takes a raw 256-bit key as the text x'<64 hex digits>' (no key derivation: the key
// is already uniformly random, so PBKDF2 would only slow every open).
Status apply_key(Db& db, const crypto::SecretBytes& key) {
  // SQLCipher logs decryption failures to stderr; a wrong key is reported through our own error.
  (void)db.exec("PRAGMA cipher_log_level = NONE");
  crypto::SecretBytes text;
  text.reserve(3 + 2 * key.size());
  const std::string hex = to_hex(crypto::view(key));
  text.push_back('x');
  text.push_back('\'');
  text.insert(text.end(), hex.begin(), hex.end());
  text.push_back('\'');
  crypto::wipe({reinterpret_cast<std::uint8_t*>(const_cast<char*>(hex.data())), hex.size()});
  const int rc = sqlite3_key(db.handle(), text.data(), static_cast<int>(text.size()));
  if (rc != SQLITE_OK) return fail(db.error(rc, "setting the store key"));
  return {};
}

// The embedded numbered migrations, through the shared runner (which also checks foreign keys).
// A store from a newer Vigil is refused first, in words for the candidate.
Status migrate(Db& db) {
  const auto files = client_migrations();
  assert(files.size() == static_cast<std::size_t>(k_schema_version));
  VIGIL_ASSIGN(const std::int64_t current, db.query_int("PRAGMA user_version"));
  if (current > k_schema_version) {
    return fail(Errc::unsupported_version, "this store was written by a newer version of Vigil (schema " +
                                               std::to_string(current) + "); please update Vigil");
  }
  std::vector<std::string_view> sql(files.size());
  std::ranges::transform(files, sql.begin(), &EmbeddedFile::text);
  return sqlite::migrate(db, sql);
}

Status put_meta(Db& db, std::string_view key, ByteView value) {
  auto st = Statement::prepare(db, "INSERT INTO meta(key, value) VALUES (?, ?)");
  if (!st) return fail(st.error());
  st->bind(1, key).bind(2, value);
  return st->run();
}

Result<Bytes> get_meta(Db& db, std::string_view key) {
  auto st = Statement::prepare(db, "SELECT value FROM meta WHERE key = ?");
  if (!st) return fail(st.error());
  st->bind(1, key);
  VIGIL_ASSIGN(auto value, sqlite::one<Bytes>(*st, [](const Statement& row) { return row.column_blob(0); }));
  if (!value) return fail(Errc::not_a_store, "the store has no " + std::string(key) + " entry");
  return std::move(*value);
}

// Creates a complete, empty store under a temporary name and renames it into place (invariant 4).
Status create_store(const fs::path& dir, const fs::path& path, const crypto::SecretBytes& key, const time::Clock& clock,
                    const char* vfs) {
  const fs::path tmp = with_suffix(path, ".creating");
  // The temporary file doubles as the marker that a creation is under way (see Store::open), so
  // it is emptied, never removed; an empty file is an empty database to SQLite.
  std::error_code ignored;
  for (const char* suffix : {"-journal", "-wal", "-shm"}) fs::remove(with_suffix(tmp, suffix), ignored);
  VIGIL_TRY(in_dir(create_private_file(tmp, true), dir, "creating the store in"));

  {
    auto db = Db::open(tmp.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs);
    if (!db) return fail(std::move(db).error().context("creating the store"));
    VIGIL_TRY(apply_key(*db, key));
    // Rollback-journal mode while creating: the finished file is self-contained at rename time.
    VIGIL_TRY(db->exec("PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL"));
    VIGIL_TRY(migrate(*db));

    auto identity = crypto::ed25519_generate();
    if (!identity) return fail(identity.error());
    auto device_id = crypto::random_bytes(16);
    if (!device_id) return fail(device_id.error());
    auto tx = Transaction::begin(*db);
    if (!tx) return fail(tx.error());
    VIGIL_TRY(put_meta(*db, "format", as_bytes(k_store_format)));
    VIGIL_TRY(put_meta(*db, "device_id", as_bytes(to_hex(*device_id))));
    VIGIL_TRY(put_meta(*db, "device_seed", crypto::view(identity->seed)));
    VIGIL_TRY(put_meta(*db, "device_public", identity->public_key));
    VIGIL_TRY(put_meta(*db, "created_wall_ms", as_bytes(std::to_string(clock.wall_ms()))));
    VIGIL_TRY(tx->commit());
  }
  // The store (and the WAL and shared-memory files SQLite later creates with the same mode) is
  // readable by this user only, whatever the umask.
  VIGIL_TRY(in_dir(make_private(tmp), dir, "protecting the new store in"));
  VIGIL_TRY(in_dir(sync_file(tmp), tmp, "syncing"));
  // Installing never replaces an existing file: if a store appeared at `path` meanwhile (or an
  // existence check was wrong), creation fails instead of overwriting it.
  if (auto installed = install_new_file(tmp, path); !installed) {
    if (installed.error().code == Errc::already_exists)
      return fail(Errc::already_exists, "a store already exists at " + path.string() + "; it was left as it is");
    return fail(dir_error(installed.error(), dir, "installing the new store in"));
  }
  return in_dir(sync_directory(dir), dir, "syncing");
}

}  // namespace

Store::~Store() {
  db_.close();  // before lock_ is released (members are destroyed after this body)
}

Result<std::unique_ptr<Store>> Store::open(StoreOptions options) {
  std::unique_ptr<Store> s(new Store());
  s->dir_ = options.dir;
  s->path_ = options.dir / "store.db";
  s->clock_ = options.clock != nullptr ? options.clock : &time::system_clock();
  s->checkpoint_every_ = std::max<std::uint32_t>(1, options.checkpoint_every);

  std::error_code ec;
  if (!fs::exists(s->dir_, ec)) {
    if (!fs::create_directories(s->dir_, ec)) return fail(dir_error(file_error(ec), s->dir_, "creating"));
    fs::permissions(s->dir_, fs::perms::owner_all, fs::perm_options::replace, ec);
  }
  VIGIL_TRY(in_dir(check_writable_directory(s->dir_), s->dir_, "writing to"));

  // Invariant 5: one process per store.
  auto lock = platform::InstanceLock::acquire(s->dir_ / "store.lock");
  if (!lock) {
    if (lock.error().code == Errc::busy) {
      return fail(Errc::busy, "another Vigil client is already using the store in " + s->dir_.string() +
                                  ": close it first (only one may run at a time)");
    }
    return fail(dir_error(lock.error(), s->dir_, "locking the store in"));
  }
  s->lock_ = std::move(*lock);

  s->key_store_ = options.key_store ? std::move(options.key_store) : choose_key_store(s->dir_, options.key_storage);
  auto stored_key = s->key_store_->load();
  if (!stored_key) return fail(std::move(stored_key).error());

  VIGIL_ASSIGN(const bool store_exists, path_exists(s->path_));
  if (!store_exists) {
    const fs::path creating = with_suffix(s->path_, ".creating");
    for (const char* suffix : {"-wal", "-shm"}) {
      VIGIL_ASSIGN(const bool leftover, path_exists(with_suffix(s->path_, suffix)));
      if (leftover) {
        return fail(Errc::not_a_store, "the store file " + s->path_.string() + " is missing but its " + suffix +
                                           " file is still there: the store was damaged outside Vigil. Nothing was "
                                           "changed; contact support");
      }
    }
    VIGIL_ASSIGN(const bool creation_under_way, path_exists(creating));
    if (*stored_key && !creation_under_way) {
      return fail(Errc::not_a_store,
                  "the store file " + s->path_.string() + " is missing although its key exists (in the " +
                      s->key_store_->description() +
                      "): it was removed outside Vigil, and answers not yet sent to the server may be lost. Nothing "
                      "was changed. To start a new store, remove that key first; contact support if unsure");
    }
    crypto::SecretBytes key;
    if (*stored_key) {
      key = std::move(**stored_key);  // a creation was interrupted after the key was saved: reuse it
    } else {
      // Mark the creation as under way before the key exists, so that a key without a store is
      // only ever accepted while this marker is present.
      VIGIL_TRY(in_dir(create_private_file(creating, false), s->dir_, "creating the store in"));
      VIGIL_TRY(in_dir(sync_directory(s->dir_), s->dir_, "syncing"));
      auto fresh = crypto::random_secret(k_store_key_size);
      if (!fresh) return fail(fresh.error());
      key = std::move(*fresh);
      VIGIL_TRY(s->key_store_->save(key));
    }
    VIGIL_TRY(create_store(s->dir_, s->path_, key, *s->clock_, options.sqlite_vfs));
    stored_key = std::optional<crypto::SecretBytes>(std::move(key));
  }

  // Invariant 4: never treat an existing file as a new store.
  const auto size = fs::file_size(s->path_, ec);
  if (ec) return fail(Errc::io, "reading " + s->path_.string() + ": " + ec.message());
  if (size == 0) {
    return fail(Errc::not_a_store, "the store file " + s->path_.string() +
                                       " is empty, which Vigil never writes: it was damaged outside Vigil. "
                                       "It has been left as it is; contact support before removing it");
  }
  if (!*stored_key) {
    return fail(Errc::wrong_key, "the store in " + s->dir_.string() + " exists but its key was not found (looked in the " +
                                     s->key_store_->description() + ")");
  }

  auto db = Db::open(s->path_.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, options.sqlite_vfs);
  if (!db) return fail(std::move(db).error().context("opening the store"));
  s->db_ = std::move(*db);
  // Until the key and the format marker are verified, closing this connection must not
  // checkpoint a leftover WAL into the file (SQLite does that on close by default): a wrong key
  // or a foreign file is left exactly as it was found.
  sqlite3_db_config(s->db_.handle(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  VIGIL_TRY(apply_key(s->db_, **stored_key));
  if (auto probe = s->db_.query_int("SELECT count(*) FROM sqlite_schema"); !probe) {
    if (probe.error().code != Errc::wrong_key && probe.error().code != Errc::integrity) return fail(probe.error());
    if (starts_with_plain_sqlite_header(s->path_)) {
      return fail(Errc::not_a_store,
                  s->path_.string() + " is an unencrypted SQLite database, not a Vigil store; it was left untouched");
    }
    return fail(Errc::wrong_key, "the store " + s->path_.string() + " could not be decrypted with the key from the " +
                                     s->key_store_->description() + ": the key is wrong or the file is not a Vigil store");
  }
  {
    // Ours? (A foreign SQLCipher database that happens to open with this key is not.)
    auto format = s->db_.query_text("SELECT value FROM meta WHERE key = 'format'");
    if (!format || !*format || **format != k_store_format) {
      return fail(Errc::not_a_store, s->path_.string() + " is not a Vigil client store; it was left untouched");
    }
  }
  sqlite3_db_config(s->db_.handle(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, nullptr);
  auto mode = s->db_.query_text("PRAGMA journal_mode = WAL");
  if (!mode) return fail(storage_error(mode.error(), s->dir_));
  if (!*mode || **mode != "wal") return fail(Errc::io, "the store could not switch to write-ahead logging");
  // wal_autocheckpoint: copying the WAL back into the database costs several fsyncs; doing it on
  // the save path every 1,000 pages (SQLite's default) put it inside ~1% of saves. The client
  // calls checkpoint_wal() when idle instead; 8,192 pages (32 MiB) is only the upper bound.
  VIGIL_TRY(s->db_.exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; "
                        "PRAGMA wal_autocheckpoint = 8192"));
  if (auto m = migrate(s->db_); !m) return fail(storage_error(m.error(), s->dir_));
  VIGIL_TRY(s->load_identity());
  return s;
}

Status Store::load_identity() {
  auto format = get_meta(db_, "format");
  if (!format || as_chars(*format) != k_store_format) {
    return fail(Errc::not_a_store, path_.string() + " is not a Vigil client store");
  }
  auto id = get_meta(db_, "device_id");
  auto seed = get_meta(db_, "device_seed");
  auto pub = get_meta(db_, "device_public");
  if (!id || !seed || !pub) {
    if (seed) crypto::wipe(*seed);
    return fail(Errc::not_a_store, "the store's device identity is incomplete");
  }
  device_id_ = std::string(as_chars(*id));
  device_seed_ = crypto::SecretBytes(seed->begin(), seed->end());
  crypto::wipe(*seed);
  device_public_ = std::move(*pub);
  return {};
}

Status Store::checkpoint_wal() {
  Lock lock(*this);
  // Returns one row (busy, log pages, checkpointed pages); busy = 1 means it could not finish.
  auto busy = db_.query_int("PRAGMA wal_checkpoint(TRUNCATE)");
  if (!busy) return fail(storage_error(busy.error(), dir_));
  if (*busy != 0) return fail(Errc::busy, "the write-ahead log could not be checkpointed now; it will be later");
  return {};
}

Result<std::string> Store::integrity_check() {
  Lock lock(*this);
  auto st = db_.cached("PRAGMA integrity_check");
  if (!st) return fail(st.error());
  std::string out;
  for (;;) {
    auto row = st->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    if (!out.empty()) out += "\n";
    out += st->column_text(0);
  }
  return out;
}
}  // namespace vigil::client::store
