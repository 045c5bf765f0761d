#include "server/results/equalities.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "server/results/csv.hpp"
#include "shared/crypto/kdf.hpp"
#include "shared/results/scoring.hpp"
#include "shared/time/format.hpp"

namespace vigil::server {

namespace {

constexpr std::string_view k_subject_salt = "vigil equalities subject v1";

std::string percent(std::size_t part, std::size_t whole) {
  if (whole == 0) return "";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
  return buf;
}

}  // namespace

Result<std::string> equalities_subject(const ServerKeys& keys, std::string_view candidate_id) {
  VIGIL_ASSIGN(auto key, crypto::hkdf_sha256(ByteView(keys.receipt_seed.data(), keys.receipt_seed.size()),
                                             as_bytes(k_subject_salt), as_bytes(candidate_id), 32));
  return to_hex(ByteView(key.data(), key.size()));
}

Status put_equalities(EqualitiesRepository& eq, const ServerKeys& keys, std::string_view candidate_id,
                      const results::EqualitiesDeclaration& d, const time::Clock& clock) {
  VIGIL_ASSIGN(auto subject, equalities_subject(keys, candidate_id));
  return eq.put_declaration(subject, d, time::utc_date(clock.wall_ms()));
}

Result<EqualitiesReport> equalities_report(EqualitiesRepository& eq, const ServerKeys& keys, std::string_view assessment_id,
                                           std::size_t min_group_size) {
  VIGIL_ASSIGN(auto rows, eq.window_outcomes(assessment_id));
  const auto& chars = results::equalities_characteristics();
  std::vector<std::vector<results::GroupObservation>> obs(chars.size());
  for (const auto& row : rows) {
    VIGIL_ASSIGN(auto outcome, results::parse_outcome(row.outcome));
    VIGIL_ASSIGN(auto subject, equalities_subject(keys, row.candidate_id));
    VIGIL_ASSIGN(auto decl, eq.declaration(subject));
    for (std::size_t i = 0; i < chars.size(); ++i) {
      const std::optional<std::string> none;
      const auto& v = decl ? decl->get(chars[i].field) : none;
      obs[i].push_back({v ? *v : std::string(results::k_not_declared), outcome, row.flagged});
    }
  }
  EqualitiesReport out;
  out.assessment_id = std::string(assessment_id);
  out.sittings = rows.size();
  out.min_group_size = min_group_size;
  for (std::size_t i = 0; i < chars.size(); ++i) {
    auto groups = results::aggregate_by_group(obs[i], min_group_size);  // (3)
    // In the form's order, "not declared" last (aggregate_by_group sorts by code).
    const auto rank = [&](const results::GroupRow& g) {
      for (std::size_t k = 0; k < chars[i].option_count; ++k) {
        if (chars[i].options[k].code == g.group) return k;
      }
      return chars[i].option_count;
    };
    std::stable_sort(groups.begin(), groups.end(), [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
    out.characteristics.push_back({std::string(chars[i].field), std::string(chars[i].label), std::move(groups)});
  }
  return out;
}

nlohmann::json to_json(const EqualitiesReport& r) {
  auto chars = nlohmann::json::array();
  for (const auto& c : r.characteristics) {
    auto groups = nlohmann::json::array();
    for (const auto& g : c.groups) {
      nlohmann::json j{{"group", g.group}, {"label", results::equalities_label(c.field, g.group)}, {"suppressed", g.suppressed}};
      if (!g.suppressed) {
        j["candidates"] = g.candidates;
        j["met"] = g.met;
        j["not_met"] = g.not_met;
        j["flagged"] = g.flagged;
        j["flag_rate"] = g.candidates ? static_cast<double>(g.flagged) / static_cast<double>(g.candidates) : 0.0;
      }
      groups.push_back(std::move(j));
    }
    chars.push_back({{"field", c.field}, {"label", c.label}, {"groups", groups}});
  }
  return {{"v", 1},
          {"assessment_id", r.assessment_id},
          {"sittings", r.sittings},
          {"min_group_size", r.min_group_size},
          {"characteristics", chars}};
}

std::string equalities_csv(const EqualitiesReport& r) {
  CsvWriter csv(CsvWriter::Quote::always);
  for (std::string_view column : {"characteristic", "group", "candidates", "met", "not_met", "flagged", "flag_rate_percent", "suppressed"}) {
    csv.plain(column);
  }
  csv.end_row();
  for (const auto& c : r.characteristics) {
    for (const auto& g : c.groups) {
      csv.text(c.label).text(results::equalities_label(c.field, g.group));
      if (g.suppressed) {
        for (int i = 0; i < 5; ++i) csv.plain("");
        csv.plain("yes");
      } else {
        csv.number(g.candidates).number(g.met).number(g.not_met).number(g.flagged);
        csv.plain(percent(g.flagged, g.candidates)).plain("no");
      }
      csv.end_row();
    }
  }
  return csv.take();
}

}  // namespace vigil::server
