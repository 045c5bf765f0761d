// The power-loss VFS (power_cut_vfs.hpp). Compiled into each power-cut driver against that
// driver's SQLite flavour (shared/sqlite/sqlite.hpp picks SQLCipher's or plain sqlite3.h).
#include "tests/support/power_cut_vfs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <random>
#include <vector>

#include "shared/sqlite/sqlite.hpp"

namespace vigil::testing {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t k_sector = 512;

// One change to a file since its last sync, with what it replaced.
struct Op {
  bool truncate = false;
  sqlite3_int64 offset = 0;    // write: where; truncate: the new size
  std::string data;            // write: the bytes written
  sqlite3_int64 old_size = 0;  // the file's size before
  sqlite3_int64 old_at = 0;    // where old_bytes were
  std::string old_bytes;       // what the write overwrote, or the truncate cut off
};

struct PathState {
  std::vector<Op> unsynced;
  bool entry_pending = false;  // created or deleted since its directory's last sync
  bool existed = false;        // at that sync (when entry_pending)
  std::string durable;         // its durable contents then (when entry_pending and existed)
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "power-cut VFS: %s\n", what.c_str());
  std::abort();  // not an exception: this runs inside SQLite's C frames
}

// A file on disk or in memory, as undo() and redo() change them.
struct DiskFile {
  int fd;
  void resize(sqlite3_int64 n) const {
    if (::ftruncate(fd, static_cast<off_t>(n)) != 0) die("ftruncate failed");
  }
  void put(sqlite3_int64 at, std::string_view bytes) const {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const auto n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(at) + static_cast<off_t>(done));
      if (n <= 0) die("pwrite failed");
      done += static_cast<std::size_t>(n);
    }
  }
};
struct MemFile {
  std::string& s;
  void resize(sqlite3_int64 n) const { s.resize(static_cast<std::size_t>(n)); }
  void put(sqlite3_int64 at, std::string_view bytes) const {
    const auto from = static_cast<std::size_t>(at);
    if (s.size() < from + bytes.size()) s.resize(from + bytes.size());
    s.replace(from, bytes.size(), bytes);
  }
};

// Takes the file back to its state at its last sync.
template <class File>
void undo(const std::vector<Op>& ops, const File& f) {
  for (auto op = ops.rbegin(); op != ops.rend(); ++op) {
    f.resize(op->old_size);
    if (!op->old_bytes.empty()) f.put(op->old_at, op->old_bytes);
  }
}
// Applies an op again, a write only its first `bytes` bytes.
template <class File>
void redo(const Op& op, std::size_t bytes, const File& f) {
  if (op.truncate) {
    f.resize(op.offset);
  } else if (bytes > 0) {
    f.put(op.offset, std::string_view(op.data).substr(0, bytes));
  }
}

std::string parent_of(const std::string& path) { return fs::path(path).parent_path().string(); }
bool exists(const char* path) { return ::access(path, F_OK) == 0; }

struct ShimFile {
  sqlite3_file base;
  sqlite3_file* real;  // the real VFS's file, in the same allocation after this struct
  const char* path;    // SQLite keeps the name valid until xClose; nullptr: untracked (temporary)
  bool sync_dir;       // a journal or WAL just created: its first xSync also syncs the directory
};
constexpr int k_shim_size = (sizeof(ShimFile) + 15) / 16 * 16;

}  // namespace

struct PowerCutVfs::Impl {
  sqlite3_vfs vfs{};
  sqlite3_vfs* real = nullptr;
  sqlite3_io_methods methods{};
  std::recursive_mutex mu;
  std::map<std::string, PathState> paths;
  std::uint64_t events = 0;
  std::uint64_t cut_at = 0;
  CutMode mode = CutMode::drop;
  std::mt19937_64 rng;
  bool cut = false;
  CutStats stats;

  // Counts a write, truncate, sync or delete: true when it is the one the power goes at.
  bool tick() { return ++events == cut_at && cut_at != 0; }

  void dir_synced(const std::string& dir) {
    for (auto& [path, st] : paths) {
      if (st.entry_pending && parent_of(path) == dir) {
        st.entry_pending = false;
        st.durable.clear();
      }
    }
  }

  std::string durable_contents(const std::string& path, const std::vector<Op>& unsynced) {
    std::ifstream in(path, std::ios::binary);
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    undo(unsynced, MemFile{s});
    return s;
  }

