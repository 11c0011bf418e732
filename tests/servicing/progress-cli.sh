#!/bin/sh
# Progress within an image's long steps (issue 18), through the CLI on the
# native backend (each image in a sandboxed child, its counts coming over
# a pipe while it runs): apply and verify of the 6.2 package on copies of
# the ws2012-x64 test image.
#   - on a terminal (script(1) gives one): the bar is redrawn in place with
#     growing byte counts for staging and item counts for hashing, ending
#     at the step's total, and the last bar line ends with a newline;
#   - -j 2 with two images: both images' steps are shown, and while one
#     counts the other is said to be busy;
#   - on a pipe: plain lines, at most one per step and image;
#   - -q: nothing on stderr; --json: stdout is the JSON document alone.
# HVOFFLINE_PROGRESS_INTERVAL_MS=-1 passes every count on (no rate limit),
# so that a fast run still shows the counts in between.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

need_images ws2012-x64
need_tools python3 jq
HVOFFLINE_BACKEND=native
export HVOFFLINE_BACKEND
cab="$(fixtures_dir)/ic/Windows6.2-HyperVIntegrationServices-x64.cab"
test -f "$cab" || { echo "SKIP: no $cab"; exit 77; }
fresh() {
    for n in "$@"; do
        cp --sparse=always "$img/ws2012-x64.vhdx" "$T_TMP/$n.vhdx"
    done
}

# tty_run OUT CMD...: CMD on a pseudo-terminal (stdin, stdout, stderr),
# everything it wrote into OUT, byte for byte.
tty_run() {
    out=$1
    shift
    python3 - "$out" "$@" <<'EOF'
import os, pty, sys
out = sys.argv[1]
data = bytearray()
def read(fd):
    b = os.read(fd, 65536)
    data.extend(b)
    return b
os.environ["TERM"] = "xterm"
status = pty.spawn(sys.argv[2:], read)
open(out, "wb").write(bytes(data))
sys.exit(os.waitstatus_to_exitcode(status))
EOF
}

# bar_check FILE STEP UNIT: the bar lines of STEP in FILE grow to their
# total; prints "ok N" (N distinct counts) or what is wrong.
bar_check() {
    python3 - "$@" <<'EOF'
import re, sys
text = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
step, unit = sys.argv[2], sys.argv[3]
pat = re.compile(r"\[[#.]{20}\] \d+/\d+ \S+: " + re.escape(step) +
                 r" ([\d.]+) of ([\d.]+)" + ("" if unit == "items" else " " + unit))
seen = {}
for seg in text.split("\r\x1b[K"):
    m = pat.match(seg)
    if m:
        img = seg.split(": ")[0].split()[-1]
        seen.setdefault(img, []).append((float(m.group(1)), float(m.group(2))))
if not seen:
    print("no bar for", step); sys.exit(0)
for img, v in seen.items():
    done = [d for d, t in v]
    if done != sorted(done):
        print(img, "counts go back:", done); sys.exit(0)
    if done[-1] != v[-1][1] or done[0] != 0:
        print(img, "does not run from 0 to the total:", v); sys.exit(0)
print("ok", min(len(set(d for d, t in v)) for v in seen.values()))
EOF
}

fresh a
HVOFFLINE_PROGRESS_INTERVAL_MS=-1 tty_run "$T_TMP/tty" \
    "$HVOFFLINE" apply --source "$cab" "$T_TMP/a.vhdx"
expect_eq "$?" 0 "apply on a terminal"
r=$(bar_check "$T_TMP/tty" "staging files" KiB)
case $r in ok\ [3-9]*|ok\ [1-9][0-9]*) r=ok ;; esac
expect_eq "$r" ok "the staging bar grows in bytes, to the total, in 3 or more counts"
r=$(bar_check "$T_TMP/tty" "hashing files" items)
case $r in ok\ [3-9]*|ok\ [1-9][0-9]*) r=ok ;; esac
expect_eq "$r" ok "the hashing bar grows in files, to the total, in 3 or more counts"
r=$(python3 -c '
import sys
t = open(sys.argv[1], "rb").read()
last = t.rfind(b"\r\x1b[K[")
nl = t.find(b"\n", last)
line = t[last + 4:nl].rstrip(b"\r") if nl > 0 else b""
print("ok" if line.endswith(b"1/1 done") and b"\r" not in line else repr(t[last:last + 120]))
' "$T_TMP/tty")
expect_eq "$r" "ok" "the last bar is the full one, ended by a newline"
# The steps show as they begin (from the child, while it runs), not all
# at its end: the package is extracted before the files are staged.
r=$(python3 -c '
import sys
t = open(sys.argv[1], "rb").read()
a, b = t.find(b"extracting the package"), t.find(b"staging files")
print("ok" if 0 <= a < b else (a, b))
' "$T_TMP/tty")
expect_eq "$r" ok "steps shown live, in order with the counts"

# -j 2: both images counted; one is busy while the other draws.
fresh b c
HVOFFLINE_PROGRESS_INTERVAL_MS=-1 tty_run "$T_TMP/tty2" \
    "$HVOFFLINE" apply -j 2 --source "$cab" "$T_TMP/b.vhdx" "$T_TMP/c.vhdx"
expect_grep "$T_TMP/tty2" 'b\.vhdx: hashing files' "-j 2: image b's hashing on the bar"
expect_grep "$T_TMP/tty2" 'c\.vhdx: hashing files' "-j 2: image c's hashing on the bar"

# A pipe: plain lines, one per step and image.
fresh d
HVOFFLINE_PROGRESS_INTERVAL_MS=-1 run "$HVOFFLINE" apply --source "$cab" "$T_TMP/d.vhdx"
expect_rc 0 "apply, stderr a pipe"
expect_no_grep "$T_TMP/err" "$(printf '\r')" "no carriage returns on a pipe"
expect_grep "$T_TMP/err" '^hvoffline: .*d\.vhdx: staging files (0\.0 of [0-9.]* KiB)$' \
    "a plain line as staging begins, with its total"
expect_grep "$T_TMP/err" '^hvoffline: .*d\.vhdx: hashing files (0 of [0-9]*)$' \
    "a plain line as hashing begins, with its total"
expect_eq "$(grep -c 'staging files' "$T_TMP/err")" 1 "one line for the staging step"
expect_eq "$(grep -c 'hashing files' "$T_TMP/err")" 1 "one line for the hashing step"
# verify of the serviced image counts its hashing too.
HVOFFLINE_PROGRESS_INTERVAL_MS=-1 run "$HVOFFLINE" verify --source "$cab" "$T_TMP/d.vhdx"
expect_rc 0 "verify, stderr a pipe"
expect_grep "$T_TMP/err" '^hvoffline: .*d\.vhdx: hashing files (0 of [0-9]*)$' \
    "verify: a plain line as hashing begins"

# -q: nothing; --json: the document alone on stdout.
fresh e
HVOFFLINE_PROGRESS_INTERVAL_MS=-1 tty_run "$T_TMP/tty3" \
    "$HVOFFLINE" -q apply --source "$cab" "$T_TMP/e.vhdx"
expect_no_grep "$T_TMP/tty3" 'staging files\|hashing files\|\[[.#]\{20\}\]' \
    "-q on a terminal: no bar"
fresh f
HVOFFLINE_PROGRESS_INTERVAL_MS=-1 run "$HVOFFLINE" --json apply --source "$cab" "$T_TMP/f.vhdx"
expect_json '.images | length == 1' "--json: stdout is the JSON document"
expect_no_grep "$T_TMP/out" 'hashing files' "--json: no progress on stdout"
t_finish
