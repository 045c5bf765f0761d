#include "shared/journal/verifier.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <unordered_set>

namespace vigil::journal {

namespace {

struct HashKey {
  std::size_t operator()(const Hash& h) const noexcept {
    std::size_t v = 0;
    std::memcpy(&v, h.data(), sizeof v);
    return v;
  }
};

struct Candidate {
  const Entry* entry;
  Hash hash;
};

// "record 4 is" / "records 4 to 6 are", so findings read as plain sentences.
std::string records_are(std::uint64_t from, std::uint64_t to) {
  return from == to ? "record " + std::to_string(from) + " is"
                    : "records " + std::to_string(from) + " to " + std::to_string(to) + " are";
}

__extension__ using wide = __int128;  // pedantic-clean: GCC and Clang both have it

std::string seconds(wide ms) {
  std::ostringstream s;
  s.precision(1);
  s << std::fixed << static_cast<double>(ms) / 1000.0 << " s";
  return s.str();
}

class Verifier {
 public:
  Verifier(const VerifyInput& in, const VerifyOptions& o) : in_(in), opt_(o) {}

  Report run() {
    report_.records_checked = in_.entries.size();
    check_storage_order();
    walk_chain();
    check_checkpoints();
    finish();
    return std::move(report_);
  }

 private:
  void add(FindingKind k, std::uint64_t seq, std::string detail) {
    // One finding per kind and position; a set keeps hostile input with many findings linear.
    if (!seen_.emplace(k, seq).second) return;
    report_.findings.push_back({k, seq, std::move(detail)});
  }

  // Storage order must be sequence order. Each record stored after a higher sequence is reported.
  void check_storage_order() {
    std::uint64_t highest = 0;
    for (const auto& e : in_.entries) {
      if (e.record.seq < highest) {
        add(FindingKind::reordered, e.record.seq,
            "record " + std::to_string(e.record.seq) + " is stored after record " + std::to_string(highest));
      }
      highest = std::max(highest, e.record.seq);
    }
  }

  void walk_chain() {
    // Group by sequence number (stable: among duplicates, storage order decides).
    std::map<std::uint64_t, std::vector<Candidate>> by_seq;
    std::unordered_set<Hash, HashKey> referenced;  // every prev_hash some record commits to
    for (const auto& e : in_.entries) {
      by_seq[e.record.seq].push_back({&e, record_hash(e.record)});
      referenced.insert(e.record.prev_hash);
    }

    Head prev = in_.start;
    bool have_prev_record = !prev.boot_id.empty();
    std::uint64_t expected = prev.seq + 1;
    std::unordered_set<Hash, HashKey> other_branch;  // heads of forks we did not follow

    for (auto& [seq, cands] : by_seq) {
      if (seq <= in_.start.seq) {
        add(FindingKind::inserted, seq,
            "record " + std::to_string(seq) + " is at or before the anchored sequence " +
                std::to_string(in_.start.seq));
        continue;
      }
      bool gap = false;
      if (seq > expected) {
        add(FindingKind::deleted, expected, records_are(expected, seq - 1) + " missing");
        gap = true;
      }

      // Records at this seq that continue a fork branch we are not following are not news. A
      // second copy of the very same record is an insertion (and its payload is checked too).
      std::vector<Candidate> mine;
      for (const auto& c : cands) {
        if (other_branch.count(c.entry->record.prev_hash) != 0) {
          other_branch.insert(c.hash);
          continue;
        }
        const auto same = std::find_if(mine.begin(), mine.end(), [&](const Candidate& m) { return m.hash == c.hash; });
        if (same != mine.end()) {
          add(FindingKind::inserted, seq, "record " + std::to_string(seq) + " is stored more than once");
          if (c.entry->payload && payload_hash(*c.entry->payload) != c.entry->record.payload_hash) {
            add(FindingKind::modified, seq, "the payload of record " + std::to_string(seq) + " was changed");
          }
          continue;
        }
        mine.push_back(c);
      }
      if (mine.empty()) continue;

      const Candidate* chosen = &mine.front();
      if (mine.size() > 1) {
        chosen = resolve_duplicates(seq, mine, prev.hash, referenced, other_branch);
      }
      const Record& r = chosen->entry->record;

      if (!gap && r.prev_hash != prev.hash) {
        if (have_prev_record || prev.seq > 0) {
          add(FindingKind::modified, prev.seq,
              "record " + std::to_string(prev.seq) + " does not match the hash record " +
                  std::to_string(seq) + " committed to");
        } else {
          add(FindingKind::modified, seq,
              "record " + std::to_string(seq) + " does not link to the start of this chain");
        }
      }
      if (chosen->entry->payload && payload_hash(*chosen->entry->payload) != r.payload_hash) {
        add(FindingKind::modified, seq, "the payload of record " + std::to_string(seq) + " was changed");
      }
      if (have_prev_record) check_time(prev, r);

      chosen_[seq] = chosen->hash;
      prev = Head{r.seq, chosen->hash, r.boot_id, r.monotonic_ns, r.wall_ms};
      have_prev_record = true;
      expected = seq + 1;
    }
    report_.last_seq = prev.seq;
  }

