#!/usr/bin/env bash
# The store key in a real desktop keyring: a private D-Bus session with gnome-keyring's Secret
# Service. The store is created with its key in the keyring (no key file is written), reopens
# with it, and in a session whose keyring lacks the key it refuses to open rather than start an
# empty store. Skipped (77) when dbus-run-session or gnome-keyring-daemon is not installed.
set -euo pipefail
probe=$1
command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null && command -v dbus-send >/dev/null || {
  echo "skipped: needs dbus-run-session and gnome-keyring-daemon"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export VIGIL_PROBE_KEY_STORAGE=secret-service

in_keyring_session() {  # HOME holds the keyring; each HOME is a different user's keyring
  HOME=$1 timeout 60 dbus-run-session -- bash -c '
    echo -n test-login-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    # The daemon answers before its Secret Service is on the bus; under load that gap is long.
    for _ in $(seq 100); do
      dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
        org.freedesktop.DBus.Peer.Ping >/dev/null 2>&1 && break
      sleep 0.1
    done
    shift; "$@"' _ "$@" 2>/dev/null
}
mkdir -p "$work/home-a" "$work/home-b"
out=$(in_keyring_session "$work/home-a" bash -c '"$1" seed "$2" 12 && "$1" open "$2" && "$1" check "$2" 12' _ "$probe" "$work/store")
echo "$out"
grep -q '^OPENED desktop keyring (Secret Service)' <<<"$out" || { echo "FAIL: key not in the keyring"; exit 1; }
grep -q '^CHECKED 12$' <<<"$out" || { echo "FAIL: answers not intact"; exit 1; }
[[ ! -e "$work/store/store.key" ]] || { echo "FAIL: a key file was written beside the store"; exit 1; }

before=$(sha256sum "$work/store/store.db")
out=$(in_keyring_session "$work/home-b" "$probe" open "$work/store" || true)
echo "$out"
grep -q '^ERROR wrong_key .*key was not found' <<<"$out" || { echo "FAIL: missing key not reported"; exit 1; }
[[ "$(sha256sum "$work/store/store.db")" == "$before" ]] || { echo "FAIL: the store file was changed"; exit 1; }
echo "PASS"
