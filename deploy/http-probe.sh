#!/bin/bash
# Container health check without curl in the image: exits 0 when GET http://127.0.0.1:PORT/PATH
# answers 200 within 5 seconds.   http-probe.sh 5080 /health/ready
set -eu
port=${1:?port}
path=${2:-/health/ready}
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET %s HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$path" >&3
IFS= read -r -t 5 status <&3 || exit 1
case "$status" in
  "HTTP/1."?" 200 "*) exit 0 ;;
  *) exit 1 ;;
esac
