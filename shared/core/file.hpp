#pragma once
// Whole-file reads and crash-safe private writes, shared by the client and the server (keys,
// downloaded packages, certificates, exports, the client's instance files).
//
// Invariants:
//  (1) write_file_atomically leaves either the old contents or the new ones at `path`, never a
//      mixture, even after a power cut: it writes a temporary file beside it, fsyncs it, renames it
//      over `path` and fsyncs the directory.
//  (2) The file is created readable and writable by its owner only (0600): it may hold keys or
//      personal data.
#include <filesystem>
#include <string>

#include "shared/core/bytes.hpp"
#include "shared/core/result.hpp"

namespace vigil {

// (1), (2). A full disk is Errc::disk_full; the temporary file is removed on failure.
Status write_file_atomically(const std::filesystem::path& path, ByteView data);

// The whole file; Errc::not_found if it cannot be opened.
Result<std::string> read_whole_file(const std::filesystem::path& path);

}  // namespace vigil
