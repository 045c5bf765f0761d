#pragma once
// A power-loss SQLite VFS for the power-cut tests (tests/fault/power_cut_*.cpp): a shim over the
// default VFS (unix) that models what a disk keeps when the power goes, and cuts the power at a
// chosen write or sync.
//
// The model (written by hand: SQLite ships test VFSes of this kind only in its test harness,
// test_vfs.c / test_journal.c, which no Debian package installs):
//  - A write reaches the file at once (reads see it, as from the page cache), and the shim records
//    its undo data: the bytes and the size it replaced. xSync of a file makes its recorded writes
//    durable (forgets their undo data). Undo data rather than holding writes in memory, so every
//    read, lock and shared-memory call passes straight to the real VFS unchanged.
//  - Directory entries: a file SQLite creates, or deletes, is durable only once its directory is
//    synced. As unix's VFS does, the directory counts as synced at the first xSync of a rollback
//    journal, super-journal or WAL opened with SQLITE_OPEN_CREATE, and by xDelete with syncDir.
//    For a deletion the shim keeps the file's durable contents, to bring it back.
//  - The cut, at the Nth write, truncate, sync or delete after arm() (a write is done first, so
//    that it can be torn; a sync or delete is not done): every file loses what was written since
//    its last sync, then, by mode,
//      drop     nothing more;
//      tear     the first k unsynced writes of each file survive (k random, possibly 0) and the
//               next one survives in part: a random whole number of 512-byte sectors of it;
//      reorder  a random subset of the unsynced writes survives, in their order;
//    and every file created or deleted since its directory's last sync is removed or brought back.
//    After the cut every call that reads or writes fails with SQLITE_IOERR, so the process "dies";
//    only closing and unlocking still work, so the caller can drop its connections and reopen the
//    files with the default VFS.
//  - xSync does not reach the real disk: the durable state is the model's, and a real fsync would
//    only slow the runs down. Files the shim never opened (the client store's key, and its
//    creation marker and rename, made by shared/core/file.hpp with their own fsyncs) are outside
//    the model.
//
// One instance per process (SQLite's VFS list is global); not for concurrent connections on
// several threads beyond what one connection's mutex serialises.
#include <cstdint>
#include <string>

namespace vigil::testing {

enum class CutMode { drop, tear, reorder };
const char* cut_mode_name(CutMode m);

struct CutStats {
  std::uint64_t writes_lost = 0;       // unsynced writes not kept (a torn one counts)
  std::uint64_t writes_kept = 0;       // unsynced writes that survived (tear, reorder)
  std::uint64_t writes_torn = 0;       // of those lost, written in part (tear)
  std::uint64_t files_removed = 0;     // created since the directory's last sync
  std::uint64_t files_restored = 0;    // deleted since the directory's last sync
};

class PowerCutVfs {
 public:
  static constexpr const char* k_name = "vigil-power-cut";

  // Registers the shim (not as the default) on first use.
  static PowerCutVfs& instance();

  // Starts a run: forgets everything recorded (what is on disk now counts as durable), clears the
  // cut, and cuts at the cut_at-th write/truncate/sync/delete from now (0: never by itself).
  void arm(std::uint64_t cut_at, CutMode mode, std::uint64_t seed);
  // Cuts now (the run ended before its cut point). Idempotent.
  void cut_now();
  bool is_cut() const;
  // Writes, truncates, syncs and deletes since arm().
  std::uint64_t events() const;
  const CutStats& stats() const;

  // The deliberate experiment of the power-cut drivers: registers an auto-extension that remembers
  // every connection opened from now on, so that set_synchronous() can run
  // PRAGMA synchronous = <level> (OFF, NORMAL) on the last one after the product has opened (and
  // configured) it.
  static void remember_connections();
  static void set_synchronous(const std::string& level);

  struct Impl;

 private:
  PowerCutVfs() = default;
};

}  // namespace vigil::testing
