#!/bin/sh
# coverage.sh SRCDIR BUILDDIR: `make coverage` (--enable-coverage).
#
# Prints line coverage per top-level source directory (common/, relayd/,
# shim/, ...; tests/ and bench/ are left out) and a total, from the
# .gcno/.gcda files under BUILDDIR, e.g.
#	common/     1234/1300   94.9%
# A file compiled but never run (a .gcno without .gcda) counts as 0%.
# With COVERAGE_MIN_COMMON set (a percentage, e.g. 90), exits 1 when
# common/ is below it.  Needs gcovr (Debian package gcovr) and python3.
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 SRCDIR BUILDDIR" >&2
	exit 2
fi
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)

for tool in gcovr python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "coverage.sh: $tool not found:" \
		    "install the Debian package $tool" >&2
		exit 2
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/coverage.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM

# gcov writes its .gcov files into the working directory: keep them in tmp.
(cd "$tmp" && gcovr --root "$src" --object-directory "$build" \
    --json-summary "$tmp/summary.json" "$build") >"$tmp/gcovr.log" 2>&1 || {
	echo "coverage.sh: gcovr failed:" >&2
	cat "$tmp/gcovr.log" >&2
	exit 2
}

python3 - "$tmp/summary.json" "${COVERAGE_MIN_COMMON:-}" <<'EOF'
import json, sys

IGNORED = ("tests", "bench")
FIRST = ("common", "relayd", "shim")

summary = json.load(open(sys.argv[1]))
dirs = {}
for f in summary.get("files", []):
    name = f["filename"]
    if name.startswith("/") or name.startswith(".."):
        continue                        # outside the source tree
    top = name.split("/", 1)[0] if "/" in name else "."
    if top in IGNORED:
        continue
    cov, tot = dirs.get(top, (0, 0))
    dirs[top] = (cov + f["line_covered"], tot + f["line_total"])

def pct(cov, tot):
    return 100.0 * cov / tot if tot else 0.0

def row(label, cov, tot):
    print("%-10s %7d/%-7d %5.1f%%" % (label, cov, tot, pct(cov, tot)))

order = [d for d in FIRST if d in dirs] + \
    sorted(d for d in dirs if d not in FIRST)
for d in order:
    row(d + "/", *dirs[d])
total = tuple(sum(v[i] for v in dirs.values()) for i in (0, 1))
row("total", *total)

if sys.argv[2]:
    try:
        want = float(sys.argv[2])
    except ValueError:
        sys.exit("coverage.sh: COVERAGE_MIN_COMMON is not a number: %r"
                 % sys.argv[2])
    have = pct(*dirs.get("common", (0, 0)))
    if have < want:
        print("coverage.sh: common/ line coverage %.1f%% is below "
              "COVERAGE_MIN_COMMON=%g%%" % (have, want), file=sys.stderr)
        sys.exit(1)
EOF
