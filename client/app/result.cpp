#include "client/app/result.hpp"

#include <fstream>
#include <ostream>

#include "client/sync/enrol.hpp"
#include "client/sync/results.hpp"
#include "shared/certificate/credential.hpp"
#include "shared/certificate/printable.hpp"
#include "shared/time/clock.hpp"

namespace vigil::client::app {

int show_result(store::Store& store, const ResultOptions& options, std::ostream& out, std::ostream& err) {
  std::optional<results::CandidateResults> list;
  if (!options.offline) {
    auto transport = sync::transport_for(store);
    if (!transport) {
      err << "vigil-client: " << transport.error().message << "\n";
      return 1;
    }
    auto fetched = sync::fetch_results(store, **transport);
    if (fetched) {
      list = std::move(*fetched);
    } else if (fetched.error().code == Errc::unavailable) {
      out << "The server cannot be reached: showing the result kept on this device.\n\n";
    } else {
      err << "vigil-client: " << fetched.error().message << "\n";
      return 1;
    }
  }
  if (!list) {
    auto kept = sync::kept_results(store);
    if (!kept) {
      err << "vigil-client: " << kept.error().message << "\n";
      return 1;
    }
    list = std::move(*kept);
  }
  // Each sitting in its state (shared/results/outcome.hpp): a released result in full, any other
  // with its state's words and, for a void or withheld one, the public reason.
  for (const auto& s : list ? list->sittings : std::vector<results::SittingOutcome>{}) {
    if (s.state != results::OutcomeState::released) out << results::describe(s) << "\n";
  }
  if (!list || list->results.empty()) {
    out << "No result has been released to you yet. Results are released for everyone in an assessment window at "
           "once; run `vigil-client result` again when your council tells you they are out.\n";
    return 3;
  }
  for (const auto& r : list->results) out << results::describe(r) << "\n";
  if (options.save_certificate.empty() && options.print_certificate.empty()) return 0;
  const results::ReleasedResult* with_cert = nullptr;
  for (const auto& r : list->results) {
    if (r.certificate) with_cert = &r;
  }
  if (!with_cert) {
    err << "vigil-client: there is no certificate to save (certificates are issued for a met result)\n";
    return 1;
  }
  auto write = [&](const std::filesystem::path& path, const std::string& text) {
    std::ofstream f(path, std::ios::trunc);
    f << text;
    f.close();
    if (!f) err << "vigil-client: could not write " << path.string() << "\n";
    return static_cast<bool>(f);
  };
  if (!options.save_certificate.empty()) {
    if (!write(options.save_certificate, *with_cert->certificate + "\n")) return 1;
    out << "Certificate saved to " << options.save_certificate.string()
        << ": keep a copy; anyone can check it with `vigil-client verify-certificate`.\n";
  }
  if (!options.print_certificate.empty()) {
    // Decoded when the results were read (released.hpp), so this cannot fail here.
    const auto c = certificate::parse_credential(*with_cert->certificate).value();
    if (!write(options.print_certificate, certificate::printable_html(c))) return 1;
    out << "Printable certificate page written to " << options.print_certificate.string() << "\n";
  }
  return 0;
}

int verify_certificate(const std::filesystem::path& file, const std::filesystem::path& keys,
                       const std::optional<std::filesystem::path>& revocations, std::ostream& out, std::ostream& err) {
  auto v = certificate::verify_credential_files(file, keys, revocations, time::system_clock().wall_ms());
  if (!v) {
    err << "vigil-client: " << v.error().message << "\n";
    return 64;
  }
  out << certificate::describe(*v);
  return certificate::exit_status(*v);
}

}  // namespace vigil::client::app
