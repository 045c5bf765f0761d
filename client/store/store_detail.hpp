#pragma once
// What the parts of Store (store_*.cpp) share: error wording, id checks and row readers. Private
// to client/store; not part of the store's interface.
#include <algorithm>
#include <array>
#include <cassert>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "client/store/store.hpp"

namespace vigil::client::store {

namespace fs = std::filesystem;

// Holds Store::mu_ for a scope and records the holder, so that the helpers marked "REQUIRES: mu_
// held" can assert it (Store::mu_held()). Every public method that touches the database or the
// appenders starts with one.
class Store::Lock {
 public:
  explicit Lock(const Store& s) : store_(s), guard_(s.mu_) {
    store_.mu_owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  }
  ~Lock() { store_.mu_owner_.store(std::thread::id{}, std::memory_order_relaxed); }
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

 private:
  const Store& store_;
  std::lock_guard<std::mutex> guard_;
};

// An operating-system failure on the data folder (as shared/core/file.hpp reports them), worded
// for the candidate (read-only, full).
Error dir_error(const Error& os, const fs::path& dir, std::string_view doing);
// Rewrites SQLite's terse messages for the two failures a candidate may meet while saving.
Error storage_error(Error e, const fs::path& dir);
// Session, assessment and item ids: 1 to 128 of [A-Za-z0-9._-].
Status validate_id(std::string_view what, std::string_view id);
// Every row's first column, as text (or the statement's error: first_column_texts(db.statement(...))).
Result<std::vector<std::string>> first_column_texts(Result<Statement>&& st);
// The record in the columns (seq, prev_hash, boot_id, mono_ns, wall_ms, type, payload_hash) of
// the current row. False when a hash column has the wrong size (that hash is left zero, which
// matches nothing).
bool read_record(const Statement& st, journal::Record& r);
// Journal rows selected as (seq, prev_hash, boot_id, mono_ns, wall_ms, type, payload_hash,
// payload), in the order given.
Result<std::vector<journal::Entry>> read_entries(Result<Statement>&& st);
// Runs a write (db.statement(...)); its failure is worded for the candidate (storage_error).
Status run_write(Result<Statement>&& st, const fs::path& dir);

// Copies a digest read from a BLOB column; false (and `to` unchanged) when its size is wrong.
template <std::size_t N>
bool copy_digest(const Bytes& from, std::array<std::uint8_t, N>& to) {
  if (from.size() != N) return false;
  std::ranges::copy(from, to.begin());
  return true;
}

}  // namespace vigil::client::store
