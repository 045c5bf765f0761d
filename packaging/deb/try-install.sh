#!/usr/bin/env bash
# Installs the server package on a bare Debian 12 root as an operator would, and runs it as its
# unit does (issue 18's "Must show"):
#
#   1. a bare root: debootstrap minbase of bookworm (made once, kept in build/try-install/base);
#   2. `apt install ./vigil-server_<version>_amd64.deb` in a fresh copy of it: apt brings the
#      dependencies from Debian's archive, postinst makes the vigil user and /var/lib/vigil;
#   3. `vigil-server init` as user vigil, then the unit's own ExecStart= line (read from the
#      installed unit, its EnvironmentFile= applied) as user vigil, umask 077, no new privileges;
#   4. GET /v1/health over TLS, verified against the home's published root; the metrics endpoint
#      scraped when config.json has a "metrics" listener; SIGHUP (the unit's ExecReload=) answered;
#      SIGTERM ends it with exit 0.
#
# Needs root (chroot, mounts) and Debian's archive; the root shares the host's loopback, on a port
# chosen free. The build machine and CI do not run systemd as PID 1, so the unit's sandboxing
# itself is not exercised here (systemd-analyze covers the unit file). Prints one verdict line.
#
#   packaging/deb/build.sh && sudo packaging/deb/try-install.sh
set -euo pipefail
proj="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
version="$(sed -n 's/^project(vigil VERSION \([0-9.]*\).*/\1/p' "$proj/CMakeLists.txt")"
deb="$proj/build/packages/vigil-server_${version}_amd64.deb"
work="$proj/build/try-install"
base="$work/base"
root="$work/root"
log="$work/log.txt"
[[ -f "$deb" ]] || { echo "try-install: $deb is missing: run packaging/deb/build.sh" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "try-install: needs root (chroot)" >&2; exit 1; }
mkdir -p "$work"
: >"$log"

if [[ ! -x "$base/bin/bash" ]]; then
  echo "try-install: bootstrapping a bare Debian 12 root in $base (once)"
  rm -rf "$base"
  debootstrap --variant=minbase bookworm "$base" http://deb.debian.org/debian >>"$log" 2>&1 \
    || { echo "try-install: debootstrap failed (see $log)"; exit 1; }
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    >"$base/etc/apt/sources.list.d/debian.sources"
  rm -f "$base/etc/apt/sources.list"
fi
rm -rf "$root"
cp -a "$base" "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
# A proxy's CA, where this machine's network needs one (as tools/fresh-debian.sh does).
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi
mount --bind /proc "$root/proc"; mount --bind /dev "$root/dev"; mount -t tmpfs tmpfs "$root/tmp"
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill -KILL "$server_pid" 2>/dev/null || true
  umount "$root/tmp" "$root/dev" "$root/proc" 2>/dev/null || true
}
trap cleanup EXIT
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }

cp "$deb" "$root/tmp/"
echo "try-install: apt install ./$(basename "$deb") (log: $log)"
in_root update-ca-certificates >>"$log" 2>&1 || true
in_root apt-get update >>"$log" 2>&1 || { echo "try-install: apt-get update failed (see $log)"; exit 1; }
in_root apt-get install -y --no-install-recommends "/tmp/$(basename "$deb")" curl >>"$log" 2>&1 \
  || { echo "try-install: apt install of the package failed (see $log)"; exit 1; }
echo "try-install: installed; the package's dependencies came from apt:"
in_root dpkg-query -W -f='  ${Package} ${Version}: Depends ${Depends}\n' vigil-server

# What postinst made.
in_root id vigil
# (stat inside the root: the host's user names for those ids may differ.)
state_dir=$(in_root stat -c '%U %a' /var/lib/vigil)
[[ "$state_dir" == "vigil 700" ]] || { echo "try-install: /var/lib/vigil is not vigil's with mode 0700: $state_dir"; exit 1; }

# A port free on the host's loopback, which the root shares.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
in_root setpriv --reuid vigil --regid vigil --init-groups -- vigil-server init /var/lib/vigil --host 127.0.0.1 --port "$port" >>"$log" 2>&1 \
  || { echo "try-install: vigil-server init as vigil failed (see $log)"; exit 1; }
metrics_port=""
if grep -q '"metrics"' "$root/var/lib/vigil/config.json"; then
  metrics_port=$(free_port)
  python3 - "$root/var/lib/vigil/config.json" "$metrics_port" <<'PY'
import json, sys
path, port = sys.argv[1], int(sys.argv[2])
c = json.load(open(path))
c["metrics"]["listen"] = f"127.0.0.1:{port}"
json.dump(c, open(path, "w"), indent=2)
PY
fi

# The unit's command line, with its EnvironmentFile= applied, as the unit's user.
unit="$root/usr/lib/systemd/system/vigil-server.service"
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
set -a; # shellcheck disable=SC1091
. "$root/etc/vigil/vigil-server.env"; set +a
exec_start=$(eval "echo $exec_start")
user=$(sed -n 's/^User=//p' "$unit")
echo "try-install: as $user: $exec_start"
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
  setpriv --reuid "$user" --regid "$user" --init-groups --no-new-privs -- sh -c "umask 077; exec $exec_start" \
  >"$work/server.out" 2>&1 &
server_pid=$!
health=""
for _ in $(seq 1 100); do
  health=$(in_root curl -sS --max-time 2 --cacert /var/lib/vigil/published/root-ca.pem "https://127.0.0.1:$port/v1/health" 2>/dev/null) && break
  sleep 0.2
done
[[ "$health" == *'"ok"'* ]] || { echo "try-install: no /v1/health answer; server output:"; cat "$work/server.out"; exit 1; }
echo "try-install: /v1/health over TLS, verified against the home's root: $health"
scraped="no metrics listener in config.json"
if [[ -n "$metrics_port" ]]; then
  metrics=$(in_root curl -sS --max-time 5 "http://127.0.0.1:$metrics_port/metrics") \
    || { echo "try-install: the metrics endpoint did not answer"; exit 1; }
  scraped="$(grep -c '^vigil_' <<<"$metrics") vigil_ samples scraped from 127.0.0.1:$metrics_port/metrics"
  echo "try-install: $scraped"
fi
kill -HUP "$server_pid"
for _ in $(seq 1 50); do grep -q "SIGHUP: certificates" "$work/server.out" && break; sleep 0.1; done
grep "SIGHUP: certificates reloaded" "$work/server.out" || { echo "try-install: SIGHUP was not answered"; cat "$work/server.out"; exit 1; }
kill -TERM "$server_pid"
rc=0; wait "$server_pid" || rc=$?
server_pid=""
owner=$(in_root stat -c '%U' /var/lib/vigil/vigil.db)
echo "try-install: $(basename "$deb") installed on a bare Debian 12 root; as $user with the unit's ExecStart it answered /v1/health; $scraped; SIGHUP reloaded; SIGTERM exit $rc; vigil.db owned by $owner"
[[ $rc -eq 0 && "$owner" == "$user" ]]
