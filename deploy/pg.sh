#!/usr/bin/env bash
# deploy/pg.sh: the embedded, private PostgreSQL server of one OkrGrid checkout.
#
#   pg.sh start           create the cluster if needed, start it, make sure database "okrgrid" exists
#   pg.sh createdb NAME   like start, then create database NAME if missing
#   pg.sh url [NAME]      connection string of a running server (database okrgrid or NAME)
#   pg.sh status          "running ..." / "stopped ..." / "not created"; exit 0 / 3 / 4
#   pg.sh stop            fast shutdown (if running)
#   pg.sh destroy         stop and delete the cluster with all its data
#
# start, createdb and url print exactly one line on stdout, an Npgsql connection string such as
#   Host=127.0.0.1;Port=55432;Username=postgres;Database=okrgrid
# Everything else goes to stderr. Calls are serialised with flock, so concurrent callers are safe.
#
# Where things live
#   Data folder:  $OKRGRID_DATA_DIR (default: <repo>/.data, git-ignored); this script uses <data>/pg:
#     <data>/pg/lock      flock(1) lock file
#     <data>/pg/port      the remembered port (picked once, from 55432 up, first free loopback port that no other
#                         cluster of this machine has reserved; see "Ports" below)
#     <data>/pg/cluster   the cluster directory, or a symlink to it (see below), holding:
#         data/             PGDATA (initdb: UTF8, C.UTF-8, data checksums, superuser "postgres")
#         postgresql.log    server log (pg_ctl -l)
#         .s.PGSQL.<port>   the Unix socket (the server also listens on 127.0.0.1 only)
#   The server runs as the "postgres" user when this script runs as root (PostgreSQL refuses to run as
#   root), else as the calling user. The cluster directory is normally <data>/pg/cluster itself. It is
#   placed elsewhere, with <data>/pg/cluster a symlink to it, when that path will not do:
#     - the server user cannot reach it (a checkout under /root, which is mode 0700), or
#     - the path is too long for a Unix socket (about 100 bytes) or has characters other than
#       [A-Za-z0-9._/+-] (it goes into postgresql.conf and into pg_ctl's shell command line).
#   The other place is $OKRGRID_PG_CLUSTER_DIR if set, else /var/lib/okrgrid/pg-<hash> as root or
#   ${XDG_STATE_HOME:-~/.local/state}/okrgrid/pg-<hash> otherwise, where <hash> is taken from the
#   data folder's path, so every checkout gets its own cluster. Not /var/tmp: systemd-tmpfiles may age
#   files out of it (Debian 13 does after 30 days), which would corrupt a database that sits still.
#   If .data is deleted but such a cluster survives, the next start adopts it again (with a warning):
#   this script never deletes data except on "destroy".
#
# Ports: a cluster keeps its port for life, so that hosts connected to it find it again after it stops or
# crashes. Each cluster's port is reserved in ${OKRGRID_PG_PORT_REGISTRY:-/tmp/okrgrid-pg-ports.d}/<port> (a file
# naming the cluster's <data>/pg), and a new cluster never picks a port another existing cluster holds, even while
# that one is down — a free port alone is not enough: another checkout or test would take a crashed server's port,
# and every host still pointed at it would reach the wrong server ("database … does not exist"). "destroy" releases
# the reservation; a reservation whose cluster is gone or has moved to another port is stale and ignored.
#
# Binaries: the newest /usr/lib/postgresql/<v>/bin (v >= 15), else pg_ctl on PATH, else $OKRGRID_PG_BIN.
# An existing cluster always uses the major version it was created with. If none is found and we are
# root, Debian's "postgresql" package is installed with apt-get.
#
# Security: trust authentication, reachable only from this machine (127.0.0.1 and a private socket).
# Any local user can connect as superuser: this is a development/single-machine server.
# Durability: fsync, synchronous_commit and full_page_writes stay on.
set -euo pipefail
umask 022

