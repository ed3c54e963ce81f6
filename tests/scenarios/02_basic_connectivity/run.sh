#!/usr/bin/env bash
# 02 basic connectivity: server and client start from their configurations; pings cross the
# tunnel both ways; a file of SSS_FILE_MB MiB moves client -> server with the same SHA-256; each
# tunnel process's average CPU during that traffic and its peak memory stay within
# SSS_MAX_CPU_PERCENT and SSS_MAX_RSS_MB.
set -uo pipefail
. "$SCENARIO_DIR/lib.sh"
max_cpu="${SSS_MAX_CPU_PERCENT:-200}"
max_rss="${SSS_MAX_RSS_MB:-400}"
file_mb="${SSS_FILE_MB:-8}"
server_tun="$(tun_ip server)"
client_tun="$(tun_ip client)"

tunnel_up || exit 1
# CPU ticks (utime + stime) of each tunnel process, and the time, before the traffic.
ticks() { on "$1" 'cut -d" " -f14,15 /proc/$(cat '"$1"'.pid)/stat' | awk '{ print $1 + $2 }'; }
hz="$(on server "getconf CLK_TCK")"
start_s="$(ticks server)" start_c="$(ticks client)" started="$(date +%s.%N)"

for pair in "client $server_tun" "server $client_tun"; do
  set -- $pair
  out="$(on "$1" "ping -n -c 5 -i 0.2 -W 2 $2" 2>&1)"
  if echo "$out" | grep -q " 5 received"; then
    pass "ping $1 -> $2 through the tunnel" "$(echo "$out" | grep -oE 'rtt .*' || true)"
  else
    fail "ping $1 -> $2 through the tunnel" "$(echo "$out" | grep -E 'transmitted|unreachable' | head -n 1)"
  fi
done

say "moving a ${file_mb} MiB file client -> server through the tunnel"
# perl (Debian's perl-base is essential) as the receiver and the sender: no netcat needed.
receiver='use IO::Socket::INET; my $l = IO::Socket::INET->new(LocalAddr => $ARGV[0], LocalPort => 5601, Listen => 1, ReuseAddr => 1) or die "listen: $!"; alarm 60; my $c = $l->accept or die "accept: $!"; open(my $f, ">", "received.bin") or die; binmode $f; binmode $c; my $b; while (sysread($c, $b, 65536)) { print $f $b } close $f;'
sender='use IO::Socket::INET; my $c; for (1 .. 50) { $c = IO::Socket::INET->new(PeerAddr => $ARGV[0], PeerPort => 5601) and last; select(undef, undef, undef, 0.1) } $c or die "connect: $!"; open(my $f, "<", "sent.bin") or die; binmode $f; binmode $c; my $b; while (sysread($f, $b, 65536)) { print $c $b } close $c;'
on server "rm -f received.bin; nohup perl -e $(shq "$receiver") $server_tun >receiver.out 2>&1 </dev/null & echo \$! >receiver.pid"
on client "head -c $((file_mb * 1048576)) /dev/urandom >sent.bin"
if on client "perl -e $(shq "$sender") $server_tun" 2>&1; then
  on server 'p=$(cat receiver.pid); i=0; while kill -0 $p 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done'
  sent="$(on client "sha256sum sent.bin" | cut -d' ' -f1)"
  received="$(on server "sha256sum received.bin" 2>/dev/null | cut -d' ' -f1)"
  if [ -n "$sent" ] && [ "$sent" = "$received" ]; then
    pass "the file arrives with the same SHA-256" "${sent:0:16}..."
  else
    fail "the file arrives with the same SHA-256" "sent ${sent:0:16}, received ${received:0:16} ($(on server "stat -c %s received.bin" 2>/dev/null) bytes)"
  fi
else
  fail "the file arrives with the same SHA-256" "the sender could not connect to $server_tun:5601"
fi
on server 'kill $(cat receiver.pid) 2>/dev/null; rm -f received.bin receiver.pid receiver.out'
on client "rm -f sent.bin"

elapsed="$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')"
for host in server client; do
  before="$start_s"
  [ "$host" = server ] || before="$start_c"
  cpu="$(awk -v t="$(ticks "$host")" -v b="$before" -v hz="$hz" -v s="$elapsed" 'BEGIN { printf "%.1f", (t - b) / hz / s * 100 }')"
  rss="$(on "$host" 'grep VmHWM /proc/$(cat '"$host"'.pid)/status' | awk '{ printf "%.1f", $2 / 1024 }')"
  figure "$host CPU during traffic" "$cpu" "%"
  figure "$host peak RSS" "$rss" "MiB"
  if le "$cpu" "$max_cpu"; then pass "$host CPU ${cpu}% <= ${max_cpu}%"; else fail "$host CPU ${cpu}% <= ${max_cpu}%" "over SSS_MAX_CPU_PERCENT"; fi
  if le "$rss" "$max_rss"; then pass "$host peak RSS ${rss} MiB <= ${max_rss} MiB"; else fail "$host peak RSS ${rss} MiB <= ${max_rss} MiB" "over SSS_MAX_RSS_MB"; fi
done
