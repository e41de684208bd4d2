#!/usr/bin/env bash
# Single-node SLURM on localhost (Debian 12, run as root) for testing the real
# snakemake-executor-plugin-slurm offline.  Tested 2026-11 with slurm-wlm 22.05.8.
#   start:  bash scripts/local_slurm.sh start      stop:  bash scripts/local_slurm.sh stop
# (.ci/run starts it for tests/test_slurm.py)
set -euo pipefail
case "${1:-start}" in
start)
  command -v slurmctld >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge; }
  host=$(hostname -s); cpus=$(nproc)
  mem=$(( $(awk '/MemTotal/{print int($2/1024)}' /proc/meminfo) * 8 / 10 ))
  mkdir -p /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
  chown slurm:slurm /var/spool/slurmctld /var/log/slurm; chown munge:munge /run/munge
  cat > /etc/slurm/slurm.conf <<CONF
ClusterName=localcluster
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=300
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${mem} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
  /usr/sbin/munged --force
  /usr/sbin/slurmctld -i
  sleep 2
  /usr/sbin/slurmd
  sleep 3
  sinfo
  ;;
stop)
  for f in /run/slurmd.pid /run/slurmctld.pid /run/munge/munged.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  ;;
esac
