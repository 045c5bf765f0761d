# Shared by the tests that need a filesystem of their own (sourced, not run): skip (77) unless we
# are root and may make mount namespaces, and give a work directory removed on exit.
if [[ $(id -u) -ne 0 ]] || ! unshare -m true 2>/dev/null; then
  echo "skipped: needs root and mount namespaces"; exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# in_namespace SCRIPT: runs SCRIPT with bash (set -e; $1 = the work directory, $2 = $probe) in a
# private mount namespace. Its output is kept in $out and printed; the test fails if it fails.
in_namespace() {
  out=$(unshare -m bash -c "set -e
$1" _ "$work" "$probe" 2>&1) || { echo "$out"; echo "FAIL: probe failed"; exit 1; }
  echo "$out"
}

# expect PATTERN REASON: the test fails with REASON unless a line of $out matches PATTERN (grep).
expect() {
  grep -q "$1" <<<"$out" || { echo "FAIL: $2"; exit 1; }
}
