#include "shared/certificate/printable.hpp"

#include <string_view>

namespace vigil::certificate {

namespace {

std::string esc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += ch;
    }
  }
  return out;
}

std::string level_text(std::string_view level) {
  if (level == "practitioner") return "Child and family practitioner";
  if (level == "practice_supervisor") return "Child and family practice supervisor";
  return std::string(level);
}

constexpr std::string_view k_style = R"(
  body { font-family: system-ui, sans-serif; color: #1b1b1b; background: #fff; margin: 2rem auto; max-width: 48rem;
         line-height: 1.5; padding: 0 1rem; }
  main { border: 3px double #1d3557; padding: 2rem; }
  h1 { font-size: 1.8rem; margin-top: 0; color: #1d3557; }
  .holder { font-size: 1.6rem; font-weight: bold; margin: 0.5rem 0; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; }
  dt { font-weight: bold; }
  dd { margin: 0; overflow-wrap: anywhere; }
  table { border-collapse: collapse; margin: 1rem 0; }
  th, td { border: 1px solid #555; padding: 0.25rem 0.75rem; text-align: left; }
  code { font-size: 0.95em; overflow-wrap: anywhere; }
  .note { border-left: 4px solid #1d3557; padding-left: 1rem; }
  @media print { body { margin: 0; } main { border-width: 2px; } }
)";

}  // namespace

std::string printable_html(const Credential& c) {
  std::string h;
  h += "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  h += "<title>Certificate of accreditation: " + esc(c.candidate_name) + "</title>\n";
  h += "<style>" + std::string(k_style) + "</style>\n</head>\n<body>\n<main>\n";
  h += "<h1>Certificate of accreditation</h1>\n";
  h += "<p>This certifies that</p>\n<p class=\"holder\">" + esc(c.candidate_name) + "</p>\n";
  h += "<p>has <strong>met</strong> the post-qualifying standard for <strong>" + esc(level_text(c.level)) +
       "</strong> in the national assessment and accreditation system.</p>\n";
  h += "<dl>\n";
  h += "<dt>Awarded</dt><dd>" + esc(c.award_date) + "</dd>\n";
  h += "<dt>Valid until</dt><dd>" + esc(c.expiry_date) + " (re-accreditation is due by then)</dd>\n";
  h += "<dt>Candidate id</dt><dd>" + esc(c.candidate_id) + "</dd>\n";
  h += "<dt>Assessment</dt><dd>" + esc(c.assessment_id) + ", version " + std::to_string(c.assessment_version) + "</dd>\n";
  h += "<dt>Certificate id</dt><dd><code>" + esc(c.credential_id) + "</code></dd>\n";
  h += "<dt>Issuer key</dt><dd><code>" + esc(c.issuer_key_id) + "</code></dd>\n";
  h += "</dl>\n";
  if (!c.feedback.empty()) {
    h += "<h2>Feedback per KSS area</h2>\n<table>\n<caption>Score and standard per Knowledge and Skills Statement area</caption>\n";
    h += "<thead><tr><th scope=\"col\">KSS area</th><th scope=\"col\">Score</th><th scope=\"col\">At the standard</th></tr></thead>\n<tbody>\n";
    for (const auto& f : c.feedback) {
      h += "<tr><th scope=\"row\">" + esc(f.kss) + "</th><td>" + std::to_string(f.percent) + "%</td><td>" +
           (f.at_standard ? "Yes" : "An area to develop") + "</td></tr>\n";
    }
    h += "</tbody>\n</table>\n";
  }
  h += "<h2>Checking this certificate</h2>\n<p class=\"note\">This page is a copy for printing. The proof is the signed "
       "certificate file. Anyone can check that file offline with <code>vigil-client verify-certificate FILE --keys "
       "issuer-keys.json --revocations revocations.json</code>, using the programme's published issuer keys and "
       "revocation list; the check names the certificate id above.</p>\n";
  h += "</main>\n</body>\n</html>\n";
  return h;
}

}  // namespace vigil::certificate
