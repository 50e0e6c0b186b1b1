#!/usr/bin/env bash
# Schemathesis, all checks, against a live `comity serve` on a fresh demo deployment: once with a
# staff administrator's token and once with a requester's, MAX_EXAMPLES cases per operation each
# (the default, 200, gives more than 10,000 cases per token over the API's operations).
# Usage: [PORT=n] scripts/fuzz-api.sh [MAX_EXAMPLES]   (from the checkout, after `make install`;
# PORT picks the server's port, a free one by default; WHO="staff" or "requester" runs one token)
# Exit 0 when neither run found a failure; the reports are left in $OUT (printed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-200}
bin=.venv/bin
work=$(mktemp -d /tmp/comity-fuzz.XXXXXX)
out=$work/reports
port=${PORT:-$($bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
$bin/comity --dir "$work/demo" init --demo >"$work/init.txt"
token() { awk -v who="$1" '$1 == who && $NF ~ /^cmy_/ {print $NF}' "$work/init.txt"; }
staff=$(token ada); requester=$(token dea-agent)
[ -n "$staff" ] && [ -n "$requester" ] || { echo "error: no demo tokens in $work/init.txt" >&2; exit 2; }
$bin/comity --dir "$work/demo" serve --port "$port" >"$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
status=0
for who in ${WHO:-staff requester}; do
  bearer=${!who}
  echo "== schemathesis as $who, $examples examples per operation"
  $bin/schemathesis --config-file scripts/fuzz/schemathesis.toml run "http://127.0.0.1:$port/openapi.json" --wait-for-schema 180 \
    --checks all --max-examples "$examples" --generation-deterministic --continue-on-failure \
    -H "Authorization: Bearer $bearer" --report junit --report-dir "$out/$who" || status=1
done
if grep -n "Traceback\|Internal Server Error" "$work/serve.log" >/dev/null; then
  echo "the server logged errors: $work/serve.log" >&2; status=1
fi
echo "reports in $out; server log $work/serve.log"
exit $status
