#!/bin/bash
# Issue 16 whole-process figures (docs/performance.md): fixed cost per format, the 1M-item gate in four
# formats, the tokenize floor, the 10M-item JSON gate, start-up. Run on an idle machine; prints its figures.
# Needs first (see benchmarks/README.md): dotnet build EvalSig.sln -c Release; the benchmarks built;
#   write-runs /tmp/evalsig-runs 1000000, /tmp/evalsig-runs-1k 1000, /tmp/evalsig-runs-10m 10000000 json;
#   /tmp/b1k.json and /tmp/c1k.json; the ReadyToRun CLI in out/cli-r2r:
#   dotnet publish src/EvalSig.Cli -c Release -r linux-x64 --self-contained false -p:EvalSigCliFramework=net10.0 -o out/cli-r2r
cd "$(dirname "$0")/.."
B=benchmarks/EvalSig.Benchmarks/bin/Release/net10.0/EvalSig.Benchmarks.dll
CLI="dotnet src/EvalSig.Cli/bin/Release/net8.0/evalsig.dll"
med() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], "(" a[1] "-" a[NR] ")"}'; }
echo "== $(date -u) $(uptime)"
echo "== fixed cost: gate on two 1,000-item files per format (wall s, RSS KB), 5 runs"
for f in json jsonl csv parquet; do
  b=$(ls /tmp/evalsig-runs-1k/$f/base*); c=$(ls /tmp/evalsig-runs-1k/$f/cand*)
  for i in 1 2 3 4 5; do /usr/bin/time -f "%e %M" $CLI gate "$b" "$c" --method paired_t --min-delta 0.005 2>&1 >/dev/null | tail -1; done > /tmp/k.$f
  echo "1k $f wall $(cut -d' ' -f1 /tmp/k.$f | med) rssKB $(cut -d' ' -f2 /tmp/k.$f | med)"
done
echo "== gate 1M whole process (wall s, RSS KB, user s), 5 runs after a warm-up"
for f in json jsonl csv parquet; do
  b=$(ls /tmp/evalsig-runs/$f/base*); c=$(ls /tmp/evalsig-runs/$f/cand*)
  $CLI gate "$b" "$c" --method paired_t --min-delta 0.005 >/dev/null 2>&1
  for i in 1 2 3 4 5; do /usr/bin/time -f "%e %M %U" $CLI gate "$b" "$c" --method paired_t --min-delta 0.005 2>&1 >/dev/null | tail -1; done > /tmp/m.$f
  echo "$f wall $(cut -d' ' -f1 /tmp/m.$f | med) rssKB $(cut -d' ' -f2 /tmp/m.$f | med) user $(cut -d' ' -f3 /tmp/m.$f | med)"
done
echo "== tokenize floor JSON, whole process, 5 runs"
for mode in seq par stream stream-par; do
  case $mode in seq) extra="";; par) extra="--parallel";; stream) extra="--stream";; stream-par) extra="--stream --parallel";; esac
  for i in 1 2 3 4 5; do /usr/bin/time -f "%e %M" dotnet $B tokenize /tmp/evalsig-runs/json/base-src.json /tmp/evalsig-runs/json/cand-src.json $extra 2>&1 >/dev/null | tail -1; done > /tmp/m.tok$mode
  echo "tokenize-$mode wall $(cut -d' ' -f1 /tmp/m.tok$mode | med) rssKB $(cut -d' ' -f2 /tmp/m.tok$mode | med)"
done
echo "== gate 10M JSON, 3 runs"
for i in 1 2 3; do /usr/bin/time -f "%e %M %U" $CLI gate /tmp/evalsig-runs-10m/json/base-src.json /tmp/evalsig-runs-10m/json/cand-src.json --method paired_t --min-delta 0.005 2>&1 >/dev/null | tail -1; done
echo "== start-up (ms), median of 21"
bench() { n=$1; shift; ts=(); for ((i=0;i<n;i++)); do s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); ts+=($(( (e-s)/1000000 ))); done; printf '%s\n' "${ts[@]}" | med; }
echo "version R2R $(bench 21 out/cli-r2r/evalsig version)"
echo "gate1k R2R $(bench 21 out/cli-r2r/evalsig gate /tmp/b1k.json /tmp/c1k.json --min-delta 0.01)"
echo "import-module $(for i in $(seq 11); do /root/.dotnet/tools/pwsh -NoProfile -c '(Measure-Command { Import-Module ./out/EvalSig/0.1.0/EvalSig.psd1 }).TotalMilliseconds'; done | med)"
echo "== done $(date -u) $(uptime)"
