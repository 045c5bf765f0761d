#include "shared/results/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace vigil::results {

namespace {

Marks total(const std::vector<WrittenAreaMark>& marks) {
  Marks m;
  for (const auto& a : marks) {
    m.raw += a.mark;
    m.max += a.max;
  }
  return m;
}

// |raw*100 - t*max| in whole numbers.
std::uint64_t distance(const Marks& m, std::uint32_t threshold) {
  const auto a = std::uint64_t{m.raw} * 100, b = std::uint64_t{threshold} * m.max;
  return a > b ? a - b : b - a;
}

}  // namespace

bool needs_second_marking(const std::vector<WrittenAreaMark>& first, std::uint32_t threshold, const SecondMarkingPolicy& p) {
  const auto m = total(first);
  if (m.max == 0) return false;
  return distance(m, threshold) <= std::uint64_t{p.band_percent} * m.max;  // (1)
}

Result<bool> markers_disagree(const std::vector<WrittenAreaMark>& first, const std::vector<WrittenAreaMark>& second,
                              std::uint32_t threshold, const SecondMarkingPolicy& p) {
  const auto a = total(first), b = total(second);
  if (a.max != b.max || a.max == 0) {
    return fail(Errc::invalid_argument, "the two markings are not out of the same maximum: they cannot be compared");
  }
  const std::uint64_t diff = a.raw > b.raw ? a.raw - b.raw : b.raw - a.raw;
  if (diff * 100 > std::uint64_t{p.tolerance_percent} * a.max) return true;
  return a.reaches(threshold) != b.reaches(threshold);
}

Result<std::vector<WrittenAreaMark>> agreed_marks(const std::vector<WrittenAreaMark>& first,
                                                  const std::vector<WrittenAreaMark>& second) {
  if (first.size() != second.size()) return fail(Errc::invalid_argument, "the two markings cover different KSS areas");
  std::vector<WrittenAreaMark> out;
  for (const auto& a : first) {
    auto b = std::find_if(second.begin(), second.end(), [&](const auto& x) { return x.kss == a.kss; });
    if (b == second.end()) return fail(Errc::invalid_argument, "the second marking has no mark for " + a.kss, a.kss);
    if (b->max != a.max) return fail(Errc::invalid_argument, "the two markings give " + a.kss + " different maxima", a.kss);
    out.push_back({a.kss, (a.mark + b->mark + 1) / 2, a.max});
  }
  return out;
}

std::vector<ItemStatistic> item_statistics(const std::vector<ScoreReport>& reports) {
  // Per report: its objective total (sum of item marks), then per item the pairs (mark, rest).
  std::map<std::string, std::vector<std::pair<double, double>>> per_item;
  for (const auto& r : reports) {
    std::uint32_t sum = 0;
    for (const auto& i : r.items) sum += i.mark;
    for (const auto& i : r.items) per_item[i.item_id].push_back({double(i.mark), double(sum - i.mark)});
  }
  std::vector<ItemStatistic> out;
  for (const auto& [id, pairs] : per_item) {
    ItemStatistic s;
    s.item_id = id;
    s.candidates = pairs.size();
    const double n = double(pairs.size());
    double mx = 0, my = 0;
    for (const auto& [x, y] : pairs) {
      mx += x;
      my += y;
    }
    mx /= n;
    my /= n;
    s.facility = mx;
    double sxy = 0, sxx = 0, syy = 0;
    for (const auto& [x, y] : pairs) {
      sxy += (x - mx) * (y - my);
      sxx += (x - mx) * (x - mx);
      syy += (y - my) * (y - my);
    }
    if (sxx > 0 && syy > 0) s.discrimination = sxy / std::sqrt(sxx * syy);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<GroupRow> aggregate_by_group(const std::vector<GroupObservation>& obs, std::size_t min_size) {
  std::map<std::string, GroupRow> groups;
  for (const auto& o : obs) {
    auto& g = groups[o.group];
    g.group = o.group;
    ++g.candidates;
    if (o.outcome == Outcome::met) ++g.met;
    if (o.outcome == Outcome::not_met) ++g.not_met;
    if (o.flagged) ++g.flagged;
  }
  std::vector<GroupRow> out;
  for (auto& [_, g] : groups) out.push_back(g);
  std::size_t suppressed = 0;
  for (auto& g : out) {
    if (g.candidates < min_size) {
      g.suppressed = true;
      ++suppressed;
    }
  }
  if (suppressed == 1) {  // (2) otherwise total minus the others reveals it
    GroupRow* smallest = nullptr;
    for (auto& g : out) {
      if (!g.suppressed && (!smallest || g.candidates < smallest->candidates)) smallest = &g;
    }
    if (smallest) smallest->suppressed = true;
  }
  for (auto& g : out) {
    if (g.suppressed) g.candidates = g.met = g.not_met = g.flagged = 0;
  }
  return out;
}

}  // namespace vigil::results