readonly PROG=pg.sh
log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

usage() {
    cat >&2 <<'EOF'
usage: pg.sh start | createdb NAME | url [NAME] | status | stop | destroy
  start          create (first time) and start the private PostgreSQL, ensure database "okrgrid";
                 prints the Npgsql connection string
  createdb NAME  start, then create database NAME if missing; prints its connection string
  url [NAME]     print the connection string if the server is running (exit 1 if not)
  status         print the state; exit 0 running, 3 stopped, 4 not created
  stop           stop the server if it runs
  destroy        stop the server and delete the cluster and all its data
environment: OKRGRID_DATA_DIR (data folder, default <repo>/.data), OKRGRID_PG_BIN (PostgreSQL bin dir),
             OKRGRID_PG_CLUSTER_DIR (where to put a relocated cluster), OKRGRID_PG_PORT (first port tried)
EOF
}

# Keep the real stdout on fd 3 for the single result line; everything else writes to stderr.
exec 3>&1 1>&2

# libpq/server environment of the caller (PGPORT, PGHOST, PGDATA, ...) must not leak into our commands.
for v in $(compgen -e); do
    if [[ $v == PG* ]]; then unset "$v"; fi
done

readonly DEFAULT_DB=okrgrid
readonly SUPERUSER=postgres
readonly FIRST_PORT=${OKRGRID_PG_PORT:-55432}
readonly MIN_MAJOR=15
readonly LOCK_WAIT_SECONDS=600
readonly PG_WAIT_SECONDS=120

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/.." && pwd -P)
if [[ -n ${OKRGRID_DATA_DIR:-} ]]; then
    DATA_ROOT=$OKRGRID_DATA_DIR
else
    DATA_ROOT=$REPO_ROOT/.data
    if [[ ! -f $REPO_ROOT/OkrGrid.sln ]]; then
        log "note: $REPO_ROOT is not an OkrGrid checkout; keeping data in $DATA_ROOT (set OKRGRID_DATA_DIR to choose)"
    fi
fi
mkdir -p -- "$DATA_ROOT/pg"
DATA_ROOT=$(cd -- "$DATA_ROOT" && pwd -P)
readonly PG_HOME=$DATA_ROOT/pg
readonly POINTER=$PG_HOME/cluster
readonly PORT_FILE=$PG_HOME/port
readonly LOCK_FILE=$PG_HOME/lock
# All paths are absolute from here on; the server user may not be able to enter the caller's directory.
cd /

if [[ $EUID -eq 0 ]]; then
    SERVER_USER=postgres
else
    SERVER_USER=$(id -un)
fi

# Runs a command as the server user.
as_server() {
    if [[ $EUID -ne 0 ]]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        runuser -u "$SERVER_USER" -- "$@"
    elif command -v setpriv >/dev/null 2>&1; then
        setpriv --reuid="$SERVER_USER" --regid="$(id -g "$SERVER_USER")" --init-groups -- "$@"
    else
        su -s /bin/bash "$SERVER_USER" -c "$(printf '%q ' "$@")"
    fi
}

# Writes stdin to a file owned by the server user (atomically).
write_server_file() {
    local path=$1 mode=${2:-600}
    as_server tee -- "$path.tmp" >/dev/null
    as_server chmod "$mode" -- "$path.tmp"
    as_server mv -f -- "$path.tmp" "$path"
}

lock() { # lock -x|-s
    exec 9>>"$LOCK_FILE"
    if ! flock "$1" -w "$LOCK_WAIT_SECONDS" 9; then
        die "timed out after ${LOCK_WAIT_SECONDS}s waiting for $LOCK_FILE"
    fi
}

# ---------------------------------------------------------------- binaries

