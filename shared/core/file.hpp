#pragma once
// Whole-file reads and crash-safe private writes, shared by the client and the server (keys,
// downloaded packages, certificates, exports, the client's instance files), and the durable-file
// primitives the client store builds its own crash-safe sequences from.
//
// Invariants:
//  (1) write_file_atomically leaves either the old contents or the new ones at `path`, never a
//      mixture, even after a power cut: it writes a temporary file beside it, syncs it, renames it
//      over `path` and syncs the directory (Windows: FlushFileBuffers, then MoveFileExW with
//      MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH).
//  (2) The file is created readable and writable by its owner only (0600 on POSIX; on Windows
//      the files live in the user's own profile, whose ACL already keeps other users out).
//
// The operating-system calls are in file_posix.cpp (Linux, macOS) and file_windows.cpp; this
// header and file.cpp are the same everywhere.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "shared/core/bytes.hpp"
#include "shared/core/result.hpp"

namespace vigil {

// (1), (2). A full disk is Errc::disk_full; the temporary file is removed on failure.
Status write_file_atomically(const std::filesystem::path& path, ByteView data);

// (1), (2), but never replaces: if `path` exists (or appears meanwhile) it fails with
// Errc::already_exists and leaves it as it is. For keys, which must never be overwritten.
Status write_new_file(const std::filesystem::path& path, ByteView data);

// path with suffix added to its file name ("store.db" + ".creating"). Never through
// path.string(): on Windows that is UTF-8 while a path made from narrow text is read in the ANSI
// code page, so a folder named with letters outside it would change.
std::filesystem::path with_suffix(const std::filesystem::path& path, std::string_view suffix);

// The whole file; Errc::not_found if it cannot be opened.
Result<std::string> read_whole_file(const std::filesystem::path& path);

// The primitives below fail with an Errc for what happened (not_found, already_exists,
// disk_full, read_only, io) and the operating system's own words as the message, for the caller
// to put in context.

// Creates `path` empty and owner-only if it does not exist; with truncate, also empties it.
Status create_private_file(const std::filesystem::path& path, bool truncate);
// Makes an existing file owner-only (POSIX chmod 0600; Windows: nothing, see (2)).
Status make_private(const std::filesystem::path& path);
// Writes the file's data to the disk (fsync; Windows FlushFileBuffers).
Status sync_file(const std::filesystem::path& path);
// Makes the directory's entries (creations, renames) durable (fsync of the directory; Windows:
// nothing to do, NTFS journals its metadata and the renames here are write-through).
Status sync_directory(const std::filesystem::path& dir);
// Renames `from` to `to` only if `to` does not exist (Errc::already_exists otherwise, and `from`
// is kept). POSIX: link() then unlink(); Windows: MoveFileExW without MOVEFILE_REPLACE_EXISTING.
Status install_new_file(const std::filesystem::path& from, const std::filesystem::path& to);
// Whether this process may create files in dir (POSIX access(W_OK); Windows: dir is a writable
// directory).
Status check_writable_directory(const std::filesystem::path& dir);
// Reads up to into.size() bytes of a file that must be private to this user: nullopt when it
// does not exist, else how many bytes were read. Errc::not_a_store when it is not a regular file
// (a symlink is not followed), Errc::forbidden when other users can read it (POSIX mode & 077;
// Windows relies on the profile's ACL, see (2)).
Result<std::optional<std::size_t>> read_private_file(const std::filesystem::path& path, std::span<std::uint8_t> into);

// A std::filesystem error as the primitives above report it (the same Errc mapping).
Error file_error(const std::error_code& ec);

namespace file_detail {
// The per-OS halves of write_file_atomically and write_new_file (file_posix.cpp,
// file_windows.cpp). write_synced creates tmp owner-only (truncating it; with exclusive, failing
// if it exists, so a link planted there is never followed), writes data, syncs and closes it, and
// removes it on failure; its errors name tmp. replace_file renames from over to.
Status write_synced(const std::filesystem::path& tmp, ByteView data, bool exclusive);
Status replace_file(const std::filesystem::path& from, const std::filesystem::path& to);
// The calling thread's last operating-system error (errno; Windows GetLastError) as the
// primitives above report it, for OS calls made elsewhere (client/platform).
Error last_os_error();
}  // namespace file_detail

}  // namespace vigil