  void power_off() {
    if (cut) return;
    cut = true;
    for (auto& [path, st] : paths) {
      if (st.unsynced.empty()) continue;
      const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
      if (fd < 0) die("cannot open " + path + " to revert it");
      const DiskFile f{fd};
      undo(st.unsynced, f);
      const std::size_t n = st.unsynced.size();
      std::size_t kept = 0;
      if (mode == CutMode::tear) {
        const std::size_t k = std::uniform_int_distribution<std::size_t>(0, n)(rng);
        for (std::size_t i = 0; i < k; ++i) redo(st.unsynced[i], st.unsynced[i].data.size(), f);
        kept = k;
        if (k < n && !st.unsynced[k].truncate) {
          const std::size_t sectors = (st.unsynced[k].data.size() + k_sector - 1) / k_sector;
          const std::size_t part = std::uniform_int_distribution<std::size_t>(0, sectors - 1)(rng);
          redo(st.unsynced[k], part * k_sector, f);
          stats.writes_torn += part > 0 ? 1 : 0;
        }
      } else if (mode == CutMode::reorder) {
        for (const auto& op : st.unsynced) {
          if (std::bernoulli_distribution(0.5)(rng)) {
            redo(op, op.data.size(), f);
            ++kept;
          }
        }
      }
      ::close(fd);
      stats.writes_kept += kept;
      stats.writes_lost += n - kept;
    }
    for (auto& [path, st] : paths) {
      if (!st.entry_pending) continue;
      if (st.existed) {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) die("cannot bring back " + path);
        DiskFile{fd}.put(0, st.durable);
        ::close(fd);
        ++stats.files_restored;
      } else if (::unlink(path.c_str()) == 0) {
        ++stats.files_removed;
      }
    }
    paths.clear();
  }
};

namespace {

PowerCutVfs::Impl& impl() {
  static PowerCutVfs::Impl d;
  return d;
}
ShimFile* shim(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f); }
sqlite3_file* real_of(sqlite3_file* f) { return shim(f)->real; }
using Guard = std::lock_guard<std::recursive_mutex>;

int x_close(sqlite3_file* f) {
  const Guard g(impl().mu);
  return real_of(f)->pMethods->xClose(real_of(f));
}
int x_read(sqlite3_file* f, void* buf, int amt, sqlite3_int64 off) {
  const Guard g(impl().mu);
  if (impl().cut) return SQLITE_IOERR_READ;
  return real_of(f)->pMethods->xRead(real_of(f), buf, amt, off);
}

// Records the undo data of a write or truncate, does it, and cuts if it is the chosen one.
template <class Do>
int change(sqlite3_file* f, Op op, sqlite3_int64 end, Do&& act, int cut_rc) {
  auto& d = impl();
  const Guard g(d.mu);
  if (d.cut) return cut_rc;
  sqlite3_file* real = real_of(f);
  if (shim(f)->path == nullptr) return act(real);
  const bool cut_here = d.tick();
  if (int rc = real->pMethods->xFileSize(real, &op.old_size); rc != SQLITE_OK) return rc;
  op.old_at = op.truncate ? op.offset : std::min(op.offset, op.old_size);
  const sqlite3_int64 upto = std::min(end, op.old_size);
  if (upto > op.old_at) {
    op.old_bytes.resize(static_cast<std::size_t>(upto - op.old_at));
    const int rc = real->pMethods->xRead(real, op.old_bytes.data(), static_cast<int>(op.old_bytes.size()), op.old_at);
    if (rc != SQLITE_OK) return rc;
  }
  if (int rc = act(real); rc != SQLITE_OK) return rc;
  d.paths[shim(f)->path].unsynced.push_back(std::move(op));
  if (cut_here) {
    d.power_off();
    return cut_rc;
  }
  return SQLITE_OK;
}

