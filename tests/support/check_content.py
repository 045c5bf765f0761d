#!/usr/bin/env python3
"""Check assessment source directories against docs/CONTENT-FORMAT.md and print a summary.

Usage: check_content.py [--self-test] [DIR ...]
  DIR defaults to the two samples, server/content/practitioner and
  server/content/practice-supervisor. Exit status 0 when every directory passes, 1 otherwise.
  --self-test also breaks copies of the samples in memory, one rule at a time, and fails unless
  the checker reports each break (so a rule that stops being checked is noticed).

This is an independent reading of the format, written against the document rather than the C++
parser, so a disagreement between the two shows up as a failing test. Every error names the file
and the JSON path, in the same style the server uses (`knowledge.json: items[12].answer`).

Rules for the format itself (apply to any assessment):
  1. assessment.json has exactly format, id, version, title, level, sections and optional breaks;
     each section has id, kind, title, minutes (1-240), intro and its own file; breaks last 1-120
     minutes (the limits the server's validator applies where the format document is silent).
  2. ids: assessment 3-64, section and item 1-64 characters of a-z 0-9 -; section ids unique,
     item ids unique across the whole assessment.
  3. level is practitioner (P1-P10) or practice_supervisor (S1-S8); every kss id is of the level.
  4. single: 3-6 options, answer = exactly one index. multiple: 4-8 options, select >= 2,
     answer = exactly `select` distinct indexes. Indexes are 0-based and in range.
  5. written: words.min < words.max; rubric keys are exactly the item's kss ids, each a non-empty
     list of descriptors.
  6. knowledge files hold single/multiple items only; scenario files need case_material; written
     files hold written items only.
  7. Unknown fields are errors.
Rules for Vigil's sample content (the demo assessments; DESIGN.md section 1):
  8. sections total 240 minutes; at least 30 knowledge items, two scenario sections, one written
     task; every KSS area of the level is tested by at least 3 knowledge items; every single and
     multiple item has a rationale.
"""
import copy
import json
import os
import re
import sys
from collections import Counter, OrderedDict

FORMAT = "vigil-assessment-source/1"
LEVELS = {
    "practitioner": ["P%d" % i for i in range(1, 11)],
    "practice_supervisor": ["S%d" % i for i in range(1, 9)],
}
ASSESSMENT_ID = re.compile(r"[a-z0-9-]{3,64}")
SHORT_ID = re.compile(r"[a-z0-9-]{1,64}")
KINDS = ("knowledge", "scenario", "written")


