#include "server/app/results_cli.hpp"

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "server/app/composition.hpp"
#include "server/home/issuer_keys.hpp"
#include "server/results/results.hpp"
#include "server/results/resits.hpp"
#include "shared/core/log.hpp"
#include "shared/certificate/printable.hpp"
#include "shared/time/clock.hpp"

namespace vigil::server::app {

namespace fs = std::filesystem;

struct ResultsCli {
  fs::path dir, file, keys, revocations, out;
  std::string assessment, sitting, credential_id, reason = "revoked by an administrator";
  std::vector<std::string> marks;
  int years = static_cast<int>(certificate::k_default_valid_years);
  int verify_days = 0;
  CLI::App* thresholds = nullptr;
  CLI::App* mark_written = nullptr;
  CLI::App* score = nullptr;
  CLI::App* export_csv = nullptr;
  CLI::App* stats = nullptr;
  std::string council;
  CLI::App* release = nullptr;
  CLI::App* issue = nullptr;
  CLI::App* revoke = nullptr;
  CLI::App* rotate = nullptr;
  CLI::App* print = nullptr;
  CLI::App* verify = nullptr;
};

namespace {

int failed(const Error& e) {
  std::cerr << "vigil-server: " << log_value(e.message) << "\n";
  return e.code == Errc::invalid_argument ? 64 : 1;
}

// The home, its database and the repositories, through the composition root.
Result<std::unique_ptr<ServerData>> open_home(const fs::path& dir) { return ServerData::open(dir); }

// For the commands that sign certificates: the home and the issuer key in force now.
struct Signing {
  std::unique_ptr<ServerData> data;
  IssuerSigner signer;
};
Result<Signing> open_signing(const fs::path& dir, const time::Clock& clock) {
  VIGIL_ASSIGN(auto data, open_home(dir));
  VIGIL_ASSIGN(auto signer, active_issuer(dir, clock.wall_ms()));
  return Signing{std::move(data), std::move(signer)};
}

// "P6=5/10" -> {P6, 5, 10}
Result<results::WrittenAreaMark> parse_mark(const std::string& text) {
  const auto eq = text.find('='), slash = text.find('/');
  if (eq == std::string::npos || slash == std::string::npos || slash < eq) {
    return fail(Errc::invalid_argument, "a written mark is AREA=MARK/MAX, for example P6=5/10; got \"" + text + "\"");
  }
  try {
    const auto mark = std::stoul(text.substr(eq + 1, slash - eq - 1)), max = std::stoul(text.substr(slash + 1));
    return results::WrittenAreaMark{text.substr(0, eq), static_cast<std::uint32_t>(mark), static_cast<std::uint32_t>(max)};
  } catch (const std::exception&) {
    return fail(Errc::invalid_argument, "a written mark is AREA=MARK/MAX with whole numbers; got \"" + text + "\"");
  }
}

int run_score(ResultsCli& c) {
  auto o = open_home(c.dir);
  if (!o) return failed(o.error());
  auto report = score_sitting((*o)->repo, (*o)->results, (*o)->home.keys, c.sitting, time::system_clock());
  if (!report) return failed(report.error());
  std::cout << format_score_table(*report, c.sitting);
  return 0;
}

int run_release(ResultsCli& c) {
  const auto& clock = time::system_clock();
  auto s = open_signing(c.dir, clock);
  if (!s) return failed(s.error());
  auto r = release_results(s->data->repo, s->data->results, c.assessment, &s->signer, clock);
  if (!r) return failed(r.error());
  std::cout << "released " << r->counts.released << " result(s) of " << c.assessment << " (" << r->counts.already
            << " released before, " << r->counts.incomplete << " still awaiting marking and not released)\n"
            << "withheld by proctor review: " << r->counts.withheld_under_review << " under review, "
            << r->counts.withheld_adverse << " with an adverse decision (no result, no certificate)\n"
            << "withheld by the identity check: " << r->counts.awaiting_identity << " not decided yet, "
            << r->counts.withheld_identity << " found not to match\n"
            << "certificates issued: " << r->certificates.size() << "\n";
  for (const auto& cert : r->certificates) std::cout << "  " << cert.credential_id << "  " << cert.candidate_id << "\n";
  return 0;
}

int run_issue(ResultsCli& c) {
  const auto& clock = time::system_clock();
  auto s = open_signing(c.dir, clock);
  if (!s) return failed(s.error());
  auto cert =
      issue_certificate(s->data->repo, s->data->results, s->signer, c.sitting, clock, static_cast<std::uint32_t>(c.years));
  if (!cert) return failed(cert.error());
  const std::string text = certificate::to_json(*cert).dump(2) + "\n";
  if (!c.out.empty()) {
    if (auto st = vigil::write_file_atomically(c.out, as_bytes(text)); !st) return failed(st.error());
    std::cout << "certificate " << cert->credential_id << " written to " << c.out.string() << "\n";
  } else {
    std::cout << text;
  }
  return 0;
}

int run_revoke(ResultsCli& c) {
  auto o = open_home(c.dir);
  if (!o) return failed(o.error());
  const auto now = time::system_clock().wall_ms();
  if (auto st = (*o)->repo.transaction([&]() -> Status { return (*o)->results.revoke_credential(c.credential_id, c.reason, now); });
      !st) {
    return failed(st.error());
  }
  auto revoked = (*o)->results.revoked_credentials();
  if (!revoked) return failed(revoked.error());
  auto list = publish_revocations(c.dir, *revoked, now);
  if (!list) return failed(list.error());
  std::cout << "certificate " << c.credential_id << " revoked; " << revocations_file(c.dir).string() << " lists "
            << list->revoked.size() << " revoked certificate(s): publish it where verifiers fetch it\n";
  return 0;
}

int run_rotate(ResultsCli& c) {
  const auto now = time::system_clock().wall_ms();
  std::optional<std::int64_t> until;
  if (c.verify_days > 0) until = now + std::int64_t{c.verify_days} * 86'400'000;
  auto set = rotate_issuer_key(c.dir, now, until);
  if (!set) return failed(set.error());
  std::cout << "new issuer key " << set->active()->key_id << "; the previous key is retired and still verifies the "
            << "certificates it signed. Publish " << issuer_keys_file(c.dir).string() << " again.\n";
  return 0;
}

int run_verify(ResultsCli& c) {
  fs::path keys = c.keys;
  if (keys.empty() && !c.dir.empty()) keys = issuer_keys_file(c.dir);
  if (keys.empty()) return failed({Errc::invalid_argument, "give the published issuer keys with --keys FILE (or --home DIR)"});
  std::optional<fs::path> revocations;
  if (!c.revocations.empty()) revocations = c.revocations;
  auto v = certificate::verify_credential_files(c.file, keys, revocations, time::system_clock().wall_ms());
  if (!v) return failed(v.error());
  std::cout << certificate::describe(*v);
  return certificate::exit_status(*v);
}

}  // namespace

ResultsCli* add_results_commands(CLI::App& app, CLI::App& admin) {
  static ResultsCli cli;  // lives as long as the process, like app
  auto& c = cli;
  auto* results = app.add_subcommand("results", "Results: thresholds, written marks, scoring");
  results->require_subcommand(1);
  c.thresholds = results->add_subcommand("thresholds", "Set the pass marks of an assessment window from a JSON file");
  c.thresholds->add_option("dir", c.dir, "Server home")->required();
  c.thresholds->add_option("--assessment", c.assessment, "Assessment id")->required();
  c.thresholds->add_option("--file", c.file, R"(JSON: {"v":1,"knowledge":60,"scenario":60,"written":60,"overall":60})")->required();
  c.mark_written = results->add_subcommand("mark-written", "Record the agreed written marks of a sitting, per KSS area");
  c.mark_written->add_option("dir", c.dir, "Server home")->required();
  c.mark_written->add_option("--sitting", c.sitting, "Sitting id")->required();
  c.mark_written->add_option("--mark", c.marks, "AREA=MARK/MAX, once per area, e.g. P6=5/10")->required();
  c.score = results->add_subcommand("score", "Score a submitted sitting from its synced answers and print the table");
  c.score->add_option("dir", c.dir, "Server home")->required();
  c.score->add_option("--sitting", c.sitting, "Sitting id")->required();

  c.export_csv = results->add_subcommand("export", "Write a window's results as CSV (one council's with --council)");
  c.export_csv->add_option("dir", c.dir, "Server home")->required();
  c.export_csv->add_option("--assessment", c.assessment, "Assessment id")->required();
  c.export_csv->add_option("--council", c.council, "Only this council's candidates");
  c.export_csv->add_option("--out", c.out, "Write here instead of standard output");
  c.stats = results->add_subcommand("stats", "Item statistics (facility, discrimination) of a window's scored sittings");
  c.stats->add_option("dir", c.dir, "Server home")->required();
  c.stats->add_option("--assessment", c.assessment, "Assessment id")->required();

  c.release = admin.add_subcommand("release", "Release the decided results of an assessment window and issue certificates");
  c.release->add_option("dir", c.dir, "Server home")->required();
  c.release->add_option("--assessment", c.assessment, "Assessment id")->required();

  auto* cert = app.add_subcommand("certificate", "Certificates: issue, revoke, issuer keys");
  cert->require_subcommand(1);
  c.issue = cert->add_subcommand("issue", "Issue (or re-issue) the certificate of a released met result");
  c.issue->add_option("dir", c.dir, "Server home")->required();
  c.issue->add_option("--sitting", c.sitting, "Sitting id")->required();
  c.issue->add_option("--years", c.years, "Years until re-accreditation")->capture_default_str()->check(CLI::Range(1, 10));
  c.issue->add_option("--out", c.out, "Write the certificate here instead of printing it");
  c.revoke = cert->add_subcommand("revoke", "Revoke a certificate and re-sign published/revocations.json");
  c.revoke->add_option("dir", c.dir, "Server home")->required();
  c.revoke->add_option("--id", c.credential_id, "Certificate (credential) id")->required();
  c.revoke->add_option("--reason", c.reason, "Why (shown to verifiers)");
  c.print = cert->add_subcommand("print", "Write the printable page (HTML) of a certificate file");
  c.print->add_option("file", c.file, "The certificate (JSON)")->required();
  c.print->add_option("--out", c.out, "The HTML file to write")->required();
  auto* keys = cert->add_subcommand("keys", "Issuer keys");
  keys->require_subcommand(1);
  c.rotate = keys->add_subcommand("rotate", "Make a new issuer key; the old one is retired but still verifies");
  c.rotate->add_option("dir", c.dir, "Server home")->required();
  c.rotate->add_option("--verify-days", c.verify_days, "Days the retired key still verifies (default: for ever)")
      ->check(CLI::Range(1, 36500));

  c.verify = app.add_subcommand("verify-certificate", "Verify a certificate offline against the published issuer keys");
  c.verify->add_option("file", c.file, "The certificate (JSON)")->required();
  c.verify->add_option("--keys", c.keys, "The published issuer-keys.json");
  c.verify->add_option("--home", c.dir, "Use this server home's published issuer keys");
  c.verify->add_option("--revocations", c.revocations, "The published revocations.json (without: not checked)");
  return &c;
}

std::optional<int> run_results_commands(ResultsCli& c) {
  const auto& clock = time::system_clock();
  if (*c.thresholds) {
    auto o = open_home(c.dir);
    if (!o) return failed(o.error());
    auto text = vigil::read_whole_file(c.file);
    if (!text) return failed(text.error());
    auto t = results::parse_thresholds(*text);
    if (!t) return failed(std::move(t).error().context(c.file.string()));
    if (auto st = set_thresholds((*o)->results, c.assessment, *t, clock); !st) return failed(st.error());
    std::cout << "thresholds of " << c.assessment << ": knowledge " << t->knowledge << "%, scenario " << t->scenario
              << "%, written " << t->written << "%, overall " << t->overall << "%\n";
    return 0;
  }
  if (*c.mark_written) {
    std::vector<results::WrittenAreaMark> marks;
    for (const auto& m : c.marks) {
      auto parsed = parse_mark(m);
      if (!parsed) return failed(parsed.error());
      marks.push_back(*parsed);
    }
    auto o = open_home(c.dir);
    if (!o) return failed(o.error());
    if (auto st = set_written_marks((*o)->repo, (*o)->results, (*o)->home.keys, c.sitting, marks, clock); !st) {
      return failed(st.error());
    }
    std::cout << "written marks recorded for " << c.sitting << " (" << marks.size() << " areas)\n";
    return 0;
  }
  if (*c.score) return run_score(c);
  if (*c.export_csv || *c.stats) {
    auto o = open_home(c.dir);
    if (!o) return failed(o.error());
    if (*c.stats) {
      auto stats = item_statistics_for((*o)->results, c.assessment);
      if (!stats) return failed(stats.error());
      std::cout << format_item_statistics(*stats);
      return 0;
    }
    std::optional<std::string> council;
    if (!c.council.empty()) council = c.council;
    // the attempt column from the resits
    auto csv = results_csv((*o)->repo, (*o)->results, c.assessment, council, ResultsCsvOptions{false, &(*o)->resits});
    if (!csv) return failed(csv.error());
    if (c.out.empty()) {
      std::cout << *csv;
    } else if (auto st = vigil::write_file_atomically(c.out, as_bytes(*csv)); !st) {
      return failed(st.error());
    }
    return 0;
  }
  if (*c.release) return run_release(c);
  if (*c.issue) return run_issue(c);
  if (*c.revoke) return run_revoke(c);
  if (*c.rotate) return run_rotate(c);
  if (*c.verify) return run_verify(c);
  if (*c.print) {
    auto text = vigil::read_whole_file(c.file);
    if (!text) return failed(text.error());
    auto cert = certificate::parse_credential(*text);
    if (!cert) return failed(std::move(cert).error().context(c.file.string()));
    const std::string html = certificate::printable_html(*cert);
    if (auto st = vigil::write_file_atomically(c.out, as_bytes(html)); !st) return failed(st.error());
    std::cout << "printable page written to " << c.out.string() << " (the signed file stays the proof)\n";
    return 0;
  }
  return std::nullopt;
}

}  // namespace vigil::server::app