major_of_bin() { # prints the major version of the postgres binary in dir $1, or nothing
    [[ -x $1/postgres && -x $1/initdb && -x $1/pg_ctl && -x $1/psql && -x $1/pg_isready ]] || return 0
    "$1/postgres" --version 2>/dev/null | sed -nE 's/^.*\(PostgreSQL\) ([0-9]+).*$/\1/p' | head -n1
}

find_pg_bin() { # find_pg_bin [major]; prints a bin dir or nothing
    local want=${1:-} dir major best="" best_major=0
    local candidates=()
    [[ -n ${OKRGRID_PG_BIN:-} ]] && candidates+=("$OKRGRID_PG_BIN")
    for dir in /usr/lib/postgresql/*/bin /usr/pgsql-*/bin /usr/local/pgsql/bin; do
        [[ -d $dir ]] && candidates+=("$dir")
    done
    if command -v pg_ctl >/dev/null 2>&1; then
        candidates+=("$(dirname -- "$(readlink -f -- "$(command -v pg_ctl)")")")
    fi
    for dir in "${candidates[@]}"; do
        major=$(major_of_bin "$dir")
        [[ -n $major ]] || continue
        if [[ -n $want ]]; then
            if [[ $major == "$want" ]]; then echo "$dir"; return 0; fi
        elif (( major >= MIN_MAJOR && major > best_major )); then
            best=$dir best_major=$major
            [[ -n ${OKRGRID_PG_BIN:-} && $dir == "$OKRGRID_PG_BIN" ]] && break
        fi
    done
    [[ -n $best ]] && echo "$best"
    return 0
}

install_postgres() {
    if [[ $EUID -ne 0 ]]; then
        die "PostgreSQL >= $MIN_MAJOR server binaries not found. Install them (e.g. 'sudo apt-get install postgresql') or set OKRGRID_PG_BIN to their directory."
    fi
    command -v apt-get >/dev/null 2>&1 ||
        die "PostgreSQL >= $MIN_MAJOR not found and apt-get is unavailable; install PostgreSQL and set OKRGRID_PG_BIN"
    log "PostgreSQL not found: installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -q -o DPkg::Lock::Timeout=600 update >&2
    apt-get -q -y -o DPkg::Lock::Timeout=600 install --no-install-recommends postgresql >&2
}

PG_BIN=""
ensure_binaries() { # ensure_binaries [major]
    local want=${1:-}
    PG_BIN=$(find_pg_bin "$want")
    if [[ -z $PG_BIN && -z $want ]]; then
        install_postgres
        PG_BIN=$(find_pg_bin)
    fi
    if [[ -z $PG_BIN ]]; then
        if [[ -n $want ]]; then
            die "the cluster was created by PostgreSQL $want, whose binaries are missing (install postgresql-$want or set OKRGRID_PG_BIN)"
        fi
        die "no PostgreSQL >= $MIN_MAJOR found even after installing; set OKRGRID_PG_BIN"
    fi
    if [[ $EUID -eq 0 ]] && ! id -u "$SERVER_USER" >/dev/null 2>&1; then
        die "running as root but there is no '$SERVER_USER' user to run the server as"
    fi
}

# ---------------------------------------------------------------- cluster location

CLUSTER_DIR="" # physical cluster directory once known
PGDATA_DIR=""
LOG_FILE=""

set_cluster_dir() {
    CLUSTER_DIR=$1
    PGDATA_DIR=$CLUSTER_DIR/data
    LOG_FILE=$CLUSTER_DIR/postgresql.log
}

path_hash() { printf '%s' "$PG_HOME" | sha256sum | cut -c1-12; }

relocated_dir() { # where this checkout's cluster goes when it cannot live in the data folder
    if [[ -n ${OKRGRID_PG_CLUSTER_DIR:-} ]]; then
        echo "$OKRGRID_PG_CLUSTER_DIR"
    elif [[ $EUID -eq 0 ]]; then
        echo "/var/lib/okrgrid/pg-$(path_hash)"
    else
        echo "${XDG_STATE_HOME:-$HOME/.local/state}/okrgrid/pg-$(path_hash)"
    fi
}

