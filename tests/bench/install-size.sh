#!/usr/bin/env bash
# What the Debian install costs on a bare Debian 12: bootstraps a minbase root (as
# ../shared/tools/fresh-debian.sh does; kept in $BASE and reused), copies it, and installs
# `packaging/install-deps.sh --list` into the copy with apt, timing it. Prints one JSON line:
# packages installed in the root, disk added (MB, apt's cache cleaned) and apt-get install's wall
# time, with the load average. Needs root and the network to Debian's archive.
#
#   tests/bench/install-size.sh                         the package list as it is
#   tests/bench/install-size.sh --with "PKG ..."        plus these packages (compare a change:
#        --with "libopencv-dev libopencv-contrib-dev"   is the list before the lean OpenCV install)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
extra=""; [[ "${1:-}" == --with ]] && extra=${2:-}
base=${BASE:-/tmp/vigil-install-size/base}; work=$(dirname "$base")/work
[[ $(id -u) -eq 0 ]] || { echo "install-size: run as root (debootstrap, chroot)" >&2; exit 2; }
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
if [[ ! -x $base/bin/bash ]]; then
  echo "install-size: bootstrapping a bare Debian 12 root in $base" >&2
  debootstrap --variant=minbase --include=ca-certificates,git,sudo bookworm "$base" http://deb.debian.org/debian >/dev/null
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    >"$base/etc/apt/sources.list.d/debian.sources"
  rm -f "$base/etc/apt/sources.list"
fi
cp /etc/resolv.conf "$base/etc/resolv.conf"
rm -rf "$work"; cp -a "$base" "$work"
mount --bind /proc "$work/proc"; mount --bind /dev "$work/dev"
trap 'umount "$work/proc" "$work/dev" 2>/dev/null; rm -rf "$work"' EXIT
chroot "$work" apt-get update -qq >/dev/null
# shellcheck disable=SC2207
list=($("$root/packaging/install-deps.sh" --list) $extra)
before=$(du -sk -x "$work" | cut -f1)
t0=$(date +%s.%N)
chroot "$work" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${list[@]}" >"$(dirname "$base")/apt.log" 2>&1
t1=$(date +%s.%N)
chroot "$work" apt-get clean
after=$(du -sk -x "$work" | cut -f1)
n=$(chroot "$work" dpkg-query -W -f='${Status}\n' | grep -c 'install ok installed')
printf '{"packages_in_root": %d, "disk_added_mb": %d, "apt_install_s": %.1f, "extra": "%s", "load": "%s"}\n' \
  "$n" $(( (after - before) / 1024 )) "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" "$extra" "$(cut -d' ' -f1-3 /proc/loadavg)"
