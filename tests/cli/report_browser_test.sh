#!/bin/sh
# report_browser_test.sh SCV SOURCE_DIR [CHROMIUM] — renders the HTML page of `scv report` on
# examples/data in headless Chromium and checks what the browser built: the DOM (--dump-dom)
# holds the SVG charts, the record and profile counts `scv resolve` gives, and the Berlin
# store phone among the generic values; a screenshot (--screenshot) is a non-trivial PNG.
# Set SCV_REPORT_SCREENSHOT=FILE.png to keep the screenshot for a look.
# Registered by tests/cli/CMakeLists.txt only where /usr/bin/chromium exists.
set -eu

scv=$1
src=$2
chromium=${3:-/usr/bin/chromium}
opts="--region DE --measure order_total --measure opens --measure clicks --measure page_views"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

fail() {
    echo "report_browser_test: $*" >&2
    exit 1
}

now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# Chromium without anything that could reach a network, in a throw-away profile.
browse() {
    timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --disable-dev-shm-usage --user-data-dir="$(mktemp -d "$work/profile.XXXXXX")" \
        "$@"
}

# What `scv resolve` says: records = rows, profiles = distinct ids (the last field).
# shellcheck disable=SC2086
"$scv" resolve $opts "$src"/examples/data/crm.csv "$src"/examples/data/web.csv \
    "$src"/examples/data/email.csv "$src"/examples/data/pos.csv >"$work/assign.csv" 2>/dev/null
records=$(($(wc -l <"$work/assign.csv") - 1))
profiles=$(tail -n +2 "$work/assign.csv" | awk -F, '{print $NF}' | sort -u | wc -l)

# shellcheck disable=SC2086
"$scv" report $opts "$src"/examples/data/crm.csv "$src"/examples/data/web.csv \
    "$src"/examples/data/email.csv "$src"/examples/data/pos.csv --html "$work/report.html" \
    --persona 'Big spender=sum(order_total) > 300' --persona 'Newsletter=consent(email)' \
    --segment 'Store only=seen(pos) and not seen(web)' --segment 'Web=seen(web)' \
    2>"$work/report.log" || fail "scv report failed: $(cat "$work/report.log")"

t0=$(now_ms)
browse --dump-dom "file://$work/report.html" >"$work/dom.html" 2>"$work/chromium-dom.log" ||
    fail "chromium --dump-dom failed: $(tail -5 "$work/chromium-dom.log")"
t1=$(now_ms)
browse --screenshot="$work/report.png" --window-size=1280,2400 "file://$work/report.html" \
    >"$work/chromium-shot.log" 2>&1 || fail "chromium --screenshot failed: $(tail -5 "$work/chromium-shot.log")"
t2=$(now_ms)

# The DOM the browser built.
svgs=$(grep -o '<svg' "$work/dom.html" | wc -l)
[ "$svgs" -ge 5 ] || fail "expected 5 SVG charts in the DOM, found $svgs"
for want in \
    "id=\"stat-records\" data-value=\"$records\"" \
    "id=\"stat-profiles\" data-value=\"$profiles\"" \
    'Histogram of profile sizes' 'Source overlap heat map' 'Identifier-kind coverage' \
    'Persona sizes' 'Segment sizes' '+493023125100' '<rect' '<text'; do
    grep -qF "$want" "$work/dom.html" || fail "the DOM lacks: $want"
done
if grep -qi '<script' "$work/dom.html"; then fail "the DOM holds a script"; fi

# The screenshot: a PNG of a drawn page, not an empty one.
[ -s "$work/report.png" ] || fail "no screenshot"
[ "$(head -c 8 "$work/report.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] ||
    fail "the screenshot is not a PNG"
size=$(wc -c <"$work/report.png")
[ "$size" -gt 20000 ] || fail "the screenshot is suspiciously small ($size bytes)"
if [ -n "${SCV_REPORT_SCREENSHOT:-}" ]; then cp "$work/report.png" "$SCV_REPORT_SCREENSHOT"; fi

echo "report_browser_test: $records records, $profiles profiles, $svgs SVG charts;" \
    "chromium --dump-dom $((t1 - t0)) ms, --screenshot $((t2 - t1)) ms ($size bytes)"
