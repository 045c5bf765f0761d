#!/usr/bin/env bash
# `vision-accuracy` scores any directory in the fixture format, not just the fixture set: a small
# directory made of a few fixture files (one still per outcome, one clip) gives the expected
# figures and the predictions CSV in the documented format.
#   vision_accuracy_dir.sh BENCH_BINARY FIXTURES_DIR
set -euo pipefail
bench=$1 fixtures=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$fixtures"/{one_face_frontal_man_office.jpg,no_face_kitchen.jpg,multi_2_sofa.jpg,covered_black_1.jpg} "$dir"/
cp "$fixtures"/clip_second_face_appears.{avi,events.csv} "$dir"/
cat >"$dir/labels.csv" <<'CSV'
file,kind,faces,condition,lighting,notes
one_face_frontal_man_office.jpg,image,1,one_face,normal,
no_face_kitchen.jpg,image,0,no_face,normal,"empty kitchen, a comma in the note"
multi_2_sofa.jpg,image,2,multi_face,normal,
covered_black_1.jpg,image,0,covered,dark,
clip_second_face_appears.avi,clip,,multi_face,normal,
CSV
out=$("$bench" accuracy "$dir" --predictions "$dir/pred.csv")
echo "$out"
json=$(tail -n1 <<<"$out")
fail() { echo "FAIL: $*"; exit 1; }
grep -q '"clip_events_detected":1' <<<"$json" || fail "the multi-face event was not detected"
grep -q '"clip_false_flags":0' <<<"$json" || fail "false flags on the clip"
grep -q '"normal":100.0' <<<"$json" || fail "face count on the normal stills is not 100 %"
expected='file,kind,faces,start_s,end_s,flag
covered_black_1.jpg,image,0,,,covered
multi_2_sofa.jpg,image,2,,,multi_face
no_face_kitchen.jpg,image,0,,,no_face
one_face_frontal_man_office.jpg,image,1,,,'
got=$(head -n5 "$dir/pred.csv" | sort)
[[ "$got" == "$(sort <<<"$expected")" ]] || fail "predictions for the stills differ:"$'\n'"$got"
grep -Eq '^clip_second_face_appears\.avi,clip,,[0-9.]+,[0-9.]+,multi_face$' "$dir/pred.csv" || fail "no multi_face row for the clip"
[[ $(wc -l <"$dir/pred.csv") -eq 6 ]] || fail "expected 4 still rows and 1 clip row"
# A directory without labels.csv is refused with a message, not a crash.
rm "$dir/labels.csv"
if "$bench" accuracy "$dir" >"$dir/err" 2>&1; then fail "accepted a directory without labels.csv"; fi
grep -q "labels.csv" "$dir/err" || fail "the error does not name labels.csv"
echo "ok"
