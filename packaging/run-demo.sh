#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: installs what is missing, builds the release
# preset and runs the whole loop on the embedded defaults, on 127.0.0.1:
#
#   1. a Vigil server is initialised (keys, development certificates, SQLite) and started;
#   2. the programme team builds the signed, encrypted packages of the two sample assessments;
#   3. a council endorses a candidate (25% extra time), who gets a one-time enrolment code and a
#      scheduled sitting with a start code for the phone line;
#   4. the candidate's client (`vigil-client start`: the local pages on 127.0.0.1) is used by a
#      scripted candidate in headless chromium: enrol, download, system check, identity photos,
#      every section answered (each answer durable before the page says "Saved"), the break,
#      submission; the webcam checks run on a video of a face; the client syncs in the background;
#   5. the server's signed receipt is verified offline, and a one-byte change is shown to fail.
#
# Screenshots of every screen are saved. It finishes by itself and prints where to look.
#
#   packaging/run-demo.sh [--dir DIR] [--keep-serving]
#
# --keep-serving leaves the server running and prepares a second candidate for you to sit the
# assessment yourself in your browser.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
dir=""
keep_serving=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --keep-serving) keep_serving=1; shift ;;
    *) echo "usage: packaging/run-demo.sh [--dir DIR] [--keep-serving]" >&2; exit 64 ;;
  esac
done

packaging/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target vigil-client vigil-server

S=$root/build/release/server/vigil-server
C=$root/build/release/client/vigil-client
[[ -n "$dir" ]] || dir=$(mktemp -d /tmp/vigil-demo.XXXXXX)
mkdir -p "$dir"
client=(--data "$dir/client" --key-storage file)
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

say "1. Server: initialise and start on 127.0.0.1"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$S" init "$dir/server" --host 127.0.0.1 --port "$port"
"$S" serve "$dir/server" > "$dir/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "listening on" "$dir/server.log" && break; sleep 0.1; done
head -1 "$dir/server.log"

say "2. Programme team: build the signed, encrypted assessment packages from the sample content"
"$S" package build server/content/practitioner --home "$dir/server"
"$S" package build server/content/practice-supervisor --home "$dir/server"

say "3. Council: endorse a candidate with 25% extra time; schedule the sitting (with a start code for the phone line)"
out=$("$S" admin add-candidate "$dir/server" --council northmere --council-name "Northmere Borough Council" \
        --candidate c-0001 --name "Amara Okafor" --email amara.okafor@example.org --level practitioner)
echo "$out"
code=$(sed -n 's/^enrolment code: \([A-Z0-9-]*\).*/\1/p' <<<"$out")
"$S" admin set-accommodations "$dir/server" --candidate c-0001 --extra-time-percent 25
start=$(date -u -d '-2 minutes' +%Y-%m-%dT%H:%M:%SZ)
sched=$("$S" admin schedule "$dir/server" --candidate c-0001 --assessment practitioner-demo --start "$start")
echo "$sched"
sitting=$(grep -o 'sit-[0-9a-f]*' <<<"$sched" | head -1)

say "4. Candidate: Vigil's own pages, used by a scripted candidate in headless chromium"
mkdir -p "$dir/client"
cp "$dir/server/published/client-trust.json" "$dir/client/server-trust.json"
camera=()
clip="$root/../shared/fixtures/faces/clip_steady_one_face.avi"
if [[ -f "$clip" ]]; then
  camera=(--camera-file "$clip")
  echo "(the webcam checks watch a video of a face instead of a webcam)"
else
  echo "(no webcam video here: the candidate chooses the identity check by a person)"
fi
"$C" "${client[@]}" start --no-browser "${camera[@]}" > "$dir/client.log" 2>&1 &
client_pid=$!
pids+=($client_pid)
for _ in $(seq 100); do grep -q "^ui: " "$dir/client.log" && break; sleep 0.1; done
url=$(sed -n 's/^ui: //p' "$dir/client.log" | head -1)
echo "the client serves the candidate's pages on ${url%%/launch*}"
node packaging/demo/sit.js "$url" "$code" "$dir/screens"
kill -TERM "$client_pid"; wait "$client_pid" 2>/dev/null || true

say "5. Anyone: verify the signed receipt offline with the server's published key"
"$C" "${client[@]}" status
"$C" "${client[@]}" receipt "$sitting" --out "$dir/receipt.json"
"$C" verify-receipt "$dir/receipt.json" --key "$dir/server/published/receipt-public.key"
sed 's/"final_seq":\([0-9]*\)/"final_seq":9\1/' "$dir/receipt.json" > "$dir/receipt-altered.json"
if "$C" verify-receipt "$dir/receipt-altered.json" --key "$dir/server/published/receipt-public.key"; then
  echo "the altered receipt verified: this is a bug" >&2; exit 1
fi
echo "(the altered copy was refused, as it should be)"
device=$("$C" "${client[@]}" status | sed -n 's/^device: *//p')
say "What the server holds for the sitting"
"$S" admin session-info "$dir/server" --device "$device" --session "$sitting" | head -12

cat <<EOF2

Demo finished. Everything is in $dir:
  screens/         a screenshot of every screen the candidate saw
  server/          the server's home (config.json, vigil.db, pki/, published/)
  client/          the candidate's encrypted store (store.db), its key file and the package
  server.log, client.log
  receipt.json     the signed receipt; check it with:
                   $C verify-receipt $dir/receipt.json --key $dir/server/published/receipt-public.key
EOF2

if [[ $keep_serving -eq 1 ]]; then
  out=$("$S" admin add-candidate "$dir/server" --council northmere --council-name "Northmere Borough Council" \
          --candidate c-0002 --name "You" --email you@example.org --level practitioner)
  code2=$(sed -n 's/^enrolment code: \([A-Z0-9-]*\).*/\1/p' <<<"$out")
  "$S" admin schedule "$dir/server" --candidate c-0002 --assessment practitioner-demo --start "$start" | sed -n 's/^start code/(offline?) start code/p' 
  mkdir -p "$dir/you"
  cp "$dir/server/published/client-trust.json" "$dir/you/server-trust.json"
  cat <<EOF3

The server keeps running on https://127.0.0.1:$port (Ctrl-C to stop). Sit the assessment yourself:
  $C --data $dir/you --key-storage file start
and enter the enrolment code $code2 on the first screen.
EOF3
  wait "${pids[0]}"
fi
