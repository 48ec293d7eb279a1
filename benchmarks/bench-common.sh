# Shared helpers for the end-to-end benchmark scripts (sourced, not run).
# Needs: bash, GNU coreutils, awk, /usr/bin/time (Debian: apt-get install -y time), the .NET SDK.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# esebackup as a server installs it: published for this platform, so the host and the plugin are precompiled
# (ReadyToRun; see src/HostSample/HostSample.csproj). The worker rides along under plugins/ese/worker.
case $(uname -m) in x86_64) RID=linux-x64 ;; aarch64) RID=linux-arm64 ;; *) RID="" ;; esac
HOST_DIR="$REPO_ROOT/artifacts/bench/esebackup"
ESEBACKUP="$HOST_DIR/EseBackupPlugin.HostSample"
GENERATOR="$REPO_ROOT/benchmarks/Benchmarks/bin/Release/net10.0/EseBackupPlugin.Benchmarks"

die() { echo "error: $*" >&2; exit 1; }
note() { echo "# $*" >&2; }

require_tools() {
  [[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (Debian/Ubuntu: apt-get install -y time)"
  command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is not on PATH"
}

# Release build of everything, the host published (with the plugin and the worker laid out beside it), the generator.
build_release() {
  note "building Release (host, plugin, generator)"
  [[ -n $RID ]] || die "no .NET runtime identifier for $(uname -m)"
  dotnet build "$REPO_ROOT/src/HostSample/HostSample.csproj" -c Release -nologo -v quiet >&2 || die "building the host failed"
  dotnet publish "$REPO_ROOT/src/HostSample/HostSample.csproj" -c Release -r "$RID" --self-contained false -o "$HOST_DIR" -nologo -v quiet >&2 || die "publishing the host failed"
  dotnet build "$REPO_ROOT/benchmarks/Benchmarks/Benchmarks.csproj" -c Release -nologo -v quiet >&2 || die "building the generator failed"
  [[ -x "$ESEBACKUP" && -x "$GENERATOR" ]] || die "build outputs not found under $HOST_DIR and benchmarks/Benchmarks/bin"
}

# make_work_dir DIR_OR_EMPTY NEEDED_GIB: prints the scratch directory (created with mktemp when none is given).
make_work_dir() {
  local dir=$1 need=$2
  if [[ -z $dir ]]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/esebackup-bench.XXXXXX")
  else
    mkdir -p "$dir"
  fi
  local free_kib
  free_kib=$(df -Pk "$dir" | awk 'NR==2 {print $4}')
  (( free_kib / 1048576 >= need )) || die "$dir has $((free_kib / 1048576)) GiB free, this run needs about $need GiB (use --dir)"
  (cd "$dir" && pwd)
}

# Can this process drop the page cache? (root on Linux, not in most containers)
can_drop_caches() { [[ -w /proc/sys/vm/drop_caches ]] && (echo 1 > /proc/sys/vm/drop_caches) 2>/dev/null; }

# Evict the data from the page cache, then read the tools back in, so that only the data is cold.
cold_cache() {
  sync
  echo 3 > /proc/sys/vm/drop_caches
  warm_tools
}

warm_tools() {
  local runtime
  runtime=$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" {p = $3; gsub(/[][]/, "", p); d = p "/" $2} END {print d}')
  cat "$runtime"/* "$HOST_DIR"/*.dll "$HOST_DIR"/plugins/ese/* /bin/cp /usr/bin/time >/dev/null 2>&1 || true
}

# wait_quiet MAX_SECONDS PATH: wait until, over one second, the CPUs were >= 85 % idle and the disk holding PATH
# moved less than 4 MiB (colleagues' builds, writeback and discards of deleted files finished). Returns 1 on timeout.
wait_quiet() {
  local max=${1:-120} path=${2:-.} waited=0 dev
  dev=$(basename "$(df -P "$path" | awk 'NR==2 {print $1}')")
  while :; do
    local u n s i w q sq st t1 t2 i1 i2 d1 d2
    read -r _ u n s i w q sq st _ < /proc/stat; t1=$((u + n + s + i + w + q + sq + st)); i1=$i
    d1=$(awk -v d="$dev" '$3 == d {printf "%.0f\n", $6 + $10}' /proc/diskstats)
    sleep 1
    read -r _ u n s i w q sq st _ < /proc/stat; t2=$((u + n + s + i + w + q + sq + st)); i2=$i
    d2=$(awk -v d="$dev" '$3 == d {printf "%.0f\n", $6 + $10}' /proc/diskstats)
    local idle=$((100 * (i2 - i1) / (t2 - t1))) moved=$(((${d2:-0} - ${d1:-0}) / 2048))
    if ((idle >= 85 && moved < 4)); then return 0; fi
    waited=$((waited + 1))
    if ((waited >= max)); then
      note "warning: the machine is still busy (CPU idle ${idle} %, disk ${moved} MiB/s); measuring anyway"
      BUSY_RUNS=$((${BUSY_RUNS:-0} + 1))
      return 1
    fi
  done
}

now() { date +%s.%N; }

# time_v_field FILE FIELD: a value from /usr/bin/time -v output ("Maximum resident set size (kbytes)", ...).
time_v_field() { awk -F': ' -v f="$2" 'index($0, f) {gsub(/^[ \t]+/, "", $2); print $2}' "$1"; }

# Elapsed wall clock from /usr/bin/time -v ("h:mm:ss" or "m:ss.ss") in seconds.
time_v_seconds() {
  time_v_field "$1" "Elapsed (wall clock) time" | awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }'
}

# Sum of the sizes of the regular files under a directory.
tree_bytes() { find "$1" -type f -printf '%s\n' | awk '{s += $1} END {printf "%.0f\n", s}'; }

# stats: reads numbers on stdin, prints "median min max n".
stats() {
  sort -g | awk '{v[NR] = $1} END {
    if (NR == 0) { print "nan nan nan 0"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.3f %.3f %.3f %d\n", m, v[1], v[NR], NR }'
}

machine_summary() {
  local cpu cores mem kernel fs
  cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
  cores=$(nproc)
  mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
  kernel=$(uname -r)
  fs=$(df -PT "${1:-.}" | awk 'NR==2 {print $2}')
  echo "machine: $cpu, $cores cores, $mem RAM, Linux $kernel, data on $fs; $(dotnet --version 2>/dev/null | sed 's/^/.NET SDK /')"
}

# generate_set DIR MIB [DATABASES]: the synthetic set every script measures (8 KiB XE pages, 16 logs of 1 MiB);
# DATABASES databases of MIB MiB each (default 1).
generate_set() {
  "$GENERATOR" generate "$1" --databases "${3:-1}" --database-mib "$2" --logs 16 --log-kib 1024 >&2
}

# start_results FILE: the per-run table the stream and worker scripts fill (one line per tool and run).
start_results() { printf 'run\ttool\tbytes\tseconds\tmb_per_s\n' >"$1"; }
