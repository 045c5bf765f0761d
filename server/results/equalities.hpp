#pragma once
// Equalities monitoring on the server (docs/EQUALITIES.md): storing a candidate's optional
// self-declaration apart from their identity, and the aggregate report per assessment window
// that only programme admins see.
//
// Invariants:
//  (1) A declaration is stored under subject = equalities_subject(candidate id), never under the
//      candidate id, and only the device API (the candidate's own enrolled device) writes it.
//  (2) The report holds only group counts: no candidate id, name, sitting, subject or
//      per-person value ever leaves this module.
//  (3) Every characteristic's groups go through results::aggregate_by_group, so a group under
//      results::k_min_group_size is withheld, with secondary suppression.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/home/server_keys.hpp"
#include "server/storage/equalities_repository.hpp"
#include "shared/results/analysis.hpp"
#include "shared/results/equalities.hpp"
#include "shared/time/clock.hpp"

namespace vigil::server {

// (1) Hex of HKDF-SHA256(ikm = the server's receipt seed, salt = "vigil equalities subject v1",
// info = candidate id): a keyed pseudonym. Deterministic for a server home; unlinkable to the
// candidate without the server's keys.
Result<std::string> equalities_subject(const ServerKeys& keys, std::string_view candidate_id);

// Replaces the candidate's declaration (the latest wins).
Status put_equalities(EqualitiesRepository& eq, const ServerKeys& keys, std::string_view candidate_id,
                      const results::EqualitiesDeclaration& d, const time::Clock& clock);

struct EqualitiesReport {
  struct Characteristic {
    std::string field;
    std::string label;
    std::vector<results::GroupRow> groups;  // group = option code or results::k_not_declared
  };
  std::string assessment_id;
  std::size_t sittings = 0;            // scored sittings in the window (every group's base)
  std::size_t min_group_size = results::k_min_group_size;
  std::vector<Characteristic> characteristics;
};

// (2)(3) One observation per scored sitting of the window: its outcome, whether its session was
// flagged (pending or upheld), and its candidate's declaration (or "not declared").
Result<EqualitiesReport> equalities_report(EqualitiesRepository& eq, const ServerKeys& keys, std::string_view assessment_id,
                                           std::size_t min_group_size = results::k_min_group_size);

nlohmann::json to_json(const EqualitiesReport& r);
// characteristic,group,candidates,met,not_met,incomplete,flagged,flag_rate_percent,suppressed;
// a suppressed group's counts are empty cells.
std::string equalities_csv(const EqualitiesReport& r);

}  // namespace vigil::server
