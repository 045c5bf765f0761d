#include "client/store/store_detail.hpp"

namespace vigil::client::store {

namespace {

constexpr std::size_t k_max_id_length = 128;

}  // namespace

Error dir_error(const Error& os, const fs::path& dir, std::string_view doing) {
  if (os.code == Errc::read_only) {
    return Error(Errc::read_only, "the data folder " + dir.string() + " is read-only (" + os.message +
                                      "): Vigil needs to write there to keep your answers safe");
  }
  if (os.code == Errc::disk_full) {
    return Error(Errc::disk_full, "the disk holding " + dir.string() + " is full: free some space and try again");
  }
  return Error(Errc::io, std::string(doing) + " " + dir.string() + ": " + os.message);
}

Error storage_error(Error e, const fs::path& dir) {
  if (e.code == Errc::disk_full) {
    e.message = "the disk holding " + dir.string() +
                " is full, so this change was not saved (everything saved before it is safe): free some space and try again";
  } else if (e.code == Errc::read_only) {
    e.message = "the data folder " + dir.string() + " has become read-only, so this change was not saved (" + e.message + ")";
  }
  return e;
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

Result<std::vector<std::string>> first_column_texts(Result<Statement>&& st) {
  return sqlite::collect<std::string>(std::move(st), [](const Statement& row) { return row.column_text(0); });
}

bool read_record(const Statement& st, journal::Record& r) {
  r.seq = static_cast<std::uint64_t>(st.column_int(0));
  const bool prev_ok = copy_digest(st.column_blob(1), r.prev_hash);
  const bool payload_ok = copy_digest(st.column_blob(6), r.payload_hash);
  r.boot_id = st.column_text(2);
  r.monotonic_ns = static_cast<std::uint64_t>(st.column_int(3));
  r.wall_ms = st.column_int(4);
  r.type = st.column_text(5);
  return prev_ok && payload_ok;
}

Result<std::vector<journal::Entry>> read_entries(Result<Statement>&& st) {
  return sqlite::collect<journal::Entry>(std::move(st), [](const Statement& row) {
    journal::Entry e;
    // A wrong-sized hash cannot match anything; it stays zero so the verifier reports the record.
    (void)read_record(row, e.record);
    e.payload = row.column_blob(7);
    return e;
  });
}

Status run_write(Result<Statement>&& st, const fs::path& dir) {
  if (!st) return fail(st.error());
  if (auto r = st->run(); !r) return fail(storage_error(r.error(), dir));
  return {};
}
}  // namespace vigil::client::store
