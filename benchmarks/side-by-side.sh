#!/usr/bin/env bash
# Side by side with EVALSIG (github.com/vtensor/evalsig, Apache-2.0): the same job on the same
# RunFrame JSON files, whole process (start-up, reading, pairing, statistics: what a user waits for).
#
#   benchmarks/side-by-side.sh [N]        # N items per run for paired_t (default 1000000)
#
# Environment (all optional):
#   RUNS=5              timed runs per tool and job (after one untimed warm-up each); the median is reported
#   RESAMPLE_N=20000    items per run for the resampling jobs (EVALSIG materialises resamples x items
#                       matrices, so these jobs use a smaller pair; see "EVALSIG memory" below)
#   RESAMPLES=10000     resamples for the bootstrap and permutation jobs (both tools, seed 0)
#   JOBS="paired_t paired_bootstrap paired_permutation cluster_bootstrap"
#   WORK=/tmp/evalsig-side-by-side        run files, outputs and the pyarrow stand-in
#   EVALSIG_SRC=/tmp/evalsig-src          EVALSIG's source tree (never inside this repository)
#   EVALSIG_COMMIT=504c35f3a91e24db06bb5254565e4a4eda2f5dca   the commit compared (checked out on clone)
#   PYTHON=/usr/bin/python3               an interpreter with numpy and scipy
#
# Run it from anywhere on an idle machine; it prints a Markdown table of median wall seconds, median
# peak RSS (MB), the EVALSIG/EvalSig ratios and median CPU seconds (user + sys) per job, plus both tools' delta and p-value so the two
# can be seen to do the same job. Exit codes 0/1/2 of either tool are verdicts, anything else aborts.
#
# EVALSIG memory: paired_bootstrap holds ~16 x items x resamples bytes, paired_permutation ~24 x ...
# (int64 index, float64 gather and sign matrices); a job whose estimate exceeds 80% of MemAvailable is
# skipped with a message instead of driving the machine into swap or the OOM killer.
set -euo pipefail

N=${1:-1000000}
RUNS=${RUNS:-5}
RESAMPLE_N=${RESAMPLE_N:-20000}
RESAMPLES=${RESAMPLES:-10000}
JOBS=${JOBS:-"paired_t paired_bootstrap paired_permutation cluster_bootstrap"}
WORK=${WORK:-/tmp/evalsig-side-by-side}
EVALSIG_SRC=${EVALSIG_SRC:-/tmp/evalsig-src}
EVALSIG_COMMIT=${EVALSIG_COMMIT:-504c35f3a91e24db06bb5254565e4a4eda2f5dca}
PYTHON=${PYTHON:-/usr/bin/python3}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OURS_DLL=$ROOT/src/EvalSig.Cli/bin/Release/net8.0/evalsig.dll
BENCH_DLL=$ROOT/benchmarks/EvalSig.Benchmarks/bin/Release/net10.0/EvalSig.Benchmarks.dll
mkdir -p "$WORK"

die() { echo "side-by-side: $*" >&2; exit 1; }

# --- 1. Python and EVALSIG's dependencies -----------------------------------------------------------
# EVALSIG 0.1.x needs numpy>=1.24, scipy>=1.10 and pyarrow>=14. Debian/Ubuntu ship numpy and scipy
# (python3-numpy, python3-scipy); pyarrow is not packaged there. With PyPI reachable, a venv with
# `pip install numpy scipy pyarrow` and PYTHON=<venv>/bin/python works as well.
if ! "$PYTHON" -c 'import numpy, scipy' 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get install -y python3-numpy python3-scipy >/dev/null
    else
        die "$PYTHON lacks numpy/scipy: run 'sudo apt-get install -y python3-numpy python3-scipy' or set PYTHON"
    fi
fi

# --- 2. EVALSIG's source ----------------------------------------------------------------------------
# With network: git clone https://github.com/vtensor/evalsig "$EVALSIG_SRC" && git -C "$EVALSIG_SRC" checkout "$EVALSIG_COMMIT"
# Without it, put the tree there by any other means (the figures in docs/performance.md were taken
# with src/ of that commit rebuilt file by file from a public code index, byte counts checked: see
# benchmarks/README.md) and record the commit in "$EVALSIG_SRC/EVALSIG_COMMIT".
# EVALSIG's code is run from there only and is never copied into this repository.
if [ ! -f "$EVALSIG_SRC/src/evalsig/cli/main.py" ]; then
    echo "EVALSIG source not found in $EVALSIG_SRC: cloning github.com/vtensor/evalsig" >&2
    git clone --quiet https://github.com/vtensor/evalsig "$EVALSIG_SRC" \
        || die "cannot clone EVALSIG; place its source in $EVALSIG_SRC (see the comment above)"
    git -C "$EVALSIG_SRC" checkout --quiet "$EVALSIG_COMMIT"
fi
if [ -d "$EVALSIG_SRC/.git" ]; then
    EVALSIG_AT=$(git -C "$EVALSIG_SRC" rev-parse HEAD)