class Checker:
    def __init__(self, files):
        # files: {file name: parsed JSON}; a file that failed to parse is absent.
        self.files = files
        self.errors = []

    def err(self, where, message):
        self.errors.append("%s: %s" % (where, message))

    # -- small typed checks; each returns True when the value is acceptable ---------------------
    def fields(self, where, obj, required, optional=()):
        if not isinstance(obj, dict):
            self.err(where, "must be an object")
            return False
        ok = True
        for key in required:
            if key not in obj:
                self.err(where, "missing field '%s'" % key)
                ok = False
        for key in obj:
            if key not in required and key not in optional:
                # `where` is either "file.json:" (a file's top level) or a JSON path to extend.
                self.err("%s.%s" % (where, key) if where[-1:] != ":" else where + " " + key,
                         "unknown field (a typo? allowed here: %s)"
                         % ", ".join(list(required) + list(optional)))
                ok = False
        return ok

    def text(self, where, value):
        if not isinstance(value, str) or not value.strip():
            self.err(where, "must be a non-empty string")
            return False
        return True

    def paragraphs(self, where, value):
        if not isinstance(value, list) or not value:
            self.err(where, "must be a non-empty list of paragraphs")
            return False
        return all(self.text("%s[%d]" % (where, i), p) for i, p in enumerate(value))

    def integer(self, where, value, low, high=None):
        if isinstance(value, bool) or not isinstance(value, int):
            self.err(where, "must be an integer")
            return False
        if value < low or (high is not None and value > high):
            self.err(where, "must be between %d and %s" % (low, high if high else "any"))
            return False
        return True

    def ident(self, where, value, pattern, what):
        if not isinstance(value, str) or not pattern.fullmatch(value):
            self.err(where, "%s must be %s" % (what, {
                ASSESSMENT_ID: "3-64 characters of a-z 0-9 -",
                SHORT_ID: "1-64 characters of a-z 0-9 -"}[pattern]))
            return False
        return True

    # -- the assessment ------------------------------------------------------------------------
    def check(self, sample_rules=True):
        a = self.files.get("assessment.json")
        if a is None:
            self.err("assessment.json", "missing or not valid JSON")
            return None
        w = "assessment.json:"
        self.fields(w, a, ["format", "id", "version", "title", "level", "sections"], ["breaks"])
        if a.get("format") != FORMAT:
            self.err("assessment.json: format", "must be \"%s\"" % FORMAT)
        self.ident("assessment.json: id", a.get("id"), ASSESSMENT_ID, "id")
        self.integer("assessment.json: version", a.get("version"), 1)
        self.text("assessment.json: title", a.get("title"))
        level = a.get("level")
        if level not in LEVELS:
            self.err("assessment.json: level", "must be practitioner or practice_supervisor")
            kss_ids = []
        else:
            kss_ids = LEVELS[level]

        sections = a.get("sections")
        if not isinstance(sections, list) or not sections:
            self.err("assessment.json: sections", "must be a non-empty list")
            sections = []
        summary = OrderedDict()
        item_ids = {}
        section_ids = []
        used_files = set()
        total = 0
        for si, s in enumerate(sections):
            sw = "assessment.json: sections[%d]" % si
            if not self.fields(sw, s, ["id", "kind", "title", "minutes", "intro", "file"]):
                if not isinstance(s, dict):
                    continue
            if self.ident(sw + ".id", s.get("id"), SHORT_ID, "section id"):
                if s["id"] in section_ids:
                    self.err(sw + ".id", "duplicate section id '%s'" % s["id"])
                section_ids.append(s["id"])
            kind = s.get("kind")
            if kind not in KINDS:
                self.err(sw + ".kind", "must be one of %s" % ", ".join(KINDS))
            self.text(sw + ".title", s.get("title"))
            if self.integer(sw + ".minutes", s.get("minutes"), 1, 240):
                total += s["minutes"]
            intro = s.get("intro")
            if not isinstance(intro, list):
                self.err(sw + ".intro", "must be a list of paragraphs (it may be empty)")
            else:
                for pi, para in enumerate(intro):
                    self.text("%s.intro[%d]" % (sw, pi), para)
            name = s.get("file")
            if not isinstance(name, str) or "/" in name or "\\" in name or not name.endswith(".json"):
                self.err(sw + ".file", "must be a .json file name in the same directory")
                continue
            if name == "assessment.json" or name in used_files:
                self.err(sw + ".file", "'%s' is already used" % name)
                continue
            used_files.add(name)
            body = self.files.get(name)
            if body is None:
                self.err(sw + ".file", "'%s' is missing or not valid JSON" % name)
                continue
            if kind in KINDS:
                summary[s.get("id", name)] = self.section_file(name, kind, body, kss_ids, item_ids)

        breaks = a.get("breaks", [])
        if not isinstance(breaks, list):
            self.err("assessment.json: breaks", "must be a list")
            breaks = []
        for bi, b in enumerate(breaks):
            bw = "assessment.json: breaks[%d]" % bi
            if not self.fields(bw, b, ["after_section", "minutes"]):
                if not isinstance(b, dict):
                    continue
            after = b.get("after_section")
            if after not in section_ids:
                self.err(bw + ".after_section", "names no section")
            elif after == section_ids[-1]:
                self.err(bw + ".after_section", "a break cannot follow the last section")
            self.integer(bw + ".minutes", b.get("minutes"), 1, 120)

        if sample_rules:
            self.sample_rules(a, sections, summary, kss_ids, total)
        return {"id": a.get("id"), "level": level, "total": total, "breaks": breaks,
                "sections": summary, "kss_ids": kss_ids}

    def section_file(self, name, kind, body, kss_ids, item_ids):
        w = name + ":"
        required = {"knowledge": ["items"], "scenario": ["case_material", "items"],
                    "written": ["items"]}[kind]
        optional = ["case_material"] if kind == "written" else []
        self.fields(w, body, required, optional)
        if not isinstance(body, dict):
            return []
        if "case_material" in body:
            docs = body["case_material"]
            if not isinstance(docs, list) or not docs:
                self.err(name + ": case_material", "must be a non-empty list of documents")
            else:
                for di, d in enumerate(docs):
                    dw = "%s: case_material[%d]" % (name, di)
                    if self.fields(dw, d, ["title", "paragraphs"]):
                        self.text(dw + ".title", d["title"])
                        self.paragraphs(dw + ".paragraphs", d["paragraphs"])
        items = body.get("items")
        if not isinstance(items, list) or not items:
            self.err(name + ": items", "must be a non-empty list")
            return []
        allowed = ("written",) if kind == "written" else ("single", "multiple")
        checked = []
        for ii, item in enumerate(items):
            iw = "%s: items[%d]" % (name, ii)
            if not isinstance(item, dict):
                self.err(iw, "must be an object")
                continue
            t = item.get("type")
            if t not in allowed:
                self.err(iw + ".type", "must be %s in a %s section" % (" or ".join(allowed), kind))
                continue
            self.item(iw, item, t, kss_ids, item_ids, name)
            checked.append(item)
        return checked

    def item(self, w, item, t, kss_ids, item_ids, name):
        common = ["id", "type", "kss", "stem"]
        extra = {"single": ["options", "answer", "rationale"],
                 "multiple": ["select", "options", "answer", "rationale"],
                 "written": ["words", "rubric"]}[t]
        self.fields(w, item, common + extra)
        if self.ident(w + ".id", item.get("id"), SHORT_ID, "item id"):
            if item["id"] in item_ids:
                self.err(w + ".id", "duplicate item id '%s' (first used in %s)"
                         % (item["id"], item_ids[item["id"]]))
            else:
                item_ids[item["id"]] = name
        kss = item.get("kss")
        if not isinstance(kss, list) or not kss:
            self.err(w + ".kss", "must be a non-empty list of KSS ids")
            kss = []
        for ki, k in enumerate(kss):
            if k not in kss_ids:
                self.err("%s.kss[%d]" % (w, ki), "'%s' is not a KSS id of this level (%s-%s)"
                         % (k, kss_ids[0] if kss_ids else "?", kss_ids[-1] if kss_ids else "?"))
        if len(set(map(str, kss))) != len(kss):
            self.err(w + ".kss", "lists a KSS id twice")
        self.paragraphs(w + ".stem", item.get("stem"))
        if t == "written":
            words = item.get("words")
            if self.fields(w + ".words", words, ["min", "max"]):
                if (self.integer(w + ".words.min", words["min"], 0)
                        and self.integer(w + ".words.max", words["max"], 1)
                        and words["min"] >= words["max"]):
                    self.err(w + ".words", "min must be less than max")
            rubric = item.get("rubric")
            if not isinstance(rubric, dict):
                self.err(w + ".rubric", "must be an object keyed by KSS id")
                return
            for k in kss:
                if k not in rubric:
                    self.err(w + ".rubric", "has no entry for %s" % k)
            for k, descriptors in rubric.items():
                if k not in kss:
                    self.err("%s.rubric.%s" % (w, k), "is not one of the item's kss")
                self.paragraphs("%s.rubric.%s" % (w, k), descriptors)
            return
        options = item.get("options")
        low, high = (3, 6) if t == "single" else (4, 8)
        if not isinstance(options, list) or not low <= len(options) <= high:
            self.err(w + ".options", "a %s item needs %d-%d options" % (t, low, high))
            options = options if isinstance(options, list) else []
        for oi, o in enumerate(options):
            self.text("%s.options[%d]" % (w, oi), o)
        if len(set(map(str, options))) != len(options):
            self.err(w + ".options", "two options are the same")
        want = 1
        if t == "multiple":
            select = item.get("select")
            if self.integer(w + ".select", select, 2):
                want = select
                if options and select >= len(options):
                    self.err(w + ".select", "must be fewer than the number of options")
            else:
                want = None
        answer = item.get("answer")
        if not isinstance(answer, list):
            self.err(w + ".answer", "must be a list of option indexes")
            return
        for ai, a in enumerate(answer):
            if isinstance(a, bool) or not isinstance(a, int) or not 0 <= a < len(options):
                self.err("%s.answer[%d]" % (w, ai),
                         "must be a 0-based option index below %d" % len(options))
        if len(set(map(str, answer))) != len(answer):
            self.err(w + ".answer", "lists an option twice")
        if want is not None and len(answer) != want:
            self.err(w + ".answer", "must hold exactly %d index%s"
                     % (want, "" if want == 1 else "es"))
        self.text(w + ".rationale", item.get("rationale"))

    # -- what Vigil's own samples must also satisfy --------------------------------------------
    def sample_rules(self, a, sections, summary, kss_ids, total):
        if total != 240:
            self.err("assessment.json: sections", "sample sections must total 240 minutes, not %d"
                     % total)
        kinds = Counter(s.get("kind") for s in sections if isinstance(s, dict))
        if kinds["scenario"] != 2:
            self.err("assessment.json: sections", "a sample needs two scenario sections")
        knowledge = [i for s in sections if isinstance(s, dict) and s.get("kind") == "knowledge"
                     for i in summary.get(s.get("id"), [])]
        written = [i for s in sections if isinstance(s, dict) and s.get("kind") == "written"
                   for i in summary.get(s.get("id"), [])]
        if len(knowledge) < 30:
            self.err("assessment.json: sections", "a sample needs at least 30 knowledge items, "
                     "it has %d" % len(knowledge))
        if not written:
            self.err("assessment.json: sections", "a sample needs a written task")
        per_area = Counter(k for i in knowledge for k in i.get("kss", []) if isinstance(k, str))
        for k in kss_ids:
            if per_area[k] < 3:
                self.err("knowledge", "%s is tested by %d knowledge items; a sample needs 3"
                         % (k, per_area[k]))