int x_write(sqlite3_file* f, const void* buf, int amt, sqlite3_int64 off) {
  Op op;
  op.offset = off;
  op.data.assign(static_cast<const char*>(buf), static_cast<std::size_t>(amt));
  return change(f, std::move(op), off + amt,
                [&](sqlite3_file* real) { return real->pMethods->xWrite(real, buf, amt, off); }, SQLITE_IOERR_WRITE);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  Op op;
  op.truncate = true;
  op.offset = size;
  return change(f, std::move(op), INT64_MAX,
                [&](sqlite3_file* real) { return real->pMethods->xTruncate(real, size); }, SQLITE_IOERR_TRUNCATE);
}
int x_sync(sqlite3_file* f, int) {
  auto& d = impl();
  const Guard g(d.mu);
  if (d.cut) return SQLITE_IOERR_FSYNC;
  ShimFile* s = shim(f);
  if (s->path == nullptr) return SQLITE_OK;
  if (d.tick()) {
    d.power_off();
    return SQLITE_IOERR_FSYNC;
  }
  // Durable now; not passed to the real disk (see the header).
  d.paths[s->path].unsynced.clear();
  if (s->sync_dir) {
    d.dir_synced(parent_of(s->path));
    s->sync_dir = false;
  }
  return SQLITE_OK;
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  const Guard g(impl().mu);
  if (impl().cut) return SQLITE_IOERR_FSTAT;
  return real_of(f)->pMethods->xFileSize(real_of(f), size);
}
int x_lock(sqlite3_file* f, int level) {
  const Guard g(impl().mu);
  if (impl().cut) return SQLITE_IOERR_LOCK;
  return real_of(f)->pMethods->xLock(real_of(f), level);
}
int x_unlock(sqlite3_file* f, int level) {
  const Guard g(impl().mu);
  return real_of(f)->pMethods->xUnlock(real_of(f), level);
}
int x_check_reserved(sqlite3_file* f, int* out) {
  const Guard g(impl().mu);
  if (impl().cut) return SQLITE_IOERR_CHECKRESERVEDLOCK;
  return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
  const Guard g(impl().mu);
  return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}
int x_sector_size(sqlite3_file* f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); }
int x_device(sqlite3_file* f) { return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f)); }
int x_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  const Guard g(impl().mu);
  if (impl().cut) return SQLITE_IOERR_SHMMAP;
  return real_of(f)->pMethods->xShmMap(real_of(f), region, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  const Guard g(impl().mu);
  if (impl().cut && (flags & SQLITE_SHM_UNLOCK) == 0) return SQLITE_IOERR_SHMLOCK;
  return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); }
int x_shm_unmap(sqlite3_file* f, int delete_flag) {
  const Guard g(impl().mu);
  return real_of(f)->pMethods->xShmUnmap(real_of(f), impl().cut ? 0 : delete_flag);
}

constexpr int k_tracked_types = SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_WAL | SQLITE_OPEN_SUPER_JOURNAL;
constexpr int k_dir_synced_types = SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_WAL | SQLITE_OPEN_SUPER_JOURNAL;

int x_open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  auto& d = impl();
  const Guard g(d.mu);
  ShimFile* s = shim(f);
  s->base.pMethods = nullptr;
  if (d.cut) return SQLITE_IOERR;
  s->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + k_shim_size);
  const bool tracked = name != nullptr && (flags & k_tracked_types) != 0 && (flags & SQLITE_OPEN_DELETEONCLOSE) == 0;
  s->path = tracked ? name : nullptr;
  s->sync_dir = tracked && (flags & SQLITE_OPEN_CREATE) != 0 && (flags & k_dir_synced_types) != 0;
  const bool creates = tracked && (flags & SQLITE_OPEN_CREATE) != 0 && !exists(name);
  if (int rc = d.real->xOpen(d.real, name, s->real, flags, out_flags); rc != SQLITE_OK) return rc;
  s->base.pMethods = &d.methods;
  if (creates) {
    PathState& st = d.paths[name];
    if (!st.entry_pending) {
      st.entry_pending = true;
      st.existed = false;
    }
    st.unsynced.clear();
  }
  return SQLITE_OK;
}

int x_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  auto& d = impl();
  const Guard g(d.mu);
  if (d.cut) return SQLITE_IOERR_DELETE;
  if (d.tick()) {
    d.power_off();
    return SQLITE_IOERR_DELETE;
  }
  if (exists(name)) {
    PathState& st = d.paths[name];
    if (!st.entry_pending) {
      st.entry_pending = true;
      st.existed = true;
      st.durable = d.durable_contents(name, st.unsynced);
    }
    st.unsynced.clear();
  }
  const int rc = d.real->xDelete(d.real, name, 0);
  if (rc == SQLITE_OK && sync_dir != 0) d.dir_synced(parent_of(name));
  return rc;
}

