#pragma once
// What the parts of Store (store_*.cpp) share: error wording, id checks and row readers. Private
// to client/store; not part of the store's interface.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "client/store/store.hpp"

namespace vigil::client::store {

namespace fs = std::filesystem;

// An operating-system failure on the data folder, worded for the candidate (read-only, full).
Error dir_error(int e, const fs::path& dir, std::string_view doing);
// Rewrites SQLite's terse messages for the two failures a candidate may meet while saving.
Error storage_error(Error e, const fs::path& dir);
// Session, assessment and item ids: 1 to 128 of [A-Za-z0-9._-].
Status validate_id(std::string_view what, std::string_view id);
// Every row's first column, as text.
Result<std::vector<std::string>> first_column_texts(Statement& st);
// Journal rows selected as (seq, prev_hash, boot_id, mono_ns, wall_ms, type, payload_hash,
// payload), in the order given.
Result<std::vector<journal::Entry>> read_entries(Statement& st);

}  // namespace vigil::client::store
