#pragma once
// `vigil-client result` and `vigil-client verify-certificate` (docs/RESULTS.md).
#include <filesystem>
#include <iosfwd>
#include <optional>

#include "client/store/store.hpp"

namespace vigil::client::app {

struct ResultOptions {
  bool offline = false;                  // do not contact the server; show the kept copy
  std::filesystem::path save_certificate;  // write the (latest) certificate here
  std::filesystem::path print_certificate; // write its printable HTML page here
};
// Fetches the released results when online (keeping them in the store) or shows the kept copy
// when not, then prints each sitting that has no released result in its state (withheld: under
// review, void following a review or withheld: identity not confirmed, with the public reason;
// not yet released), and each released result's outcome, feedback per KSS area and next steps.
// Exit 0 when a released result was shown, 3 when there is none yet, 1 on an error.
int show_result(store::Store& store, const ResultOptions& options, std::ostream& out, std::ostream& err);

// Verifies a certificate file offline. Exit 0 valid, 1 not valid, 64 for unusable arguments.
int verify_certificate(const std::filesystem::path& file, const std::filesystem::path& keys,
                       const std::optional<std::filesystem::path>& revocations, std::ostream& out, std::ostream& err);

}  // namespace vigil::client::app