int x_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  auto& d = impl();
  const Guard g(d.mu);
  if (d.cut) return SQLITE_IOERR_ACCESS;
  return d.real->xAccess(d.real, name, flags, out);
}
int x_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return impl().real->xFullPathname(impl().real, name, n, out);
}
void* x_dl_open(sqlite3_vfs*, const char* name) { return impl().real->xDlOpen(impl().real, name); }
void x_dl_error(sqlite3_vfs*, int n, char* out) { impl().real->xDlError(impl().real, n, out); }
void (*x_dl_sym(sqlite3_vfs*, void* h, const char* sym))(void) { return impl().real->xDlSym(impl().real, h, sym); }
void x_dl_close(sqlite3_vfs*, void* h) { impl().real->xDlClose(impl().real, h); }
int x_randomness(sqlite3_vfs*, int n, char* out) { return impl().real->xRandomness(impl().real, n, out); }
int x_sleep(sqlite3_vfs*, int us) { return impl().real->xSleep(impl().real, us); }
int x_current_time(sqlite3_vfs*, double* t) { return impl().real->xCurrentTime(impl().real, t); }
int x_last_error(sqlite3_vfs*, int n, char* out) { return impl().real->xGetLastError(impl().real, n, out); }
int x_current_time64(sqlite3_vfs*, sqlite3_int64* t) { return impl().real->xCurrentTimeInt64(impl().real, t); }

sqlite3* g_last_connection = nullptr;
int remember_connection(sqlite3* db, char**, const sqlite3_api_routines*) {
  g_last_connection = db;
  return SQLITE_OK;
}

}  // namespace

const char* cut_mode_name(CutMode m) {
  switch (m) {
    case CutMode::drop: return "drop";
    case CutMode::tear: return "tear";
    case CutMode::reorder: return "reorder";
  }
  return "?";
}

PowerCutVfs& PowerCutVfs::instance() {
  static PowerCutVfs* const vfs = [] {
    auto& d = impl();
    if (sqlite3_initialize() != SQLITE_OK) die("sqlite3_initialize failed");
    d.real = sqlite3_vfs_find(nullptr);
    if (d.real == nullptr || d.real->iVersion < 2) die("no default VFS of version 2 or later");
    // Version 2: shared memory (WAL), no memory-mapped reads (xFetch), so every read is seen.
    d.methods = {2,           x_close,         x_read,        x_write,  x_truncate, x_sync,
                 x_file_size, x_lock,          x_unlock,      x_check_reserved,     x_file_control,
                 x_sector_size, x_device,      x_shm_map,     x_shm_lock,           x_shm_barrier,
                 x_shm_unmap, nullptr,         nullptr};
    // Version 2: up to xCurrentTimeInt64 (no system-call overrides).
    d.vfs = {2,          k_shim_size + d.real->szOsFile, d.real->mxPathname, nullptr, k_name, nullptr,
             x_open,     x_delete,   x_access,      x_full_pathname, x_dl_open,  x_dl_error,
             x_dl_sym,   x_dl_close, x_randomness,  x_sleep,         x_current_time, x_last_error,
             x_current_time64, nullptr, nullptr,   nullptr};
    if (sqlite3_vfs_register(&d.vfs, 0) != SQLITE_OK) die("sqlite3_vfs_register failed");
    return new PowerCutVfs();
  }();
  return *vfs;
}

void PowerCutVfs::arm(std::uint64_t cut_at, CutMode mode, std::uint64_t seed) {
  auto& d = impl();
  const Guard g(d.mu);
  d.paths.clear();
  d.events = 0;
  d.cut_at = cut_at;
  d.mode = mode;
  d.rng.seed(seed);
  d.cut = false;
  d.stats = {};
}

void PowerCutVfs::cut_now() {
  const Guard g(impl().mu);
  impl().power_off();
}

bool PowerCutVfs::is_cut() const {
  const Guard g(impl().mu);
  return impl().cut;
}

std::uint64_t PowerCutVfs::events() const {
  const Guard g(impl().mu);
  return impl().events;
}

const CutStats& PowerCutVfs::stats() const { return impl().stats; }

void PowerCutVfs::remember_connections() {
  // void(*)(void) is how sqlite3_auto_extension takes every entry point.
  sqlite3_auto_extension(reinterpret_cast<void (*)(void)>(&remember_connection));
}

void PowerCutVfs::set_synchronous(const std::string& level) {
  if (g_last_connection == nullptr) die("no connection was opened");
  const std::string sql = "PRAGMA synchronous = " + level;
  if (sqlite3_exec(g_last_connection, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    die(sql + " failed: " + sqlite3_errmsg(g_last_connection));
  }
}

}  // namespace vigil::testing