elif [ -f "$EVALSIG_SRC/EVALSIG_COMMIT" ]; then
    EVALSIG_AT=$(head -n1 "$EVALSIG_SRC/EVALSIG_COMMIT")
else
    EVALSIG_AT="unknown (no git metadata, no EVALSIG_COMMIT file)"
fi

# --- 3. pyarrow: the real one if installed, else a stand-in for the JSON path only -------------------
# evalsig/io/parquet.py is imported by the CLI for every input (it builds PARQUET_SCHEMA at import
# time). Without pyarrow the CLI cannot start, although RunFrame JSON never touches Parquet. The
# stand-in returns inert placeholders from the five type factories that module calls at import
# (schema, string, int32, float64, timestamp) and raises ImportError on anything else, so a Parquet
# read or write fails loudly instead of pretending. It changes nothing on the JSON path timed here
# (importing the real pyarrow would add its own import time to EVALSIG's start-up; see the caveats).
EVALSIG_PYTHONPATH=$EVALSIG_SRC/src
PYARROW="real"
if ! "$PYTHON" -c 'import pyarrow' 2>/dev/null; then
    PYARROW="stand-in (not installed)"
    STUB=$WORK/pyarrow-stub
    mkdir -p "$STUB/pyarrow"
    cat > "$STUB/pyarrow/__init__.py" <<'PY'
"""Stand-in for pyarrow (EvalSig's benchmarks/side-by-side.sh): EVALSIG's JSON path only.

evalsig/io/parquet.py calls these five factories at import time to build PARQUET_SCHEMA; they
return an inert placeholder. Anything else raises ImportError: reading or writing Parquet needs
the real pyarrow.
"""


class _Placeholder:
    def __repr__(self):
        return "<pyarrow stand-in placeholder>"


def schema(*args, **kwargs):
    return _Placeholder()


def string(*args, **kwargs):
    return _Placeholder()


def int32(*args, **kwargs):
    return _Placeholder()


def float64(*args, **kwargs):
    return _Placeholder()


def timestamp(*args, **kwargs):
    return _Placeholder()


def __getattr__(name):
    raise ImportError(f"pyarrow stand-in: pyarrow.{name} is unavailable (Parquet needs the real pyarrow)")
PY
    cat > "$STUB/pyarrow/parquet.py" <<'PY'
"""Stand-in for pyarrow.parquet: every use raises ImportError."""


def __getattr__(name):
    raise ImportError(f"pyarrow stand-in: pyarrow.parquet.{name} is unavailable (Parquet needs the real pyarrow)")
PY
    EVALSIG_PYTHONPATH=$EVALSIG_PYTHONPATH:$STUB
fi
evalsig_py() { PYTHONPATH=$EVALSIG_PYTHONPATH "$PYTHON" -m evalsig.cli.main "$@"; }
evalsig_py version >/dev/null || die "EVALSIG does not start from $EVALSIG_SRC"

# --- 4. Our CLI and the run writer -----------------------------------------------------------------
[ -f "$OURS_DLL" ] || (cd "$ROOT" && dotnet build src/EvalSig.Cli -c Release >/dev/null)
[ -f "$BENCH_DLL" ] || (cd "$ROOT" && dotnet build benchmarks/EvalSig.Benchmarks -c Release >/dev/null)
ours() { dotnet "$OURS_DLL" "$@"; }

# Two RunFrame v1 JSON files of n items (scores in [0, 1], clusters of 5, candidate shifted by 0.01).
runs_for() {
    local n=$1 dir=$WORK/runs-$1
    if [ ! -f "$dir/json/cand-src.json" ]; then
        dotnet "$BENCH_DLL" write-runs "$dir" "$n" json >/dev/null
    fi
    echo "$dir/json"
}

# --- 5. Timing ---------------------------------------------------------------------------------------
mem_avail_kb=$(awk '/MemAvailable/ {print $2}' /proc/meminfo)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
results=$WORK/results.tsv
: > "$results"

# time_one <tool> <job> <out-file> <command...>: one whole-process run; appends "tool job wall rss_kb user sys"
time_one() {
    local tool=$1 job=$2 out=$3; shift 3
    local t=$WORK/time.txt rc=0
    /usr/bin/time -f "%e %M %U %S" -o "$t" "$@" >"$out" 2>"$out.err" || rc=$?
    if [ "$rc" -gt 2 ]; then
        cat "$out.err" >&2
        die "$tool $job exited $rc"
    fi
    echo "$tool $job $(tail -n1 "$t")" >> "$results"
}