# Why a cluster directory at path $1 would not do (empty: it is fine).
unsuitable_reason() {
    local dir=$1
    if [[ ! $dir =~ ^[A-Za-z0-9._/+-]+$ ]]; then
        echo "its path has characters outside [A-Za-z0-9._/+-]"
    elif (( ${#dir} > 85 )); then
        echo "its path is too long for a Unix socket"
    elif [[ $EUID -eq 0 ]] && ! as_server test -x "$(dirname -- "$dir")"; then
        echo "user $SERVER_USER cannot reach $(dirname -- "$dir")"
    fi
}

# Sets CLUSTER_DIR from the pointer if a cluster location is known; returns 1 if none is.
locate_cluster() {
    if [[ -L $POINTER ]]; then
        local target
        target=$(readlink -- "$POINTER")
        [[ -d $target ]] || die "$POINTER points to $target, which is gone (its data is lost). Run '$0 destroy' to forget it, then start again."
        set_cluster_dir "$(cd -- "$target" && pwd -P)"
        return 0
    elif [[ -d $POINTER ]]; then
        set_cluster_dir "$POINTER"
        return 0
    fi
    local other
    other=$(relocated_dir)
    if [[ -f $other/data/PG_VERSION && -f $other/okrgrid-owner && $(cat -- "$other/okrgrid-owner") == "$PG_HOME" ]]; then
        log "warning: $POINTER is missing but this checkout's cluster survives in $other: adopting it (run '$0 destroy' to start afresh)"
        ln -sfn -- "$other" "$POINTER"
        set_cluster_dir "$other"
        return 0
    fi
    return 1
}

cluster_exists() { [[ -n $CLUSTER_DIR && -f $PGDATA_DIR/PG_VERSION ]]; }

cluster_major() { cat -- "$PGDATA_DIR/PG_VERSION"; }

choose_locale() {
    if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then echo C.UTF-8; else echo C; fi
}

create_cluster() {
    local dir reason
    if [[ -n $CLUSTER_DIR ]]; then
        dir=$CLUSTER_DIR # a directory from an interrupted creation: finish it
    else
        dir=$POINTER
        reason=$(unsuitable_reason "$dir")
        if [[ -n $reason ]]; then
            dir=$(relocated_dir)
            log "the cluster cannot live in $POINTER ($reason): putting it in $dir"
            if [[ $EUID -eq 0 && $dir == /var/lib/okrgrid/* ]]; then
                mkdir -p /var/lib/okrgrid && chmod 755 /var/lib/okrgrid
            else
                mkdir -p -- "$(dirname -- "$dir")"
            fi
            local why
            why=$(unsuitable_reason "$dir")
            [[ -z $why ]] || die "cannot put the cluster in $dir either ($why); set OKRGRID_PG_CLUSTER_DIR"
        fi
    fi
    [[ ! -e $dir/data ]] || die "$dir/data exists but is not a PostgreSQL cluster; move it away or run '$0 destroy'"
    mkdir -p -- "$dir"
    [[ $EUID -eq 0 ]] && chown "$SERVER_USER:" -- "$dir"
    chmod 700 -- "$dir"
    [[ $dir == "$POINTER" ]] || printf '%s\n' "$PG_HOME" | write_server_file "$dir/okrgrid-owner" 644
    set_cluster_dir "$(cd -- "$dir" && pwd -P)"

    local staging=$CLUSTER_DIR/data.initdb locale
    locale=$(choose_locale)
    rm -rf -- "$staging"
    log "creating a PostgreSQL $(major_of_bin "$PG_BIN") cluster in $PGDATA_DIR (owner $SERVER_USER, locale $locale)"
    as_server "$PG_BIN/initdb" -D "$staging" -U "$SUPERUSER" -E UTF8 --locale="$locale" \
        --auth-local=trust --auth-host=trust --data-checksums --no-instructions >&2 9>&- ||
        die "initdb failed"
    printf "\n# OkrGrid: settings managed by deploy/pg.sh (rewritten on every start)\ninclude_if_exists = 'okrgrid.conf'\n" |
        as_server tee -a -- "$staging/postgresql.conf" >/dev/null
    write_server_file "$staging/pg_hba.conf" 600 <<'EOF'
# OkrGrid private server (deploy/pg.sh): it listens on 127.0.0.1 and on a socket in a 0700 directory
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  trust
host    all       all   127.0.0.1/32   trust
EOF
    as_server mv -- "$staging" "$PGDATA_DIR"
    if [[ $CLUSTER_DIR != "$POINTER" && ! -L $POINTER ]]; then
        ln -sfn -- "$CLUSTER_DIR" "$POINTER.new"
        mv -Tf -- "$POINTER.new" "$POINTER"
    fi
    rm -f -- "$PORT_FILE"
    log "cluster created"
}

# ---------------------------------------------------------------- server state

postmaster_pid() { sed -n 1p -- "$PGDATA_DIR/postmaster.pid" 2>/dev/null | tr -d '[:space:]'; }

# A postmaster.pid left by a crash or a container restart can name a PID that now belongs to another program;
# pg_ctl (and the server) would then take the server for running. On Linux, check what that process is.
stale_pid_file() {
    local pid
    pid=$(postmaster_pid)
    [[ $pid =~ ^[0-9]+$ && -d /proc/1 ]] || return 1
    [[ -e /proc/$pid ]] || return 1
    local comm state
    comm=$(cat -- "/proc/$pid/comm" 2>/dev/null || true)
    state=$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$pid/stat" 2>/dev/null || true)
    [[ $state == Z ]] && return 0 # a killed server nobody has reaped yet
    [[ -n $comm && $comm != postgres && $comm != postmaster ]]
}

is_running() {
    as_server "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1 && ! stale_pid_file
}

remove_stale_pid_file() {
    if stale_pid_file; then
        log "warning: $PGDATA_DIR/postmaster.pid names PID $(postmaster_pid), which is not PostgreSQL: removing the stale file"
        as_server rm -f -- "$PGDATA_DIR/postmaster.pid"
    fi
}

running_port() { # the port of the running server, from postmaster.pid (line 4)
    sed -n 4p -- "$PGDATA_DIR/postmaster.pid" 2>/dev/null | tr -d '[:space:]'
}

port_in_use() {
    local p=$1
    if command -v ss >/dev/null 2>&1 && [[ -n $(ss -ltnH "sport = :$p" 2>/dev/null) ]]; then
        return 0
    fi
    if (exec 4<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        return 0
    fi
    return 1
}

readonly PORT_REGISTRY=${OKRGRID_PG_PORT_REGISTRY:-/tmp/okrgrid-pg-ports.d}

reserved_by_other() { # true if another existing cluster holds port $1 (its <data>/pg/port still says so)
    local file=$PORT_REGISTRY/$1 owner
    [[ -f $file ]] || return 1
    owner=$(cat -- "$file" 2>/dev/null) || return 1
    [[ -n $owner && $owner != "$PG_HOME" ]] || return 1
    [[ -f $owner/port && $(tr -d '[:space:]' <"$owner/port") == "$1" ]]
}

reserve_port() { # called under the machine-wide port lock; drops this cluster's other reservations
    { mkdir -p -- "$PORT_REGISTRY" && chmod 1777 -- "$PORT_REGISTRY"; } 2>/dev/null || return 0
    release_ports "$1"
    printf '%s\n' "$PG_HOME" >"$PORT_REGISTRY/$1.tmp.$$" && mv -f -- "$PORT_REGISTRY/$1.tmp.$$" "$PORT_REGISTRY/$1" || true
}

release_ports() { # removes this cluster's reservations, except of port $1 if given
    local file
    for file in "$PORT_REGISTRY"/*; do
        [[ -f $file && ${file##*/} != "${1:-}" && $(cat -- "$file" 2>/dev/null) == "$PG_HOME" ]] && rm -f -- "$file"
    done
    return 0
}

pick_port() {
    local p=$FIRST_PORT
    while (( p < FIRST_PORT + 2000 && p < 65536 )); do
        if ! port_in_use "$p" && ! reserved_by_other "$p"; then echo "$p"; return 0; fi
        p=$((p + 1))
    done
    die "no free port in $FIRST_PORT..$((p - 1))"
}

write_settings() {
    local port=$1
    write_server_file "$PGDATA_DIR/okrgrid.conf" 600 <<EOF
# Written by deploy/pg.sh on every start; do not edit (put overrides in okrgrid.local.conf).
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$CLUSTER_DIR'
unix_socket_permissions = 0700
max_connections = 200

# Sized for a 2-core / 24 GiB machine shared with the silo.
shared_buffers = 512MB
effective_cache_size = 12GB
work_mem = 16MB
maintenance_work_mem = 256MB
wal_buffers = 16MB
max_wal_size = 4GB
min_wal_size = 512MB
checkpoint_timeout = 15min
checkpoint_completion_target = 0.9
random_page_cost = 1.1
effective_io_concurrency = 100
max_worker_processes = 4
max_parallel_workers = 2
max_parallel_workers_per_gather = 1

# Durability is the point: never turn these off.
fsync = on
synchronous_commit = on
full_page_writes = on

timezone = 'UTC'
log_timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
log_lock_waits = on
log_checkpoints = on

include_if_exists = 'okrgrid.local.conf'
EOF
}

ensure_local_conf() {
    [[ -f $PGDATA_DIR/okrgrid.local.conf ]] ||
        echo "# Local overrides of okrgrid.conf (kept across starts; never written by pg.sh)." |
        write_server_file "$PGDATA_DIR/okrgrid.local.conf" 600
}

rotate_log() {
    if [[ -f $LOG_FILE ]] && (( $(stat -c %s -- "$LOG_FILE") > 64 * 1024 * 1024 )); then
        as_server mv -f -- "$LOG_FILE" "$LOG_FILE.1"
    fi
}

start_server() {
    # Two clusters started at once (parallel tests, two checkouts) would both see the same port free: the pick and
    # the start happen under one machine-wide lock, and a port taken in between by another program is retried.
    local port_lock=${OKRGRID_PG_PORT_LOCK:-/tmp/okrgrid-pg-ports.lock}
    { [[ -e $port_lock ]] || { touch -- "$port_lock" && chmod 666 -- "$port_lock"; }; } 2>/dev/null || true
    if exec 8<"$port_lock" 2>/dev/null; then # read-only is enough for flock, whoever created the file
        flock -x -w "$LOCK_WAIT_SECONDS" 8 || die "timed out after ${LOCK_WAIT_SECONDS}s waiting for $port_lock"
    fi
    local port="" attempt
    [[ -f $PORT_FILE ]] && port=$(tr -d '[:space:]' <"$PORT_FILE")
    if [[ ! $port =~ ^[0-9]+$ ]]; then
        port=$(pick_port)
        log "using port $port"
    elif port_in_use "$port"; then
        local old=$port
        port=$(pick_port)
        log "warning: remembered port $old is taken by another program; moving to port $port"
    fi
    ensure_local_conf
    rotate_log
    for attempt in 1 2 3; do
        printf '%s\n' "$port" >"$PORT_FILE.tmp" && mv -f -- "$PORT_FILE.tmp" "$PORT_FILE"
        reserve_port "$port"
        write_settings "$port"
        log "starting PostgreSQL on 127.0.0.1:$port (log: $LOG_FILE)"
        # fds 3 (our stdout), 8 and 9 (the locks) must not be inherited by the long-lived postmaster.
        if as_server "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$LOG_FILE" -w -t "$PG_WAIT_SECONDS" -s start >&2 3>&- 8>&- 9>&-; then
            exec 8>&-
            return 0
        fi
        if (( attempt < 3 )) && tail -n 30 -- "$LOG_FILE" 2>/dev/null | grep -q 'Address already in use'; then
            port=$(pick_port)
            log "port taken while starting; trying port $port"
            continue
        fi
        break
    done
    exec 8>&-
    log "pg_ctl start failed; the end of $LOG_FILE:"
    tail -n 30 -- "$LOG_FILE" >&2 || true
    die "PostgreSQL did not start"
}

wait_ready() {
    local port=$1 i
    for ((i = 0; i < PG_WAIT_SECONDS * 5; i++)); do
        if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$SUPERUSER" -d postgres -t 5; then
            return 0
        fi
        sleep 0.2
    done
    tail -n 30 -- "$LOG_FILE" >&2 || true
    die "PostgreSQL on port $port is not accepting connections"
}

psql_admin() { # psql_admin PORT [psql args...]; SQL on stdin
    local port=$1
    shift
    "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$SUPERUSER" -d postgres "$@"
}

valid_db_name() { [[ $1 =~ ^[A-Za-z_][A-Za-z0-9_-]{0,62}$ ]]; }

ensure_database() {
    local port=$1 name=$2 exists
    exists=$(psql_admin "$port" -v name="$name" <<<"select 1 from pg_database where datname = :'name';")
    [[ $exists == 1 ]] && return 0
    if psql_admin "$port" -v name="$name" <<<'create database :"name";' 2>"$PG_HOME/createdb.err"; then
        log "created database $name"
    else
        # Someone else (e.g. another cluster user without our lock) may have created it meanwhile.
        exists=$(psql_admin "$port" -v name="$name" <<<"select 1 from pg_database where datname = :'name';")
        if [[ $exists != 1 ]]; then
            cat -- "$PG_HOME/createdb.err" >&2
            die "could not create database $name"
        fi
    fi
    rm -f -- "$PG_HOME/createdb.err"
}

url() { printf 'Host=127.0.0.1;Port=%s;Username=%s;Database=%s\n' "$1" "$SUPERUSER" "$2"; }

# ---------------------------------------------------------------- commands

cmd_start() { # cmd_start DBNAME
    local db=$1 port
    lock -x
    if locate_cluster && cluster_exists; then
        ensure_binaries "$(cluster_major)"
        local owner
        owner=$(stat -c %U -- "$PGDATA_DIR")
        if [[ $owner != "$SERVER_USER" ]]; then
            local hint="as $owner"
            [[ $owner == postgres ]] && hint="as root"
            die "$PGDATA_DIR belongs to $owner, but run this way the server would run as $SERVER_USER: run this script $hint"
        fi
        as_server test -r "$PGDATA_DIR/PG_VERSION" ||
            die "user $SERVER_USER cannot reach $PGDATA_DIR; move the data folder or set OKRGRID_DATA_DIR"
    else
        ensure_binaries
        create_cluster
    fi
    if ! is_running; then
        remove_stale_pid_file
        start_server
    fi
    port=$(running_port)
    [[ $port =~ ^[0-9]+$ ]] || die "cannot read the port from $PGDATA_DIR/postmaster.pid"
    wait_ready "$port"
    ensure_database "$port" "$DEFAULT_DB"
    [[ $db == "$DEFAULT_DB" ]] || ensure_database "$port" "$db"
    url "$port" "$db" >&3
}

# For read-only commands: sets up binaries if a cluster exists; returns 1 if there is none.
inspect() {
    locate_cluster && cluster_exists || return 1
    PG_BIN=$(find_pg_bin "$(cluster_major)")
    [[ -n $PG_BIN ]] || die "PostgreSQL $(cluster_major) binaries not found"
}

cmd_url() {
    local db=$1 port
    lock -s
    inspect || die "no cluster yet: run '$0 start'"
    is_running || die "PostgreSQL is not running: run '$0 start'"
    port=$(running_port)
    url "$port" "$db" >&3
}

cmd_status() {
    lock -s
    if ! inspect; then
        echo "not created ($PG_HOME)" >&3
        exit 4
    fi
    if is_running; then
        echo "running: port $(running_port), pid $(postmaster_pid), PostgreSQL $(cluster_major), cluster $CLUSTER_DIR" >&3
    else
        echo "stopped: PostgreSQL $(cluster_major), cluster $CLUSTER_DIR" >&3
        exit 3
    fi
}

stop_server() {
    log "stopping PostgreSQL (cluster $CLUSTER_DIR)"
    if ! as_server "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t "$PG_WAIT_SECONDS" -s stop >&2; then
        log "fast shutdown failed; trying immediate shutdown"
        as_server "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w -t 60 -s stop >&2
    fi
}

cmd_stop() {
    lock -x
    if ! inspect; then
        log "no cluster: nothing to stop"
        return 0
    fi
    if is_running; then
        stop_server
        log "stopped"
    else
        log "not running"
    fi
}

cmd_destroy() {
    lock -x
    if inspect; then
        is_running && stop_server
    elif [[ -n $CLUSTER_DIR ]]; then
        PG_BIN=$(find_pg_bin)
    fi
    local target=""
    if [[ -L $POINTER ]]; then
        target=$(readlink -- "$POINTER")
    elif [[ -d $POINTER ]]; then
        target=$POINTER
    fi
    # A relocated cluster of this checkout that lost its pointer is deleted too.
    local other
    other=$(relocated_dir)
    if [[ -z $target && -f $other/okrgrid-owner && $(cat -- "$other/okrgrid-owner") == "$PG_HOME" ]]; then
        target=$other
    fi
    if [[ -n $target && -d $target ]]; then
        if [[ $target != "$POINTER" && ! ( -f $target/okrgrid-owner && $(cat -- "$target/okrgrid-owner") == "$PG_HOME" ) ]]; then
            die "refusing to delete $target: it has no okrgrid-owner file naming $PG_HOME"
        fi
        if [[ -f $target/data/postmaster.pid ]] && [[ -n $PG_BIN ]] && as_server "$PG_BIN/pg_ctl" -D "$target/data" status >/dev/null 2>&1; then
            die "the server of $target is still running; refusing to delete it"
        fi
        log "deleting $target"
        rm -rf -- "$target"
    fi
    release_ports
    rm -f -- "$POINTER" "$PORT_FILE" "$PG_HOME/createdb.err"
    log "destroyed"
}

main() {
    local cmd=${1:-}
    case $cmd in
        start)
            [[ $# -eq 1 ]] || { usage; exit 2; }
            cmd_start "$DEFAULT_DB" ;;
        createdb)
            [[ $# -eq 2 ]] || { usage; exit 2; }
            valid_db_name "$2" || die "invalid database name '$2' (letters, digits, _ and -, at most 63, not starting with a digit or -)"
            cmd_start "$2" ;;
        url)
            [[ $# -le 2 ]] || { usage; exit 2; }
            local db=${2:-$DEFAULT_DB}
            valid_db_name "$db" || die "invalid database name '$db'"
            cmd_url "$db" ;;
        status)
            [[ $# -eq 1 ]] || { usage; exit 2; }
            cmd_status ;;
        stop)
            [[ $# -eq 1 ]] || { usage; exit 2; }
            cmd_stop ;;
        destroy)
            [[ $# -eq 1 ]] || { usage; exit 2; }
            cmd_destroy ;;
        -h | --help | help)
            usage ;;
        *)
            usage
            exit 2 ;;
    esac
}

main "$@"
