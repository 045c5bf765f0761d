#pragma once
// Marking and review rules that need no staff pages, as pure functions the staff API calls
// (docs/RESULTS.md): when a written script needs a second marker, when two markers disagree, the
// agreed mark; item statistics for the psychometric review; and small-group suppression for the
// equalities report.
//
// Invariants:
//  (1) Every threshold comparison is in whole numbers (raw * 100 against percent * max), as in
//      scoring.hpp: no floating point decides who is marked twice.
//  (2) A group under the minimum size never appears with its counts, and never becomes derivable
//      by subtraction from the other groups and the total (secondary suppression).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shared/core/result.hpp"
#include "shared/results/scoring.hpp"

namespace vigil::results {

// ---- Second marking --------------------------------------------------------------------------

struct SecondMarkingPolicy {
  std::uint32_t band_percent = 5;          // borderline: within this many points of the threshold
  std::uint32_t tolerance_percent = 10;    // two markers agree when their totals differ by at most this
};

// True when the first marker's written total is within band_percent of the written threshold,
// either side, inclusive: |raw*100 - threshold*max| <= band*max. Such scripts are marked twice.
bool needs_second_marking(const std::vector<WrittenAreaMark>& first, std::uint32_t threshold, const SecondMarkingPolicy& p);

// True when two markings of one script disagree: their totals differ by more than the tolerance,
// or they fall on different sides of the threshold. A disagreement goes to a third (senior)
// marker, whose marks are then final.
Result<bool> markers_disagree(const std::vector<WrittenAreaMark>& first, const std::vector<WrittenAreaMark>& second,
                              std::uint32_t threshold, const SecondMarkingPolicy& p);

// The agreed marks of two markings that agree: per area the mean, a half rounded up (the
// candidate gets the benefit of the doubt). Errors when the two do not cover the same areas with
// the same maxima.
Result<std::vector<WrittenAreaMark>> agreed_marks(const std::vector<WrittenAreaMark>& first,
                                                  const std::vector<WrittenAreaMark>& second);

// ---- Item statistics -------------------------------------------------------------------------

struct ItemStatistic {
  std::string item_id;
  std::size_t candidates = 0;               // how many scored reports contained the item
  double facility = 0;                       // proportion who got it right, 0..1
  std::optional<double> discrimination;      // corrected point-biserial: correlation of the item
                                             // mark with the rest of the objective score; absent
                                             // when either has no variance
};
// One entry per item id seen in the reports' item detail, sorted by id.
std::vector<ItemStatistic> item_statistics(const std::vector<ScoreReport>& reports);

// ---- Equalities: small-group suppression ------------------------------------------------------

inline constexpr std::size_t k_min_group_size = 10;

struct GroupObservation {
  std::string group;     // e.g. "age:25-34", "ethnicity:prefer not to say"
  Outcome outcome = Outcome::incomplete;
  bool flagged = false;  // the session had a proctoring flag upheld or pending
};
struct GroupRow {
  std::string group;
  bool suppressed = false;   // counts withheld: fewer than the minimum, or (2) secondary
  std::size_t candidates = 0, met = 0, not_met = 0, flagged = 0;  // all 0 when suppressed
};
// Aggregates observations by group (one dimension at a time: call per characteristic), sorted by
// group. Primary suppression: groups under min_size. Secondary: when exactly one group is
// suppressed, the smallest other group is suppressed too.
std::vector<GroupRow> aggregate_by_group(const std::vector<GroupObservation>& obs, std::size_t min_size = k_min_group_size);

}  // namespace vigil::results
