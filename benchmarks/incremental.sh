#!/usr/bin/env bash
# Incremental backups cost what the new logs cost, not what the databases weigh.
#
# For each database size (default 1 and 4 GiB): generates a set (one database, 16 x 1 MiB logs), runs a full
# backup, then repeatedly: the "database" writes 10 more log generations (generator: append-logs), the page
# cache is dropped (when permitted), and `esebackup backup SET --kind incremental` runs under /usr/bin/time -v.
# Reported per size: median wall time, bytes the incremental copied, and how much of the database file is in the
# page cache afterwards (fincore): with a cold cache that is exactly what discovery, probing and the backup read
# from the database (its header pages and the kernel's read-ahead), proving the database was not read.
#
# Usage: benchmarks/incremental.sh [--dir DIR] [--sizes "1 4"] [--runs N] [--keep] [--no-build]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"

DIR="" SIZES="1 4" RUNS=5 KEEP=0 BUILD=1
while (($#)); do
  case $1 in
    --dir) DIR=$2; shift 2 ;;
    --sizes) SIZES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --no-build) BUILD=0; shift ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done

require_tools
command -v fincore >/dev/null || die "fincore (util-linux) is missing"
COLD=0
if can_drop_caches; then COLD=1; else note "cannot drop the page cache: database residency after a run then says nothing; timings are warm-cache"; fi
largest=$(tr ' ' '\n' <<<"$SIZES" | sort -n | tail -1)
WORK=$(make_work_dir "$DIR" $((2 * largest + 2)))
cleanup() { if ((KEEP)); then note "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
((BUILD)) && build_release
RESULTS="$WORK/incremental.tsv"
printf 'db_gib\trun\tseconds\tcopied_bytes\tfiles\tdb_resident_bytes\tfs_inputs_512b\tpeak_rss_kib\n' >"$RESULTS"
note "$(machine_summary "$WORK")"

for size in $SIZES; do
  SET="$WORK/set-${size}g" REPO="$WORK/repo-${size}g"
  note "generating a ${size} GiB set"
  generate_set "$SET" $((size * 1024))
  "$ESEBACKUP" backup "$SET" --repository "$REPO" --json >"$WORK/full.json" || die "full backup failed: $(head -c 2000 "$WORK/full.json")"
  DB="$SET/database1.edb"
  for run in $(seq 0 "$RUNS"); do # run 0 is a warm-up, not recorded
    "$GENERATOR" append-logs "$SET" 10 >/dev/null
    sync
    wait_quiet 180 "$WORK" || true
    if ((COLD)); then cold_cache; fi
    t0=$(now)
    /usr/bin/time -v -o "$WORK/time.txt" "$ESEBACKUP" backup "$SET" --kind incremental --repository "$REPO" --json >"$WORK/inc.json" ||
      die "incremental failed: $(head -c 2000 "$WORK/inc.json")"
    t1=$(now)
    grep -q '"kind": "incremental"' "$WORK/inc.json" || die "not an incremental: $(head -c 1000 "$WORK/inc.json")"
    set_dir=$(sed -n 's/^  "setPath": "\(.*\)",$/\1/p' "$WORK/inc.json")
    copied=$(tree_bytes "$set_dir")
    files=$(find "$set_dir" -type f ! -name manifest.json | wc -l)
    resident=$(fincore -b -n -o RES "$DB")
    ((run == 0)) && continue
    printf '%s\t%s\t%.3f\t%s\t%s\t%s\t%s\t%s\n' "$size" "$run" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" "$copied" "$files" "$resident" \
      "$(time_v_field "$WORK/time.txt" "File system inputs")" "$(time_v_field "$WORK/time.txt" "Maximum resident set size")" | tee -a "$RESULTS" >&2
  done
  rm -rf "$SET" "$REPO"
done

echo
echo "$(machine_summary "$WORK")"
echo "incremental after 10 new 1 MiB logs; $([[ $COLD == 1 ]] && echo 'page cache dropped before each run' || echo 'warm page cache')"
printf '%-8s %-24s %-16s %-8s %-26s %-16s\n' "database" "seconds (median [range])" "copied (median)" "files" "database bytes read (max)" "peak RSS (max)"
for size in $SIZES; do
  sel() { awk -F'\t' -v s="$size" -v k="$1" 'NR > 1 && $1 == s {print $k}' "$RESULTS"; }
  read -r tm tl th _ <<<"$(sel 3 | stats)"
  read -r cm _ _ _ <<<"$(sel 4 | stats)"
  read -r fm _ _ _ <<<"$(sel 5 | stats)"
  read -r _ _ rh _ <<<"$(sel 6 | stats)"
  read -r _ _ ph _ <<<"$(sel 8 | stats)"
  printf '%-8s %-24s %-16s %-8s %-26s %-16s\n' "${size} GiB" "$tm [$tl-$th]" "$(awk -v b="$cm" 'BEGIN {printf "%.1f MiB", b / 1048576}')" "$(printf "%.0f" "$fm")" \
    "$(awk -v b="$rh" 'BEGIN {printf "%.0f KiB", b / 1024}')" "$(awk -v k="$ph" 'BEGIN {printf "%.0f MiB", k / 1024}')"
done
echo "raw results: $RESULTS$([[ $KEEP == 1 ]] || echo ' (deleted with the scratch directory; use --keep)')"
