# Shared by the tests that need a filesystem of their own (sourced, not run): skip (77) unless we
# are root and may make mount namespaces, and give a work directory removed on exit.
if [[ $(id -u) -ne 0 ]] || ! unshare -m true 2>/dev/null; then
  echo "skipped: needs root and mount namespaces"; exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
