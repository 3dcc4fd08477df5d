#!/usr/bin/env bash
# supervise.sh NAME COMMAND...: keeps one process of the Procfile running. When it dies (a crash, an
# out-of-memory kill, kill -9) it is started again, after 1 s and up to 30 s if it keeps dying at once;
# SIGTERM/SIGINT (honcho stopping, Ctrl-C) stop it for good.
set -u
name=$1
shift
child=0
# The program runs in a process group of its own, so that its workers (Sanic forks some) go with it.
stop() {
  trap - TERM INT
  if [ "$child" -ne 0 ]; then kill -TERM -- "-$child" 2>/dev/null; wait "$child" 2>/dev/null; fi
  exit 0
}
trap stop TERM INT
delay=1
while true; do
  started=$(date +%s)
  setsid "$@" &
  child=$!
  wait "$child"
  status=$?
  # Workers left behind by a killed parent would hold the port the restarted program needs.
  kill -KILL -- "-$child" 2>/dev/null
  child=0
  if [ $(( $(date +%s) - started )) -ge 60 ]; then delay=1; fi
  echo "supervise: $name exited with status $status; starting it again in ${delay}s" >&2
  sleep "$delay" &
  wait $!
  delay=$(( delay * 2 > 30 ? 30 : delay * 2 ))
done
