#!/bin/sh
# The command-line frame: version, help, usage errors (exit 2), the JSON
# error report, --log records and the checked close of stdout.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

version=$(sed -n 's/^AC_INIT(\[hvoffline\], \[\([^]]*\)\].*/\1/p' \
    "$HVO_TOP_SRCDIR/configure.ac")

run "$HVOFFLINE" --version
expect_rc 0 "--version"
expect_eq "$(head -n 1 "$T_TMP/out")" "hvoffline $version" "--version first line"
expect_grep "$T_TMP/out" "libguestfs=" "--version names the libraries"

run "$HVOFFLINE" -V --json
expect_rc 0 "--version --json"
expect_json ".name == \"hvoffline\" and .version == \"$version\" and (.built_with | has(\"hivex\"))" \
    "--version --json parses and has the version"

run "$HVOFFLINE" --help
expect_rc 0 "--help"
expect_grep "$T_TMP/out" "^Usage: hvoffline" "--help prints usage on stdout"
expect_grep "$T_TMP/out" "doctor" "--help lists the commands"
expect_eq "$(wc -c <"$T_TMP/err")" 0 "--help writes nothing on stderr"

run "$HVOFFLINE" help doctor
expect_rc 0 "help COMMAND"
expect_grep "$T_TMP/out" "^Usage: hvoffline doctor" "help COMMAND shows its usage"

run "$HVOFFLINE" doctor --help
expect_rc 0 "COMMAND --help"
expect_grep "$T_TMP/out" "^Usage: hvoffline doctor" "COMMAND --help shows its usage"

run "$HVOFFLINE"
expect_rc 2 "no command"
expect_grep "$T_TMP/err" "^hvoffline: no command given" "no command: message"

run "$HVOFFLINE" frobnicate
expect_rc 2 "unknown command"
expect_grep "$T_TMP/err" "^hvoffline: unknown command 'frobnicate'" "unknown command: message"
expect_eq "$(wc -c <"$T_TMP/out")" 0 "unknown command writes nothing on stdout"

run "$HVOFFLINE" --bogus
expect_rc 2 "unknown global option"
expect_grep "$T_TMP/err" "unknown option '--bogus'" "unknown global option: message"

run "$HVOFFLINE" doctor --bogus
expect_rc 2 "unknown command option"
expect_grep "$T_TMP/err" "^hvoffline: unknown option '--bogus'" "bad option: message"
expect_grep "$T_TMP/err" "hvoffline doctor --help" "bad option: points to the command's help"

run "$HVOFFLINE" doctor --kvm-timeout
expect_rc 2 "option missing its value"
expect_grep "$T_TMP/err" "needs a value" "missing value: message"

run "$HVOFFLINE" doctor --kvm-timeout=abc
expect_rc 2 "option with a non-numeric value"

run "$HVOFFLINE" help nosuch
expect_rc 2 "help for an unknown command"

# With --json, a failing command still gives scripts a JSON document.
run "$HVOFFLINE" --json doctor --kvm-timeout=0
expect_rc 2 "--json usage error"
expect_json '.status == "error" and .exit_code == 2 and (.errors | length) >= 1' \
    "--json usage error: JSON error report"

# --log appends timestamped START/END records (and errors) to the file.
log="$T_TMP/run.log"
run "$HVOFFLINE" --log "$log" --version
run "$HVOFFLINE" frobnicate --log "$log"
run "$HVOFFLINE" --log "$log" frobnicate
expect_rc 2 "--log with an unknown command"
expect_eq "$(grep -c ' START ' "$log")" 2 "--log: one START per run that opened it"
expect_grep "$log" '^[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9:.]*Z \[[0-9]*\] START hvoffline' \
    "--log: timestamped start record"
expect_grep "$log" "ERROR unknown command 'frobnicate'" "--log: the error is recorded"
expect_grep "$log" "END   exit 2 (bad usage)" "--log: the exit status is recorded"

run "$HVOFFLINE" --log /nonexistent-dir/x.log --version
expect_rc 1 "--log to an unwritable place"
expect_grep "$T_TMP/err" "^hvoffline: /nonexistent-dir/x.log: cannot open log file" \
    "--log failure names the file"

# Output that cannot be written is a failure (fclose(stdout) is checked).
if [ -w /dev/full ]; then
    run sh -c "'$HVOFFLINE' --help >/dev/full"
    expect_rc 1 "--help to a full device"
    expect_grep "$T_TMP/err" "standard output: write error" "full device: message"
fi

t_finish
