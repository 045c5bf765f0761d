#pragma once
// The candidate's assessment packages on this device: download them with their sitting grants,
// list them, and unlock one at the scheduled start, online (the server releases the key) or
// offline (with the start code the support line reads out). Format and key wrapping:
// docs/PACKAGE-FORMAT.md.
//
// Invariants:
//  (1) A package file is under its final name only when complete and signature-checked:
//      <data_dir>/packages/<assessment>-v<version>.vpkg, written to a temporary name, fsynced,
//      renamed, and the directory fsynced.
//  (2) Nothing from a package or grant is used before the server's package signature on it has
//      verified against the package key the device first received over its pinned TLS channel
//      (a different key later is refused, not adopted).
//  (3) Once unlocked, the content key is kept in the (encrypted) store, so a restart or crash
//      reopens the assessment with no code and no network (reopen()).
//  (4) Wrong start codes are counted in the store before the refusal is returned, so neither a
//      restart nor a crash resets the count: 5 tries, then a wait that doubles from 30 seconds
//      (at most 15 minutes) between tries. (A speed bump for the person at the keyboard; what
//      protects the key from someone who copies the store is scrypt and the code's 55 bits.)
//  (5) Offline, the device clock is the only clock: a code is refused (Errc::expired) after the
//      window's end and (Errc::forbidden) more than 15 minutes before its start by that clock.
//      The journal records wall and monotonic time, so the server flags a clock that was moved.
//
// Store state used (Store::put_state; private to the device, never synced):
//   package.signing_key        the server's package public key (32 bytes)
//   package.index              JSON array of sitting ids
//   package.sitting.<id>       JSON {"grant":{...},"title":str,"file":str}
//   package.key.<id>           the unlocked content key (32 bytes)
//   package.attempts.<id>      JSON {"failures":n,"last_failure_wall_ms":ms}
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "client/store/store.hpp"
#include "client/sync/transport.hpp"
#include "shared/assessment/model.hpp"
#include "shared/core/result.hpp"
#include "shared/crypto/x25519.hpp"
#include "shared/time/clock.hpp"

namespace vigil::client::package {

inline constexpr int k_free_code_attempts = 5;
inline constexpr std::int64_t k_early_unlock_ms = 15 * 60 * 1000;

// A sitting this device holds a package and a verified grant for.
struct LocalSitting {
  std::string sitting_id;            // use it as the journal session id
  std::string assessment_id;
  std::uint32_t version = 0;
  std::string title;
  std::int64_t scheduled_start_ms = 0;  // wall time, Unix ms (the server's schedule)
  std::int64_t window_end_ms = 0;
  assessment::Accommodations accommodations;
  std::filesystem::path package_file;
  bool unlocked = false;             // the content key is in the store: reopen() needs nothing else
};

struct Unlocked {
  LocalSitting sitting;
  assessment::Assessment assessment;  // decrypted; no answers, rationales or rubrics
};

// The device's X25519 key-agreement key (Store::derive_device_secret("kx")): grants and online
// keys are sealed to its public half.
Result<crypto::X25519KeyPair> device_kx_key(store::Store& store);

// Fetches the candidate's scheduled sittings, downloads each package not already here (checked
// against the listed SHA-256 and the server's signature), asks for each sitting's grant, and
// stores what it got. Returns every local sitting afterwards. Errors: unavailable (no
// connection), integrity (a package or grant that fails its checks; nothing of it is kept),
// forbidden (the device is not enrolled or was revoked), and the server's own refusals.
Result<std::vector<LocalSitting>> download(sync::Transport& transport, store::Store& store,
                                           const std::filesystem::path& data_dir);

// What is on this device, soonest first. No network.
Result<std::vector<LocalSitting>> local_sittings(store::Store& store, const std::filesystem::path& data_dir);

// Asks the server for the content key (released only from the scheduled start, by the server's
// clock). Errors: forbidden "not yet: ... opens at ...", expired (window over), unavailable.
// Records "package.unlocked" in the sitting's journal.
Result<Unlocked> unlock_online(sync::Transport& transport, store::Store& store, const std::filesystem::path& data_dir,
                               std::string_view sitting_id);

// Unlocks with the start code (any case, spaces and hyphens ignored). Errors: invalid_argument
// (not shaped like a code; not counted), auth_failed (wrong code; counted, the message says how
// many tries are left), rate_limited (wait; the message says how long), expired / forbidden
// (outside the window by `clock`), wrong_key (the grant was sealed to another device), not_found
// (the grant was issued before the sitting had a start code: download again).
// Records "package.unlocked" or "start_code.rejected" in the sitting's journal.
Result<Unlocked> unlock_offline(store::Store& store, const std::filesystem::path& data_dir, std::string_view sitting_id,
                                std::string_view start_code, const time::Clock& clock);

// The assessment of an already unlocked sitting (after a restart or crash). not_found when the
// sitting has not been unlocked on this device.
Result<Unlocked> reopen(store::Store& store, const std::filesystem::path& data_dir, std::string_view sitting_id);

}  // namespace vigil::client::package
