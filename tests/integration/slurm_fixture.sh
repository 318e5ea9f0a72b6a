# A real single-node Slurm for tests: munged (Debian's key in /etc/munge), slurmctld and slurmd with a
# temporary slurm.conf on free loopback ports. `start_slurm DIR` exports SLURM_CONF; `stop_slurm` ends
# what it started. Needs root (as CI runs), slurm-wlm and munge.
start_slurm() {
    SLURM_DIR=$1
    mkdir -p "$SLURM_DIR/state" "$SLURM_DIR/spool"
    STARTED_MUNGE=""
    # A working munge is one that encodes and decodes a credential, not merely a process.
    if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        mkdir -p /run/munge && chown munge:munge /run/munge && chmod 755 /run/munge
        runuser -u munge -- /usr/sbin/munged --force || return 1
        STARTED_MUNGE=1
        for _ in $(seq 1 20); do
            munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
            sleep 0.25
        done
    fi
    local ports host
    ports=$(/usr/bin/python3 -c "
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(('127.0.0.1', 0))
print(*[x.getsockname()[1] for x in s])")
    read -r P1 P2 <<<"$ports"
    host=$(hostname -s)
    cat >"$SLURM_DIR/slurm.conf" <<CONF
ClusterName=nmsimtest
SlurmctldHost=$host
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmUser=root
SlurmdUser=root
MpiDefault=none
SlurmctldPort=$P1
SlurmdPort=$P2
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/slurmctld.log
SlurmdLogFile=$SLURM_DIR/slurmd.log
NodeName=$host CPUs=$(nproc) RealMemory=4096 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF="$SLURM_DIR/slurm.conf"
    slurmctld -f "$SLURM_CONF" || return 1
    slurmd -f "$SLURM_CONF" || return 1
    for _ in $(seq 1 60); do
        sinfo -h -o %T 2>/dev/null | grep -q idle && return 0
        sleep 0.5
    done
    echo "slurm did not come up:"; tail -5 "$SLURM_DIR"/*.log
    return 1
}

stop_slurm() {
    [ -n "${SLURM_DIR:-}" ] || return 0
    scancel --user=root 2>/dev/null
    for pidfile in "$SLURM_DIR/slurmd.pid" "$SLURM_DIR/slurmctld.pid"; do
        [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
    done
    pkill -f -- "-f $SLURM_DIR/slurm.conf" 2>/dev/null # daemons that never wrote a pid file
    [ -n "$STARTED_MUNGE" ] && pkill -x munged
    sleep 1
}