def load(directory):
    files, errors = {}, []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".json"):
            continue
        try:
            with open(os.path.join(directory, name), encoding="utf-8") as f:
                files[name] = json.load(f, object_pairs_hook=refuse_duplicate_keys)
        except (ValueError, UnicodeDecodeError) as e:
            errors.append("%s: not valid JSON: %s" % (name, e))
    return files, errors


def refuse_duplicate_keys(pairs):
    seen = OrderedDict()
    for key, value in pairs:
        if key in seen:
            raise ValueError("field '%s' appears twice" % key)
        seen[key] = value
    return seen


def report(directory, result):
    print("%s: %s (%s), %d minutes, breaks: %s" % (
        directory, result["id"], result["level"], result["total"],
        ", ".join("%d min after %s" % (b["minutes"], b["after_section"])
                  for b in result["breaks"]) or "none"))
    per_area = OrderedDict((k, Counter()) for k in result["kss_ids"])
    for sid, items in result["sections"].items():
        types = Counter(i.get("type") for i in items)
        singles = [i for i in items if i.get("type") == "single"]
        keys = Counter(i["answer"][0] for i in singles)
        print("  %-12s %3d items (%s)%s" % (
            sid, len(items), ", ".join("%d %s" % (n, t) for t, n in sorted(types.items())),
            "; single-answer keys by position " + " ".join(
                "%s:%d" % ("ABCDEF"[k], n) for k, n in sorted(keys.items())) if keys else ""))
        for i in items:
            for k in i.get("kss", []):
                if k in per_area:
                    per_area[k][sid] += 1
    # Advisory, not an error: when the keyed options are longer than every distractor, a
    # test-wise candidate can score by picking the longest. Authors should see how often that
    # happens (by chance, about one single item in four or five has its key longest).
    scored = [i for items in result["sections"].values() for i in items
              if i.get("type") in ("single", "multiple")]
    cued = [i["id"] for i in scored if length_cued(i)]
    print("  items whose keyed options are all longer than every distractor: %d of %d"
          % (len(cued), len(scored)))
    print("  items per KSS area (knowledge / all sections):")
    for k, c in per_area.items():
        print("    %-4s %3d / %3d" % (k, c.get("knowledge", 0), sum(c.values())))


