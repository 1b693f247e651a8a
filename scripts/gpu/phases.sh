# shellcheck shell=bash
# Sourced by the GPU scripts: timestamped log lines and a record of phases, so that a failed or
# timed-out phase is reported at the end instead of stopping the script.
#   log MESSAGE...        "[script +12s] MESSAGE"
#   phase_done NAME RC    records ok, TIMEOUT (rc 124) or FAILED (rc N) for NAME, in order
#   phase_table           one line per phase; returns 1 if any phase was not ok
START=$SECONDS
log() { echo "[$(basename "$0") +$((SECONDS - START))s] $*"; }
declare -A STATUS
PHASES=()
phase_done() {
  PHASES+=("$1")
  if [ "$2" -eq 0 ]; then STATUS[$1]=ok; elif [ "$2" -eq 124 ]; then STATUS[$1]=TIMEOUT; else STATUS[$1]="FAILED (rc $2)"; fi
  log "phase $1: ${STATUS[$1]}"
}
phase_table() {
  local p failed=0
  for p in "${PHASES[@]}"; do
    printf '  %-28s %s\n' "$p" "${STATUS[$p]}"
    [ "${STATUS[$p]}" = ok ] || failed=1
  done
  return $failed
}
