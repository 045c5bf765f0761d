#pragma once
// The server's side of packages (docs/PACKAGE-FORMAT.md): building and storing a package from
// authored content, scheduling sittings, issuing start codes, and making sitting grants. Used by
// the admin commands (server/app/main.cpp) and the device API (api.cpp).
//
// Invariants:
//  (1) A stored (assessment, version) never changes: rebuilding identical content is a no-op,
//      different content under the same version is refused (raise the version).
//  (2) Content keys are stored only wrapped under a key derived from the package-signing seed,
//      and start codes only as a CodeLock (the content key under scrypt(code)).
//  (3) A grant is issued only to a device of the sitting's candidate. It carries the offline key
//      only once the sitting has a start code (before that: online release only).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/home/server_keys.hpp"
#include "server/packages/authoring.hpp"
#include "server/storage/repository.hpp"
#include "shared/package/package.hpp"
#include "shared/time/clock.hpp"

namespace vigil::server {

struct BuildOutcome {
  std::string assessment_id;
  std::uint32_t version = 0;
  bool unchanged = false;   // the same content was already built: nothing was stored
  Bytes package;            // the signed, encrypted file
  std::size_t items = 0;
};

// (1) Builds the package for `content`, stores it with its marking scheme, returns the file.
Result<BuildOutcome> build_and_store_package(Repository& repo, const ServerKeys& keys, const AuthoredAssessment& content,
                                             const time::Clock& clock);

// The content key of a stored package (invariant 2).
Result<crypto::SecretBytes> content_key_of(const ServerKeys& keys, const PackageRow& p);

// Schedules (or moves) the candidate's sitting of the assessment's latest version (or `version`).
// The candidate's level must be the package's. window_hours: 1..72.
Result<SittingRow> schedule_sitting(Repository& repo, std::string_view candidate_id, std::string_view assessment_id,
                                    std::optional<std::uint32_t> version, std::int64_t start_ms, std::int64_t window_hours,
                                    const time::Clock& clock);

// A new start code for the candidate's sitting (the old one stops working for grants issued from
// now on). Returns the code formatted XXXX-XXXX-XXXX; it is not stored anywhere.
Result<std::string> issue_start_code(Repository& repo, const ServerKeys& keys, std::string_view candidate_id,
                                     std::string_view assessment_id, const time::Clock& clock,
                                     const crypto::ScryptParams& params = package::k_start_code_scrypt);

// (3) The signed grant of a sitting for one device, with the content key wrapped to kx_public and
// the sitting's start code (if one has been issued); registers kx_public for the online release.
Result<package::SittingGrant> issue_grant(Repository& repo, const ServerKeys& keys, const DeviceRow& device,
                                          std::string_view sitting_id, ByteView kx_public, const time::Clock& clock);

}  // namespace vigil::server