def length_cued(item):
    """True when every keyed option is longer than the longest distractor."""
    keyed = [len(o) for k, o in enumerate(item["options"]) if k in item["answer"]]
    other = [len(o) for k, o in enumerate(item["options"]) if k not in item["answer"]]
    return bool(keyed and other) and min(keyed) > max(other)


SELF_TEST_BREAKS = [
    # (what, mutation of the file map, a fragment the error must contain)
    ("unknown field on an item", lambda f: f["knowledge.json"]["items"][0].__setitem__("hint", "x"),
     "items[0].hint: unknown field"),
    ("unknown top-level field", lambda f: f["assessment.json"].__setitem__("titel", "x"),
     "titel: unknown field"),
    ("bad item id", lambda f: f["knowledge.json"]["items"][0].__setitem__("id", "K_1"),
     "items[0].id"),
    ("duplicate item id", lambda f: f["written.json"]["items"][0].__setitem__(
        "id", f["knowledge.json"]["items"][0]["id"]), "duplicate item id"),
    ("KSS id of the other level", lambda f: f["knowledge.json"]["items"][1].__setitem__(
        "kss", ["X9"]), "items[1].kss[0]"),
    ("single with two answers", lambda f: first(f, "single").__setitem__("answer", [0, 1]),
     "exactly 1 index"),
    ("answer out of range", lambda f: first(f, "single").__setitem__("answer", [6]),
     ".answer[0]"),
    ("multiple answer count differs from select", lambda f: first(f, "multiple").__setitem__(
        "select", len(first(f, "multiple")["answer"]) + 1), ".answer: must hold exactly"),
    ("multiple with select 1", lambda f: first(f, "multiple").__setitem__("select", 1),
     ".select"),
    ("too few options", lambda f: first(f, "single").__setitem__("options", ["a", "b"]),
     "needs 3-6 options"),
    ("words min not below max", lambda f: f["written.json"]["items"][0]["words"].__setitem__(
        "min", f["written.json"]["items"][0]["words"]["max"]), "min must be less than max"),
    ("rubric missing an area", lambda f: f["written.json"]["items"][0]["rubric"].pop(
        f["written.json"]["items"][0]["kss"][0]), "has no entry for"),
    ("rubric area not in kss", lambda f: f["written.json"]["items"][0]["rubric"].__setitem__(
        "P99", ["x"]), "is not one of the item's kss"),
    ("minutes do not total four hours", lambda f: f["assessment.json"]["sections"][0].__setitem__(
        "minutes", 1), "total 240 minutes"),
    ("break after the last section", lambda f: f["assessment.json"]["breaks"][0].__setitem__(
        "after_section", f["assessment.json"]["sections"][-1]["id"]), "cannot follow the last"),
    ("scenario without case material", lambda f: f["scenario-1.json"].pop("case_material"),
     "missing field 'case_material'"),
    ("missing rationale", lambda f: first(f, "single").pop("rationale"),
     "missing field 'rationale'"),
    ("two sections share a file", lambda f: f["assessment.json"]["sections"][2].__setitem__(
        "file", f["assessment.json"]["sections"][1]["file"]), "is already used"),
    ("section without intro", lambda f: f["assessment.json"]["sections"][0].pop("intro"),
     "missing field 'intro'"),
    ("wrong level", lambda f: f["assessment.json"].__setitem__("level", "practice_leader"),
     "level"),
]


