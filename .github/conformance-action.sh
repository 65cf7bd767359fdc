#!/usr/bin/env bash
# The shell steps of action.yml, here so that a test runs them locally (tests/cli/test_distribution.py).
#   conformance-action.sh install   the suite into a virtual environment of its own
#   conformance-action.sh run       run it; the reports, the step summary and the step's outputs
# Inputs come as action.yml maps them: INPUT_PACKAGE, INPUT_TARGET, INPUT_API_KEY, INPUT_STRICT,
# INPUT_REPORT_DIR, INPUT_ARGS; GitHub sets RUNNER_TEMP, GITHUB_ACTION_PATH, GITHUB_STEP_SUMMARY
# and GITHUB_OUTPUT. The API key travels in DEEPGRAM_API_KEY, never on a command line.
set -euo pipefail

venv="${RUNNER_TEMP:?RUNNER_TEMP is not set (GitHub sets it)}/conformance-venv"

install() {
    # A venv of its own: runners' system Pythons refuse pip installs (PEP 668).
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "${INPUT_PACKAGE:-${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}}"
    "$venv/bin/conformance" --version
}

run() {
    local report_dir="${INPUT_REPORT_DIR:-conformance-reports}"
    local errors="$RUNNER_TEMP/conformance-stderr.txt"
    local flags=(run --report-dir "$report_dir" --junit "$report_dir/junit.xml"
        --markdown "$report_dir/summary.md")
    if [[ -n "${INPUT_TARGET:-}" ]]; then flags+=(--target "$INPUT_TARGET"); fi
    case "${INPUT_STRICT:-false}" in
        true) flags+=(--strict) ;;
        false | "") ;;
        *) echo "conformance-action: strict must be true or false, not '$INPUT_STRICT'" >&2; return 2 ;;
    esac
    # The extra arguments split as a shell would split them, without running anything in them.
    # (bash 3.2, macOS's, has no mapfile, and calls an empty array unbound under set -u.)
    local extra=() arg split="$RUNNER_TEMP/conformance-args"
    "$venv/bin/python" -c 'import shlex, sys
try:
    sys.stdout.write("".join(a + "\0" for a in shlex.split(sys.argv[1])))
except ValueError as exc:
    sys.exit(f"conformance-action: args: {exc}")' "${INPUT_ARGS:-}" >"$split" || return 2
    while IFS= read -r -d '' arg; do extra+=("$arg"); done <"$split"
    mkdir -p "$report_dir"
    rm -f "$report_dir/summary.md"  # an earlier run's must not stand for this one's
    local rc=0
    DEEPGRAM_API_KEY="${INPUT_API_KEY:-${DEEPGRAM_API_KEY:-}}" \
        "$venv/bin/conformance" "${flags[@]}" ${extra[@]+"${extra[@]}"} 2>"$errors" || rc=$?
    cat "$errors" >&2
    summary "$rc" "$report_dir" "$errors"
    if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
        printf 'exit-code=%s\nreport-dir=%s\n' "$rc" "$report_dir" >>"$GITHUB_OUTPUT"
    fi
    return "$rc"
}

summary() {
    # The run appends its Markdown summary to the step summary itself; a run that ended before
    # writing one is told here, and any line it wrote on stderr is quoted.
    local rc="$1" report_dir="$2" errors="$3"
    [[ -n "${GITHUB_STEP_SUMMARY:-}" ]] || return 0
    {
        if [[ ! -s "$report_dir/summary.md" ]]; then
            printf "\n## conformance: no report (exit %s: %s)\n" "$rc" "$(meaning "$rc")"
        fi
        if [[ -s "$errors" ]]; then
            echo
            sed 's/^/    /' "$errors"
        fi
    } >>"$GITHUB_STEP_SUMMARY"
}

meaning() {
    case "$1" in
        0) echo "every gated requirement passed" ;;
        1) echo "a gated requirement failed" ;;
        2) echo "usage or configuration error" ;;
        3) echo "the harness failed, or a report could not be written" ;;
        4) echo "the target is unreachable" ;;
        130 | 143) echo "interrupted" ;;
        *) echo "unexpected exit code" ;;
    esac
}

case "${1:-}" in
    install) install ;;
    run) run ;;
    *) echo "usage: conformance-action.sh install|run" >&2; exit 2 ;;
esac
