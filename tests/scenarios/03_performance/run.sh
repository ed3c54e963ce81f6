#!/usr/bin/env bash
# 03 performance: iperf3 throughput through the tunnel each way (SSS_IPERF_SECONDS, -t) at least
# SSS_MIN_MBPS, and the average ping round trip through it at most SSS_MAX_RTT_MS.
set -uo pipefail
. "$SCENARIO_DIR/lib.sh"
min_mbps="${SSS_MIN_MBPS:-10}"
max_rtt="${SSS_MAX_RTT_MS:-50}"
seconds="${SSS_IPERF_SECONDS:-5}"
server_tun="$(tun_ip server)"

tunnel_up || exit 1
on server "iperf3 -s -D -B $server_tun -p 5602 -I \$PWD/iperf3.pid"
for direction in "client -> server" "server -> client"; do
  reverse=""
  [ "$direction" = "client -> server" ] || reverse="-R"
  mbps=""
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    out="$(on client "iperf3 -c $server_tun -p 5602 -t $seconds -f m $reverse" 2>&1)"
    mbps="$(echo "$out" | awk '/receiver/ { for (i = 1; i < NF; i++) if ($(i + 1) == "Mbits/sec") v = $i } END { print v }')"
    [ -z "$mbps" ] || break
    sleep 0.3 # the iperf3 server may not listen yet
  done
  if [ -z "$mbps" ]; then
    fail "iperf3 $direction" "$(echo "$out" | tail -n 1)"
    continue
  fi
  figure "throughput $direction" "$mbps" "Mbit/s"
  if le "$min_mbps" "$mbps"; then
    pass "throughput $direction ${mbps} Mbit/s >= ${min_mbps}"
  else
    fail "throughput $direction ${mbps} Mbit/s >= ${min_mbps}" "below SSS_MIN_MBPS"
  fi
done
on server 'kill $(cat iperf3.pid) 2>/dev/null; rm -f iperf3.pid'

out="$(on client "ping -n -c 20 -i 0.2 -W 2 $server_tun" 2>&1)"
rtt="$(echo "$out" | sed -nE 's|^rtt min/avg/max/mdev = [0-9.]+/([0-9.]+)/.*|\1|p')"
if [ -z "$rtt" ]; then
  fail "ping latency through the tunnel" "$(echo "$out" | tail -n 1)"
else
  figure "ping round trip (avg of 20)" "$rtt" "ms"
  figure "ping loss" "$(echo "$out" | grep -oE '[0-9.]+% packet loss' | cut -d% -f1)" "%"
  if le "$rtt" "$max_rtt"; then
    pass "ping round trip ${rtt} ms <= ${max_rtt} ms"
  else
    fail "ping round trip ${rtt} ms <= ${max_rtt} ms" "over SSS_MAX_RTT_MS"
  fi
fi
