#include "client/store/store.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "client/embedded/client_migrations.hpp"
#include "shared/crypto/ed25519.hpp"
#include "shared/crypto/kdf.hpp"
#include "shared/crypto/random.hpp"
#include "shared/encoding/canonical.hpp"
#include "shared/protocol/messages.hpp"
#include "shared/protocol/sync.hpp"

namespace vigil::client::store {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_max_id_length = 128;
constexpr char k_plain_sqlite_header[] = "SQLite format 3";

std::string errno_text(int e) { return std::strerror(e); }

Error dir_error(int e, const fs::path& dir, std::string_view doing) {
  if (e == EROFS || e == EACCES || e == EPERM) {
    return Error(Errc::read_only, "the data folder " + dir.string() + " is read-only (" + errno_text(e) +
                                      "): Vigil needs to write there to keep your answers safe");
  }
  if (e == ENOSPC || e == EDQUOT) {
    return Error(Errc::disk_full, "the disk holding " + dir.string() + " is full: free some space and try again");
  }
  return Error(Errc::io, std::string(doing) + " " + dir.string() + ": " + errno_text(e));
}

// Rewrites SQLite's terse messages for the two failures a candidate may meet while saving.
Error storage_error(Error e, const fs::path& dir) {
  if (e.code == Errc::disk_full) {
    e.message = "the disk holding " + dir.string() +
                " is full, so this change was not saved (everything saved before it is safe): free some space and try again";
  } else if (e.code == Errc::read_only) {
    e.message = "the data folder " + dir.string() + " has become read-only, so this change was not saved (" + e.message + ")";
  }
  return e;
}

Status fsync_path(const fs::path& p, bool directory) {
  const int fd = ::open(p.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
  if (fd < 0) return fail(dir_error(errno, p, "opening"));
  const int rc = ::fsync(fd);
  const int e = errno;
  ::close(fd);
  if (rc != 0) return fail(dir_error(e, p, "syncing"));
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

Status migrate(Db& db) {
  auto current = db.query_int("PRAGMA user_version");
  if (!current) return fail(current.error());
  if (*current > k_schema_version) {
    return fail(Errc::unsupported_version, "this store was written by a newer version of Vigil (schema " +
                                               std::to_string(*current) + "); please update Vigil");
  }
  const auto files = client_migrations();
  for (std::size_t i = static_cast<std::size_t>(*current); i < files.size(); ++i) {
    auto tx = Transaction::begin(db);
    if (!tx) return fail(tx.error());
    VIGIL_TRY(db.exec(files[i].text));
    VIGIL_TRY(db.exec("PRAGMA user_version = " + std::to_string(i + 1)));
    VIGIL_TRY(tx->commit());
  }
  return {};
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
  auto row = st->step();
  if (!row) return fail(row.error());
  if (!*row) return fail(Errc::not_a_store, "the store has no " + std::string(key) + " entry");
  return st->column_blob(0);
}

// Every row's first column, as text.
Result<std::vector<std::string>> first_column_texts(Statement& st) {
  std::vector<std::string> out;
  for (;;) {
    auto row = st.step();
    if (!row) return fail(row.error());
    if (!*row) break;
    out.push_back(st.column_text(0));
  }
  return out;
}

// Journal rows selected as (seq, prev_hash, boot_id, mono_ns, wall_ms, type, payload_hash,
// payload), in the order given.
Result<std::vector<journal::Entry>> read_entries(Statement& st) {
  std::vector<journal::Entry> out;
  for (;;) {
    auto row = st.step();
    if (!row) return fail(row.error());
    if (!*row) break;
    journal::Entry e;
    e.record.seq = static_cast<std::uint64_t>(st.column_int(0));
    const Bytes prev = st.column_blob(1);
    const Bytes ph = st.column_blob(6);
    // A wrong-sized hash cannot match anything; keep zeros so the verifier reports the record.
    if (prev.size() == e.record.prev_hash.size()) std::copy(prev.begin(), prev.end(), e.record.prev_hash.begin());
    if (ph.size() == e.record.payload_hash.size()) std::copy(ph.begin(), ph.end(), e.record.payload_hash.begin());
    e.record.boot_id = st.column_text(2);
    e.record.monotonic_ns = static_cast<std::uint64_t>(st.column_int(3));
    e.record.wall_ms = st.column_int(4);
    e.record.type = st.column_text(5);
    e.payload = st.column_blob(7);
    out.push_back(std::move(e));
  }
  return out;
}

Status validate_id(std::string_view what, std::string_view id) {
  if (id.empty() || id.size() > k_max_id_length) {
    return fail(Errc::invalid_argument, std::string(what) + " must be 1 to 128 characters");
  }
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.';
    if (!ok) return fail(Errc::invalid_argument, std::string(what) + " may hold only letters, digits, '-', '_' and '.'");
  }
  return {};
}

// Creates a complete, empty store under a temporary name and renames it into place (invariant 4).
Status create_store(const fs::path& dir, const fs::path& path, const crypto::SecretBytes& key, const time::Clock& clock,
                    const char* vfs) {
  const fs::path tmp = path.string() + ".creating";
  // The temporary file doubles as the marker that a creation is under way (see Store::open), so
  // it is emptied, never removed; an empty file is an empty database to SQLite.
  for (const char* suffix : {"-journal", "-wal", "-shm"}) ::unlink((tmp.string() + suffix).c_str());
  {
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return fail(dir_error(errno, dir, "creating the store in"));
    ::close(fd);
  }

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
  if (::chmod(tmp.c_str(), 0600) != 0) return fail(dir_error(errno, dir, "protecting the new store in"));
  VIGIL_TRY(fsync_path(tmp, false));
  // link() never replaces an existing file: if a store appeared at `path` meanwhile (or an
  // existence check was wrong), creation fails instead of overwriting it.
  if (::link(tmp.c_str(), path.c_str()) != 0) {
    if (errno == EEXIST) return fail(Errc::already_exists, "a store already exists at " + path.string() + "; it was left as it is");
    return fail(dir_error(errno, dir, "installing the new store in"));
  }
  ::unlink(tmp.c_str());
  return fsync_path(dir, true);
}

}  // namespace

Store::~Store() {
  db_.close();
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

Result<std::unique_ptr<Store>> Store::open(StoreOptions options) {
  std::unique_ptr<Store> s(new Store());
  s->dir_ = options.dir;
  s->path_ = options.dir / "store.db";
  s->clock_ = options.clock != nullptr ? options.clock : &time::system_clock();
  s->checkpoint_every_ = std::max<std::uint32_t>(1, options.checkpoint_every);

  std::error_code ec;
  if (!fs::exists(s->dir_, ec)) {
    if (!fs::create_directories(s->dir_, ec)) return fail(dir_error(ec.value(), s->dir_, "creating"));
    fs::permissions(s->dir_, fs::perms::owner_all, fs::perm_options::replace, ec);
  }
  if (::access(s->dir_.c_str(), W_OK) != 0) return fail(dir_error(errno, s->dir_, "writing to"));

  // Invariant 5: one process per store.
  const fs::path lock_path = s->dir_ / "store.lock";
  s->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (s->lock_fd_ < 0) return fail(dir_error(errno, s->dir_, "locking the store in"));
  if (::flock(s->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return fail(Errc::busy, "another Vigil client is already using the store in " + s->dir_.string() +
                                  ": close it first (only one may run at a time)");
    }
    return fail(dir_error(errno, s->dir_, "locking the store in"));
  }

  s->key_store_ = options.key_store ? std::move(options.key_store) : choose_key_store(s->dir_, options.key_storage);
  auto stored_key = s->key_store_->load();
  if (!stored_key) return fail(std::move(stored_key).error());

  VIGIL_ASSIGN(const bool store_exists, path_exists(s->path_));
  if (!store_exists) {
    const fs::path creating = s->path_.string() + ".creating";
    for (const char* suffix : {"-wal", "-shm"}) {
      VIGIL_ASSIGN(const bool leftover, path_exists(s->path_.string() + suffix));
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
      const int fd = ::open(creating.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
      if (fd < 0) return fail(dir_error(errno, s->dir_, "creating the store in"));
      ::close(fd);
      VIGIL_TRY(fsync_path(s->dir_, true));
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

Status Store::begin_session(std::string_view session_id, std::string_view assessment_id) {
  std::lock_guard lock(mu_);
  VIGIL_TRY(validate_id("session id", session_id));
  VIGIL_TRY(validate_id("assessment id", assessment_id));
  {
    auto st = db_.cached("SELECT assessment_id FROM sessions WHERE session_id = ?");
    if (!st) return fail(st.error());
    st->bind(1, session_id);
    auto row = st->step();
    if (!row) return fail(row.error());
    if (*row) {
      if (st->column_text(0) == assessment_id) return {};
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
  std::lock_guard lock(mu_);
  auto st = db_.cached("SELECT session_id FROM sessions ORDER BY created_wall_ms, session_id");
  if (!st) return fail(st.error());
  return first_column_texts(*st);
}

Result<journal::Appender*> Store::appender(std::string_view session_id) {
  if (auto it = appenders_.find(session_id); it != appenders_.end()) return &it->second;
  auto exists = db_.cached("SELECT 1 FROM sessions WHERE session_id = ?");
  if (!exists) return fail(exists.error());
  exists->bind(1, session_id);
  auto found = exists->step();
  if (!found) return fail(found.error());
  if (!*found) return fail(Errc::not_found, "there is no session " + std::string(session_id) + " on this device");

  const std::string chain = journal::chain_id_for(device_id_, session_id);
  journal::Head head = journal::Head::genesis(chain);
  auto st = db_.cached(
                               "SELECT seq, prev_hash, boot_id, mono_ns, wall_ms, type, payload_hash FROM journal "
                               "WHERE session_id = ? ORDER BY seq DESC LIMIT 1");
  if (!st) return fail(st.error());
  st->bind(1, session_id);
  auto row = st->step();
  if (!row) return fail(row.error());
  if (*row) {
    journal::Record r;
    r.seq = static_cast<std::uint64_t>(st->column_int(0));
    const Bytes prev = st->column_blob(1);
    const Bytes ph = st->column_blob(6);
    if (prev.size() != r.prev_hash.size() || ph.size() != r.payload_hash.size()) {
      return fail(Errc::integrity, "the journal of session " + std::string(session_id) + " is damaged");
    }
    std::copy(prev.begin(), prev.end(), r.prev_hash.begin());
    std::copy(ph.begin(), ph.end(), r.payload_hash.begin());
    r.boot_id = st->column_text(2);
    r.monotonic_ns = static_cast<std::uint64_t>(st->column_int(3));
    r.wall_ms = st->column_int(4);
    r.type = st->column_text(5);
    head = journal::Head::after(r);
  }
  return &appenders_.insert_or_assign(std::string(session_id), journal::Appender(chain, head)).first->second;
}

Result<journal::Record> Store::append_in_tx(journal::Appender& app, std::string_view type, ByteView payload,
                                            OutboxPriority priority) {
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
  auto cp = journal::make_checkpoint(chain_id, head, crypto::view(device_seed_));
  if (!cp) return fail(cp.error());
  auto ci = db_.cached("INSERT INTO checkpoints(session_id, seq, head_hash, wall_ms, signature) VALUES (?, ?, ?, ?, ?) "
                       "ON CONFLICT(session_id, seq) DO NOTHING");
  if (!ci) return fail(ci.error());
  ci->bind(1, session_id).bind(2, static_cast<std::int64_t>(cp->seq)).bind(3, ByteView(cp->head_hash)).bind(4, cp->wall_ms)
      .bind(5, ByteView(cp->signature));
  return ci->run();
}

Result<SaveReceipt> Store::save_answer(std::string_view session_id, std::string_view item_id, std::string_view value) {
  std::lock_guard lock(mu_);
  VIGIL_TRY(validate_id("item id", item_id));
  if (value.size() > protocol::k_max_answer_bytes) {
    return fail(Errc::invalid_argument, "the answer is longer than 100,000 bytes (about 15,000 words)");
  }
  if (!canonical::is_valid_utf8(value)) return fail(Errc::invalid_argument, "the answer is not valid UTF-8 text");
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

Result<std::uint64_t> Store::record_event(std::string_view session_id, std::string_view type, std::string_view payload,
                                          OutboxPriority priority) {
  std::lock_guard lock(mu_);
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
  std::lock_guard lock(mu_);
  auto app = appender(session_id);
  if (!app) return fail(app.error());
  auto cp = journal::make_checkpoint((*app)->chain_id(), (*app)->head(), crypto::view(device_seed_));
  if (!cp) return fail(cp.error());
  auto ci = db_.cached(
                               "INSERT INTO checkpoints(session_id, seq, head_hash, wall_ms, signature) VALUES (?, ?, ?, ?, ?) "
                               "ON CONFLICT(session_id, seq) DO NOTHING");
  if (!ci) return fail(ci.error());
  ci->bind(1, session_id).bind(2, static_cast<std::int64_t>(cp->seq)).bind(3, ByteView(cp->head_hash)).bind(4, cp->wall_ms).bind(5, ByteView(cp->signature));
  if (auto r = ci->run(); !r) return fail(storage_error(r.error(), dir_));
  return cp;
}

namespace {
Result<std::vector<Answer>> read_answers(Statement& st) {
  std::vector<Answer> out;
  for (;;) {
    auto row = st.step();
    if (!row) return fail(row.error());
    if (!*row) break;
    out.push_back(Answer{st.column_text(0), static_cast<std::uint64_t>(st.column_int(1)), st.column_text(2),
                         st.column_int(3), static_cast<std::uint64_t>(st.column_int(4))});
  }
  return out;
}
}  // namespace

Result<std::optional<Answer>> Store::answer(std::string_view session_id, std::string_view item_id) {
  std::lock_guard lock(mu_);
  auto st = db_.cached("SELECT item_id, revision, value, saved_wall_ms, journal_seq FROM answers "
                                    "WHERE session_id = ? AND item_id = ?");
  if (!st) return fail(st.error());
  st->bind(1, session_id).bind(2, item_id);
  auto all = read_answers(*st);
  if (!all) return fail(all.error());
  if (all->empty()) return std::optional<Answer>{};
  return std::optional<Answer>{std::move(all->front())};
}

Result<std::vector<Answer>> Store::answers(std::string_view session_id) {
  std::lock_guard lock(mu_);
  auto st = db_.cached("SELECT item_id, revision, value, saved_wall_ms, journal_seq FROM answers "
                                    "WHERE session_id = ? ORDER BY item_id");
  if (!st) return fail(st.error());
  st->bind(1, session_id);
  return read_answers(*st);
}

Result<std::vector<Answer>> Store::answer_history(std::string_view session_id, std::string_view item_id) {
  std::lock_guard lock(mu_);
  auto st = db_.cached("SELECT item_id, revision, value, saved_wall_ms, journal_seq FROM answer_revisions "
                                    "WHERE session_id = ? AND item_id = ? ORDER BY revision");
  if (!st) return fail(st.error());
  st->bind(1, session_id).bind(2, item_id);
  return read_answers(*st);
}

Result<std::vector<journal::Entry>> Store::journal_entries(std::string_view session_id) {
  std::lock_guard lock(mu_);
  auto st = db_.cached(
                               "SELECT seq, prev_hash, boot_id, mono_ns, wall_ms, type, payload_hash, payload FROM journal "
                               "WHERE session_id = ? ORDER BY seq");
  if (!st) return fail(st.error());
  st->bind(1, session_id);
  return read_entries(*st);
}

Result<std::vector<journal::Checkpoint>> Store::checkpoints(std::string_view session_id) {
  std::lock_guard lock(mu_);
  auto st = db_.cached("SELECT seq, head_hash, wall_ms, signature FROM checkpoints WHERE session_id = ? ORDER BY seq");
  if (!st) return fail(st.error());
  st->bind(1, session_id);
  std::vector<journal::Checkpoint> out;
  const std::string chain = journal::chain_id_for(device_id_, session_id);
  for (;;) {
    auto row = st->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    journal::Checkpoint c;
    c.chain_id = chain;
    c.seq = static_cast<std::uint64_t>(st->column_int(0));
    const Bytes h = st->column_blob(1);
    if (h.size() == c.head_hash.size()) std::copy(h.begin(), h.end(), c.head_hash.begin());
    c.wall_ms = st->column_int(2);
    c.signature = st->column_blob(3);
    out.push_back(std::move(c));
  }
  return out;
}

Result<journal::Report> Store::verify_journal(std::string_view session_id) {
  std::lock_guard lock(mu_);
  auto entries = journal_entries(session_id);
  if (!entries) return fail(entries.error());
  auto cps = checkpoints(session_id);
  if (!cps) return fail(cps.error());
  const std::string chain = journal::chain_id_for(device_id_, session_id);
  journal::VerifyInput in{chain, journal::Head::genesis(chain), *entries, *cps, device_public_};
  return journal::verify(in);
}

Result<std::vector<OutboxItem>> Store::outbox_pending(std::size_t limit) {
  std::lock_guard lock(mu_);
  auto st = db_.cached("SELECT session_id, seq, priority FROM outbox ORDER BY priority, session_id, seq LIMIT ?");
  if (!st) return fail(st.error());
  st->bind(1, static_cast<std::int64_t>(limit));
  std::vector<OutboxItem> out;
  for (;;) {
    auto row = st->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    out.push_back(OutboxItem{st->column_text(0), static_cast<std::uint64_t>(st->column_int(1)),
                             static_cast<OutboxPriority>(st->column_int(2))});
  }
  return out;
}

Result<OutboxCounts> Store::outbox_counts() {
  std::lock_guard lock(mu_);
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
  std::lock_guard lock(mu_);
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
  auto st = db_.cached("DELETE FROM outbox WHERE session_id = ? AND seq >= ? AND seq <= ?");
  if (!st) return fail(st.error());
  st->bind(1, session_id)
      .bind(2, static_cast<std::int64_t>(sent.first))
      .bind(3, static_cast<std::int64_t>(std::min(acked_up_to, sent.last)));
  if (auto r = st->run(); !r) return fail(storage_error(r.error(), dir_));
  return {};
}

Status Store::checkpoint_wal() {
  std::lock_guard lock(mu_);
  // Returns one row (busy, log pages, checkpointed pages); busy = 1 means it could not finish.
  auto busy = db_.query_int("PRAGMA wal_checkpoint(TRUNCATE)");
  if (!busy) return fail(storage_error(busy.error(), dir_));
  if (*busy != 0) return fail(Errc::busy, "the write-ahead log could not be checkpointed now; it will be later");
  return {};
}

Result<std::string> Store::integrity_check() {
  std::lock_guard lock(mu_);
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

// ---- sync support ----------------------------------------------------------------------------

Status Store::save_enrolment(const Enrolment& e) {
  std::lock_guard lock(mu_);
  auto st = db_.cached("INSERT INTO enrolment(id, candidate_id, server_trust, device_cert_pem, ca_chain_pem, "
                       "device_key_pem, receipt_public_key, evidence_public_key, enrolled_wall_ms) "
                       "VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!st) return fail(st.error());
  st->bind(1, e.candidate_id).bind(2, e.server_trust_json).bind(3, e.device_cert_pem).bind(4, e.ca_chain_pem)
      .bind(5, crypto::view(e.device_key_pem)).bind(6, ByteView(e.receipt_public_key))
      .bind(7, ByteView(e.evidence_public_key)).bind(8, clock_->wall_ms());
  auto r = st->run();
  if (!r && r.error().code == Errc::conflict) return fail(Errc::already_exists, "this device is already enrolled");
  if (!r) return fail(storage_error(r.error(), dir_));
  return {};
}

Result<std::optional<Enrolment>> Store::enrolment() {
  std::lock_guard lock(mu_);
  auto st = db_.cached("SELECT candidate_id, server_trust, device_cert_pem, ca_chain_pem, device_key_pem, "
                       "receipt_public_key, evidence_public_key FROM enrolment WHERE id = 1");
  if (!st) return fail(st.error());
  auto row = st->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<Enrolment>{};
  Enrolment e;
  e.candidate_id = st->column_text(0);
  e.server_trust_json = st->column_text(1);
  e.device_cert_pem = st->column_text(2);
  e.ca_chain_pem = st->column_text(3);
  Bytes key = st->column_blob(4);
  e.device_key_pem = crypto::SecretBytes(key.begin(), key.end());
  crypto::wipe(key);
  e.receipt_public_key = st->column_blob(5);
  e.evidence_public_key = st->column_blob(6);
  return std::optional<Enrolment>{std::move(e)};
}

Result<std::vector<std::string>> Store::sessions_with_pending_records() {
  std::lock_guard lock(mu_);
  auto st = db_.cached("SELECT session_id FROM outbox GROUP BY session_id ORDER BY min(priority), session_id");
  if (!st) return fail(st.error());
  return first_column_texts(*st);
}

Status Store::requeue(std::string_view session_id, std::uint64_t from_seq) {
  std::lock_guard lock(mu_);
  auto st = db_.cached("INSERT INTO outbox(session_id, seq, priority, created_wall_ms) "
                       "SELECT session_id, seq, ?, ? FROM journal WHERE session_id = ? AND seq >= ? "
                       "ON CONFLICT(session_id, seq) DO NOTHING");
  if (!st) return fail(st.error());
  st->bind(1, static_cast<std::int64_t>(OutboxPriority::answers)).bind(2, clock_->wall_ms()).bind(3, session_id)
      .bind(4, static_cast<std::int64_t>(from_seq));
  if (auto r = st->run(); !r) return fail(storage_error(r.error(), dir_));
  return {};
}

Result<std::vector<journal::Entry>> Store::pending_records(std::string_view session_id, std::size_t limit) {
  std::lock_guard lock(mu_);
  // A session's records go in sequence order whatever their priority: the server accepts only a
  // contiguous extension of the chain it holds.
  auto st = db_.cached("SELECT j.seq, j.prev_hash, j.boot_id, j.mono_ns, j.wall_ms, j.type, j.payload_hash, j.payload "
                       "FROM outbox o JOIN journal j ON j.session_id = o.session_id AND j.seq = o.seq "
                       "WHERE o.session_id = ? ORDER BY o.seq LIMIT ?");
  if (!st) return fail(st.error());
  st->bind(1, session_id).bind(2, static_cast<std::int64_t>(limit));
  return read_entries(*st);
}

Result<bool> Store::is_submitted(std::string_view session_id) {
  std::lock_guard lock(mu_);
  auto st = db_.cached("SELECT state FROM sessions WHERE session_id = ?");
  if (!st) return fail(st.error());
  st->bind(1, session_id);
  auto row = st->step();
  if (!row) return fail(row.error());
  if (!*row) return fail(Errc::not_found, "there is no session " + std::string(session_id) + " on this device");
  return st->column_text(0) == "submitted";
}

Result<std::uint64_t> Store::submit_session(std::string_view session_id) {
  std::lock_guard lock(mu_);
  auto done = is_submitted(session_id);
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
    for (;;) {
      auto row = st->step();
      if (!row) return fail(row.error());
      if (!*row) break;
      const Bytes h = st->column_blob(0);
      std::array<std::uint8_t, 32> d{};
      if (h.size() == d.size()) std::copy(h.begin(), h.end(), d.begin());
      manifest.blobs.push_back(d);
    }
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

Result<journal::Hash> Store::add_blob(std::string_view session_id, ByteView data, OutboxPriority priority) {
  std::lock_guard lock(mu_);
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
  std::lock_guard lock(mu_);
  auto st = db_.cached("SELECT sha256, session_id, priority, length(data) FROM blobs WHERE uploaded_wall_ms IS NULL "
                       "ORDER BY priority, session_id, sha256");
  if (!st) return fail(st.error());
  std::vector<PendingBlob> out;
  for (;;) {
    auto row = st->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    PendingBlob b;
    const Bytes h = st->column_blob(0);
    if (h.size() == b.sha256.size()) std::copy(h.begin(), h.end(), b.sha256.begin());
    b.session_id = st->column_text(1);
    b.priority = static_cast<OutboxPriority>(st->column_int(2));
    b.size = static_cast<std::uint64_t>(st->column_int(3));
    out.push_back(std::move(b));
  }
  return out;
}

Result<Bytes> Store::blob_chunk(const journal::Hash& sha256, std::uint64_t offset, std::size_t length) {
  std::lock_guard lock(mu_);
  auto st = db_.cached("SELECT substr(data, ? + 1, ?) FROM blobs WHERE sha256 = ?");
  if (!st) return fail(st.error());
  st->bind(1, static_cast<std::int64_t>(offset)).bind(2, static_cast<std::int64_t>(length)).bind(3, ByteView(sha256));
  auto row = st->step();
  if (!row) return fail(row.error());
  if (!*row) return fail(Errc::not_found, "no such blob on this device");
  return st->column_blob(0);
}

Status Store::mark_blob_uploaded(const journal::Hash& sha256) {
  std::lock_guard lock(mu_);
  auto st = db_.cached("UPDATE blobs SET uploaded_wall_ms = ? WHERE sha256 = ?");
  if (!st) return fail(st.error());
  st->bind(1, clock_->wall_ms()).bind(2, ByteView(sha256));
  if (auto r = st->run(); !r) return fail(storage_error(r.error(), dir_));
  return {};
}

Status Store::save_receipt(std::string_view session_id, std::string_view receipt_json) {
  std::lock_guard lock(mu_);
  auto st = db_.cached("INSERT INTO receipts(session_id, receipt, received_wall_ms) VALUES (?, ?, ?) "
                       "ON CONFLICT(session_id) DO NOTHING");
  if (!st) return fail(st.error());
  st->bind(1, session_id).bind(2, receipt_json).bind(3, clock_->wall_ms());
  if (auto r = st->run(); !r) return fail(storage_error(r.error(), dir_));
  return {};
}

Result<std::optional<std::string>> Store::receipt(std::string_view session_id) {
  std::lock_guard lock(mu_);
  auto st = db_.cached("SELECT receipt FROM receipts WHERE session_id = ?");
  if (!st) return fail(st.error());
  st->bind(1, session_id);
  auto row = st->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<std::string>{};
  return std::optional<std::string>{st->column_text(0)};
}

Result<std::vector<std::string>> Store::sessions_awaiting_receipt() {
  std::lock_guard lock(mu_);
  auto st = db_.cached("SELECT s.session_id FROM sessions s LEFT JOIN receipts r ON r.session_id = s.session_id "
                       "WHERE s.state = 'submitted' AND r.session_id IS NULL ORDER BY s.session_id");
  if (!st) return fail(st.error());
  return first_column_texts(*st);
}

Status Store::put_state(std::string_view name, ByteView value) {
  std::lock_guard lock(mu_);
  auto st = db_.cached("INSERT INTO state(name, value, updated_wall_ms) VALUES (?, ?, ?) "
                       "ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_wall_ms = excluded.updated_wall_ms");
  if (!st) return fail(st.error());
  st->bind(1, name).bind(2, value).bind(3, clock_->wall_ms());
  if (auto r = st->run(); !r) return fail(storage_error(r.error(), dir_));
  return {};
}

Result<std::optional<Bytes>> Store::get_state(std::string_view name) {
  std::lock_guard lock(mu_);
  auto st = db_.cached("SELECT value FROM state WHERE name = ?");
  if (!st) return fail(st.error());
  st->bind(1, name);
  auto row = st->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<Bytes>{};
  return std::optional<Bytes>{st->column_blob(0)};
}

Status Store::erase_state(std::string_view name) {
  std::lock_guard lock(mu_);
  auto st = db_.cached("DELETE FROM state WHERE name = ?");
  if (!st) return fail(st.error());
  st->bind(1, name);
  if (auto r = st->run(); !r) return fail(storage_error(r.error(), dir_));
  return {};
}

Result<crypto::SecretBytes> Store::derive_device_secret(std::string_view purpose, std::size_t length) {
  std::lock_guard lock(mu_);
  if (purpose.empty()) return fail(Errc::invalid_argument, "a device key purpose is required");
  const std::string info = "vigil.device." + std::string(purpose) + ".v1";
  return crypto::hkdf_sha256(crypto::view(device_seed_), {}, as_bytes(info), length);
}

}  // namespace vigil::client::store
