#pragma once
// The identity check's rules (issue 16 part 2; docs/STAFF.md "Identity checks"): what a proctor's
// decision does to a sitting's check. No HTTP, no SQL: the staff API applies the step it returns
// and the storage keeps it (schema 11, migrations/011_identity_checks.sql).
//
// Invariants:
//  (1) A decision is matches, does_not_match or cannot_tell; anything but matches needs a note.
//      does_not_match also needs a public reason (issue 16 part 3; shared/results/outcome.hpp
//      check_public_reason): the short sentence the candidate and their council see if the result
//      is withheld, never the note. The second proctor sees the first's and gives their own (the
//      page offers the first's to keep or reword); the confirming one is shown. No other decision
//      takes one.
//  (2) Open: only the first (assigned) proctor decides. matches decides the check; does_not_match
//      and cannot_tell wait for a second proctor (awaiting_second).
//  (3) Awaiting a second proctor: only the second proctor decides, and never the proctor who
//      proposed; they answer matches or does_not_match (cannot_tell is not an answer twice), and
//      their answer decides the check. A mismatch is therefore only ever recorded by two people;
//      a "matches" by the second after a first's doubt releases the result, and the doubt stays on
//      record (identity_decisions).
//  (4) A decided check is final.
#include <cstdint>
#include <string>
#include <string_view>

#include "shared/core/result.hpp"

namespace vigil::server {

// Where a check stands, as stored.
struct IdentityCheckState {
  std::string state = "open";   // open | awaiting_second | decided
  std::int64_t proctor_id = 0;          // the first proctor (0: unassigned)
  std::int64_t second_proctor_id = 0;   // the second (0: none yet)
  std::string proposed_decision;        // does_not_match | cannot_tell, while awaiting_second
  std::int64_t proposed_by = 0;
};

// What one decision does.
struct IdentityStep {
  std::string state;               // the check's new state
  std::string proposed_decision;   // set when it now awaits a second proctor
  std::int64_t proposed_by = 0;
  std::string decision;            // matches | does_not_match once decided
  int stage = 1;                   // 1: the first proctor's decision, 2: the second's
  std::string public_reason;       // does_not_match: the checked, trimmed public reason
};

// Checks the decision (1) and who makes it (2)-(4); conflict or invalid_argument (field
// "decision", "note" or "public_reason") when it is not allowed.
Result<IdentityStep> identity_step(const IdentityCheckState& check, std::string_view decision, std::string_view note,
                                   std::string_view public_reason, std::int64_t by);

// The proctors who may open this check and its photos: the first (assigned) proctor, and the
// second once the check was passed to them (awaiting_second, and after they decided it).
bool may_see_identity(const IdentityCheckState& check, std::int64_t proctor_id);

}  // namespace vigil::server
