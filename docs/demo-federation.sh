#!/usr/bin/env bash
# Starts three agencies' nodes on loopback, adds entries on each, syncs, and shows
# every node converge to the same state digest; then stops them.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product roster >/dev/null 2>&1
roster="$PWD/.build/debug/roster"
demo="$(mktemp -d /tmp/roster-demo.XXXXXX)"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$demo"' EXIT

agencies=(kz-mvd uz-iib kg-mvd)
ports=(18443 18444 18445)
basis=(--category drugs --authority "Demo court" --reference "D-1" --decided 2026-01-01)
mkdir -p "$demo/Peers"
for i in 0 1 2; do
  a=${agencies[$i]}
  "$roster" init --agency "$a" --data "$demo/$a" >/dev/null
  "$roster" peers descriptor --endpoint "https://127.0.0.1:${ports[$i]}" --data "$demo/$a" > "$demo/Peers/$a.json"
done
# Each agency's root key fingerprint, as the agencies would confirm them to each other out of band.
trust=()
for a in "${agencies[@]}"; do
  trust+=(--trust "$("$roster" agency show --json --data "$demo/$a" | grep -o '"root_sha256":"[0-9a-f]*"' | cut -d'"' -f4)")
done
for i in 0 1 2; do
  a=${agencies[$i]}
  "$roster" peers add "$demo/Peers" "${trust[@]}" --data "$demo/$a" >/dev/null     # its own descriptor is skipped
  "$roster" serve --listen "127.0.0.1:${ports[$i]}" --interval 0 --data "$demo/$a" 2>"$demo/$a.log" &
  pids+=($!)
  "$roster" add domain "shop.$a.example" --scope subdomains "${basis[@]}" --data "$demo/$a" >/dev/null
  "$roster" add ip "198.51.100.$((i + 1))" "${basis[@]}" --data "$demo/$a" >/dev/null
done
sleep 2
echo "before sync:"
for a in "${agencies[@]}"; do echo "  $a $("$roster" status --json --data "$demo/$a" | grep -o '"digest":"[0-9a-f]*"')"; done
for round in 1 2; do
  for a in "${agencies[@]}"; do "$roster" sync --data "$demo/$a" | sed "s/^/  $a with /"; done
done
echo "after sync:"
for a in "${agencies[@]}"; do echo "  $a $("$roster" status --json --data "$demo/$a" | grep -o '"digest":"[0-9a-f]*"')"; done
"$roster" check cdn.shop.kz-mvd.example --data "$demo/kg-mvd"