  // Several records claim one sequence number: decide which continues the chain and classify the
  // rest as inserted or as a fork.
  const Candidate* resolve_duplicates(std::uint64_t seq, const std::vector<Candidate>& mine, const Hash& prev_hash,
                                      const std::unordered_set<Hash, HashKey>& referenced,
                                      std::unordered_set<Hash, HashKey>& other_branch) {
    std::vector<const Candidate*> linked, continued;
    for (const auto& c : mine) {
      if (c.entry->record.prev_hash == prev_hash) {
        linked.push_back(&c);
        if (referenced.count(c.hash) != 0) continued.push_back(&c);
      }
    }
    const Candidate* chosen = !continued.empty() ? continued.front()
                              : !linked.empty()  ? linked.front()
                                                 : &mine.front();
    if (continued.size() >= 2 || (continued.empty() && linked.size() >= 2)) {
      add(FindingKind::forked, seq,
          std::to_string(linked.size()) + " different records continue the chain at record " + std::to_string(seq) +
              ": the device ran more than one history");
      for (const auto* c : linked) {
        if (c->hash != chosen->hash) other_branch.insert(c->hash);
      }
    }
    for (const auto& c : mine) {
      if (&c == chosen || other_branch.count(c.hash) != 0) continue;
      add(FindingKind::inserted, seq,
          "an extra record " + std::to_string(seq) + " (" + c.entry->record.type + ") is not part of the chain");
    }
    return chosen;
  }

  // Times come from the device and may be anything: all arithmetic is done in 128 bits, so no
  // input can overflow it (the differences of two int64 or uint64 values always fit).
  void check_time(const Head& p, const Record& r) {
    const wide tolerance = opt_.clock_jump_tolerance_ms;
    const wide wall_delta = wide{r.wall_ms} - wide{p.wall_ms};
    if (r.boot_id == p.boot_id) {
      if (r.monotonic_ns < p.monotonic_ns) {
        add(FindingKind::time_backwards, r.seq,
            "monotonic time went backwards at record " + std::to_string(r.seq) + " within one boot");
        return;
      }
      const wide mono_ms = wide{r.monotonic_ns - p.monotonic_ns} / 1'000'000;
      const wide drift = wall_delta - mono_ms;
      if (wall_delta < -tolerance) {
        add(FindingKind::time_backwards, r.seq,
            "the wall clock went back by " + seconds(-wall_delta) + " at record " + std::to_string(r.seq));
      } else if (drift > tolerance || drift < -tolerance) {
        add(FindingKind::clock_jump, r.seq,
            "the wall clock moved " + seconds(drift) + " against elapsed time at record " + std::to_string(r.seq));
      }
    } else if (wall_delta < -tolerance) {
      add(FindingKind::time_backwards, r.seq,
          "after a restart the wall clock was " + seconds(-wall_delta) + " earlier, at record " + std::to_string(r.seq));
    }
  }

  void check_checkpoints() {
    for (const auto& c : in_.checkpoints) {
      if (c.chain_id != in_.chain_id) {
        add(FindingKind::bad_checkpoint, c.seq, "a checkpoint for another session was supplied");
        continue;
      }
      if (in_.device_public_key.empty() || !verify_checkpoint(c, in_.device_public_key)) {
        add(FindingKind::bad_checkpoint, c.seq,
            "the checkpoint at record " + std::to_string(c.seq) + " is not signed by this device");
        continue;
      }
      if (c.seq <= in_.start.seq) continue;  // already anchored: nothing here to compare with
      if (c.seq > report_.last_seq) {
        add(FindingKind::deleted, report_.last_seq + 1,
            records_are(report_.last_seq + 1, c.seq) + " missing from the end (a signed checkpoint covers record " +
                std::to_string(c.seq) + ")");
        continue;
      }
      auto it = chosen_.find(c.seq);
      if (it == chosen_.end()) continue;  // a gap, already reported as deleted
      if (it->second != c.head_hash) {
        add(FindingKind::modified, c.seq,
            "record " + std::to_string(c.seq) + " does not match the device's signed checkpoint");
      }
    }
  }

  void finish() {
    std::stable_sort(report_.findings.begin(), report_.findings.end(),
                     [](const Finding& a, const Finding& b) { return a.seq < b.seq; });
    // Clock findings and storage order are flags for a human, not breaks in the chain: only
    // structural findings limit how far the chain can be trusted (and anchored).
    report_.intact_through = report_.last_seq;
    for (const auto& f : report_.findings) {
      const bool structural = f.kind == FindingKind::modified || f.kind == FindingKind::deleted ||
                              f.kind == FindingKind::inserted || f.kind == FindingKind::forked;
      if (structural) {
        report_.intact_through = f.seq > in_.start.seq ? f.seq - 1 : in_.start.seq;
        break;
      }
    }
  }

  const VerifyInput& in_;
  const VerifyOptions& opt_;
  Report report_;
  std::map<std::uint64_t, Hash> chosen_;
  std::set<std::pair<FindingKind, std::uint64_t>> seen_;
};

}  // namespace

std::string_view finding_name(FindingKind k) noexcept {
  switch (k) {
    case FindingKind::modified: return "modified";
    case FindingKind::deleted: return "deleted";
    case FindingKind::inserted: return "inserted";
    case FindingKind::reordered: return "reordered";
    case FindingKind::forked: return "forked";
    case FindingKind::time_backwards: return "time_backwards";
    case FindingKind::clock_jump: return "clock_jump";
    case FindingKind::bad_checkpoint: return "bad_checkpoint";
  }
  return "unknown";
}

bool Report::has(FindingKind k) const noexcept {
  return std::any_of(findings.begin(), findings.end(), [k](const Finding& f) { return f.kind == k; });
}

std::string Report::summary() const {
  std::ostringstream s;
  s << records_checked << " records checked, chain intact through record " << intact_through;
  if (findings.empty()) {
    s << ": no problems found\n";
  } else {
    s << ", " << findings.size() << " problem(s):\n";
    for (const auto& f : findings) s << "  " << finding_name(f.kind) << " @" << f.seq << ": " << f.detail << "\n";
  }
  return s.str();
}

Report verify(const VerifyInput& in, const VerifyOptions& options) {
  return Verifier(in, options).run();
}

}  // namespace vigil::journal

