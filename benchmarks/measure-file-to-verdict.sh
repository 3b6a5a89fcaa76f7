#!/bin/bash
# Issue 16 whole-process figures (docs/performance.md): the 1M-item gate in four formats against the streaming
# tokenize floor, in interleaved rounds (this VM's speed drifts by +-25% over minutes, so every gate run sits
# beside floor runs taken seconds apart, and each round's ratio is reported); the fixed cost per format; the
# 10M-item JSON gate; start-up. Run on an idle machine; prints its figures.
# Needs first (see benchmarks/README.md): dotnet build EvalSig.sln -c Release; the benchmarks built;
#   write-runs /tmp/evalsig-runs 1000000, /tmp/evalsig-runs-1k 1000, /tmp/evalsig-runs-10m 10000000 json;
#   /tmp/b1k.json and /tmp/c1k.json; the ReadyToRun CLI in out/cli-r2r:
#   dotnet publish src/EvalSig.Cli -c Release -r linux-x64 --self-contained false -p:EvalSigCliFramework=net10.0 -o out/cli-r2r
# ROUNDS (default 7) sets the rounds per format.
cd "$(dirname "$0")/.."
B=benchmarks/EvalSig.Benchmarks/bin/Release/net10.0/EvalSig.Benchmarks.dll
CLI=out/cli-r2r/evalsig
ROUNDS=${ROUNDS:-7}
med() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], "(" a[1] "-" a[NR] ")"}'; }
wall() { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1; }
echo "== $(date -u) $(uptime)"
echo "== 1M items per file: gate (ReadyToRun CLI) and the streaming tokenize floor on two threads, $ROUNDS interleaved rounds"
echo "   floors: 'same' = the runtime settings the CLI ships (TieredPGO off, tiering delay 20 ms); 'strict' = delay 0;"
echo "   'default' = the floor program as built (runtime defaults). CSV and Parquet are set beside the floor of the same items in JSON."
J=/tmp/evalsig-runs/json
for f in json jsonl csv parquet; do
  b=$(ls /tmp/evalsig-runs/$f/base*); c=$(ls /tmp/evalsig-runs/$f/cand*)
  fb=$b; fc=$c
  case $f in csv|parquet) fb=$J/base-src.json; fc=$J/cand-src.json;; esac
  : > /tmp/m.$f
  for i in $(seq $ROUNDS); do
    g=$(wall $CLI gate "$b" "$c" --method paired_t --min-delta 0.005)
    s=$(DOTNET_TieredPGO=0 DOTNET_TC_CallCountingDelayMs=20 wall dotnet $B tokenize "$fb" "$fc" --stream --parallel)
    t=$(DOTNET_TieredPGO=0 DOTNET_TC_CallCountingDelayMs=0 wall dotnet $B tokenize "$fb" "$fc" --stream --parallel)
    d=$(wall dotnet $B tokenize "$fb" "$fc" --stream --parallel)
    echo "$g $s $t $d" >> /tmp/m.$f
  done
  echo "$f gate $(cut -d' ' -f1 /tmp/m.$f | med) s, RSS $(cut -d' ' -f2 /tmp/m.$f | med) KB;" \
       "floor same $(cut -d' ' -f3 /tmp/m.$f | med), strict $(cut -d' ' -f5 /tmp/m.$f | med), default $(cut -d' ' -f7 /tmp/m.$f | med);" \
       "ratio per round: same $(awk '{printf "%.2f\n", $1/$3}' /tmp/m.$f | med), strict $(awk '{printf "%.2f\n", $1/$5}' /tmp/m.$f | med), default $(awk '{printf "%.2f\n", $1/$7}' /tmp/m.$f | med)"
done
echo "== fixed cost: gate on two 1,000-item files per format (wall s, RSS KB), 5 runs"
for f in json jsonl csv parquet; do
  b=$(ls /tmp/evalsig-runs-1k/$f/base*); c=$(ls /tmp/evalsig-runs-1k/$f/cand*)
  for i in 1 2 3 4 5; do wall $CLI gate "$b" "$c" --method paired_t --min-delta 0.005; done > /tmp/k.$f
  echo "1k $f wall $(cut -d' ' -f1 /tmp/k.$f | med) rssKB $(cut -d' ' -f2 /tmp/k.$f | med)"
done
echo "== gate 10M JSON, 3 runs (wall s, RSS KB)"
for i in 1 2 3; do wall $CLI gate /tmp/evalsig-runs-10m/json/base-src.json /tmp/evalsig-runs-10m/json/cand-src.json --method paired_t --min-delta 0.005; done
echo "== start-up (ms), median of 21"
bench() { n=$1; shift; ts=(); for ((i=0;i<n;i++)); do s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); ts+=($(( (e-s)/1000000 ))); done; printf '%s\n' "${ts[@]}" | med; }
echo "version R2R $(bench 21 $CLI version)"
echo "gate1k R2R $(bench 21 $CLI gate /tmp/b1k.json /tmp/c1k.json --min-delta 0.01)"
echo "import-module $(for i in $(seq 11); do /root/.dotnet/tools/pwsh -NoProfile -c '(Measure-Command { Import-Module ./out/EvalSig/0.1.0/EvalSig.psd1 }).TotalMilliseconds'; done | med)"
echo "== done $(date -u) $(uptime)"