for job in $JOBS; do
    if [ "$job" = paired_t ]; then n=$N; else n=$RESAMPLE_N; fi
    case $job in
        paired_bootstrap)   need_kb=$(( 16 * n / 1024 * RESAMPLES )) ;;
        paired_permutation) need_kb=$(( 24 * n / 1024 * RESAMPLES )) ;;
        *)                  need_kb=0 ;;
    esac
    if [ "$need_kb" -gt $(( mem_avail_kb * 8 / 10 )) ]; then
        echo "skipped $job at $n items x $RESAMPLES resamples: EVALSIG would need ~$(( need_kb / 1048576 )) GB, $(( mem_avail_kb / 1048576 )) GB available" >&2
        continue
    fi
    dir=$(runs_for "$n")
    b=$dir/base-src.json
    c=$dir/cand-src.json
    common=(--method "$job" --min-delta 0.005 --resamples "$RESAMPLES" --seed 0)
    # EVALSIG uses clusters only when --cluster names them; ours uses them by default when present.
    evalsig_extra=(); ours_extra=()
    if [ "$job" = cluster_bootstrap ]; then evalsig_extra=(--cluster cluster_id); ours_extra=(--cluster cluster_id); fi
    echo "job $job: $n items per run, $RUNS runs each (+1 warm-up)" >&2
    # One untimed warm-up each (page cache, .pyc files, .NET disk caches), then alternate the tools.
    evalsig_py gate --baseline "$b" --candidate "$c" "${common[@]}" "${evalsig_extra[@]}" --output json >/dev/null 2>&1 || true
    ours gate "$b" "$c" "${common[@]}" "${ours_extra[@]}" --json >/dev/null 2>&1 || true
    for ((i = 1; i <= RUNS; i++)); do
        time_one EVALSIG "$job" "$WORK/$job.evalsig-python.json" \
            env PYTHONPATH="$EVALSIG_PYTHONPATH" "$PYTHON" -m evalsig.cli.main gate \
            --baseline "$b" --candidate "$c" "${common[@]}" "${evalsig_extra[@]}" --output json
        time_one EvalSig "$job" "$WORK/$job.ours.json" \
            dotnet "$OURS_DLL" gate "$b" "$c" "${common[@]}" "${ours_extra[@]}" --json
    done
done

# --- 6. Report ---------------------------------------------------------------------------------------
numpy_v=$("$PYTHON" -c 'import numpy; print(numpy.__version__)')
scipy_v=$("$PYTHON" -c 'import scipy; print(scipy.__version__)')
python_v=$("$PYTHON" -c 'import platform; print(platform.python_version())')
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
echo
echo "Side by side with EVALSIG, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "- machine: $(nproc) CPUs ($cpu), $(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1048576 )) GB, $(uname -sr); load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- EVALSIG $(evalsig_py version | awk '{print $2}') at $EVALSIG_AT; Python $python_v, numpy $numpy_v, scipy $scipy_v, pyarrow: $PYARROW"
runtimes=$(dotnet --list-runtimes 2>/dev/null | awk '/^Microsoft.NETCore.App/ {print $2}' | paste -sd, -)
echo "- EvalSig $(ours version 2>/dev/null | head -n1 | awk '{print $2}'), IL build run as dotnet evalsig.dll (net8.0, rollForward Major; .NET runtimes installed: $runtimes)"
echo "- paired_t at $N items per run; resampling jobs at $RESAMPLE_N items, $RESAMPLES resamples, seed 0; median of $RUNS runs, whole process (/usr/bin/time)"
echo
"$PYTHON" - "$results" "$WORK" "$N" "$RESAMPLE_N" <<'PY'
import json, statistics, sys
from collections import defaultdict

path, work, n, rn = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
runs = defaultdict(list)
for line in open(path):
    tool, job, wall, rss, user, sys_ = line.split()
    runs[(tool, job)].append((float(wall), int(rss) / 1024, float(user) + float(sys_)))
jobs = list(dict.fromkeys(job for _, job in runs))


def stats(tool, job):
    rows = runs[(tool, job)]
    return tuple(statistics.median(r[k] for r in rows) for k in range(3))


def result(file):
    # Both tools print one JSON report; EVALSIG's has "Infinity" for an open CI end.
    c = json.loads(open(file).read())["comparison"]
    return c["delta"], c["p_value"], c["ci"][0]


print("| Job | Items | EVALSIG wall (s) | EvalSig wall (s) | Ratio wall | EVALSIG peak RSS (MB) | EvalSig peak RSS (MB) | Ratio RSS | EVALSIG CPU (s) | EvalSig CPU (s) |")
print("|---|---|---|---|---|---|---|---|---|---|")
for job in jobs:
    ew, em, ec = stats("EVALSIG", job)
    ow, om, oc = stats("EvalSig", job)
    items = n if job == "paired_t" else rn
    print(f"| {job} | {items:,} | {ew:.2f} | {ow:.2f} | {ew / ow:.1f}x | {em:.0f} | {om:.0f} | {em / om:.1f}x | {ec:.2f} | {oc:.2f} |")
print()
print("Same job, same answer (last run of each):")
print()
print("| Job | EVALSIG delta | EvalSig delta | EVALSIG p | EvalSig p | EVALSIG CI lower | EvalSig CI lower |")
print("|---|---|---|---|---|---|---|")
for job in jobs:
    ed, ep, el = result(f"{work}/{job}.evalsig-python.json")
    od, op, ol = result(f"{work}/{job}.ours.json")
    print(f"| {job} | {ed:.10g} | {od:.10g} | {ep:.6g} | {op:.6g} | {el:.6g} | {ol:.6g} |")
PY