def first(files, item_type):
    for item in files["knowledge.json"]["items"]:
        if item.get("type") == item_type:
            return item
    raise AssertionError("no %s item in knowledge.json to break" % item_type)


def self_test(directory, files):
    failures = 0
    for what, mutate, fragment in SELF_TEST_BREAKS:
        broken = copy.deepcopy(files)
        mutate(broken)
        c = Checker(broken)
        c.check()
        if not any(fragment in e for e in c.errors):
            failures += 1
            print("SELF-TEST FAILED (%s): %s: no error containing '%s'; got: %s"
                  % (directory, what, fragment, c.errors[:3]))
    print("  self-test: %d of %d deliberate breaks reported"
          % (len(SELF_TEST_BREAKS) - failures, len(SELF_TEST_BREAKS)))
    return failures == 0


def main(argv):
    run_self_test = "--self-test" in argv
    dirs = [a for a in argv if a != "--self-test"]
    if not dirs:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        dirs = [os.path.join(root, "server", "content", d)
                for d in ("practitioner", "practice-supervisor")]
    ok = True
    for d in dirs:
        if not os.path.isdir(d):
            print("%s: not a directory" % d)
            ok = False
            continue
        files, errors = load(d)
        c = Checker(files)
        result = c.check()
        errors += c.errors
        if errors:
            ok = False
            print("%s: %d error%s" % (d, len(errors), "" if len(errors) == 1 else "s"))
            for e in errors:
                print("  " + e)
            continue
        report(d, result)
        if run_self_test and not self_test(d, files):
            ok = False
    print("content check: %s" % ("passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
