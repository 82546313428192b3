#!/usr/bin/env bash
# tests/roundcube/env.sh -- a real, throw-away mail system for Siegel's tests.
#
# WHAT IT DOES
#   Runs Dovecot (IMAP + LMTP + SASL auth), Postfix (SMTP in, LMTP delivery to
#   Dovecot), OpenLDAP's slapd (the organisation's directory, Roundcube's LDAP
#   address book) and Roundcube 1.6 (served by PHP's built-in web server) as
#   plain processes on 127.0.0.1.  No systemd, no init scripts, nothing in /etc is
#   changed: every config file, queue, log, database, maildir, socket and temp
#   file of an instance lives under one directory DIR (exception: very deep
#   DIRs, see "Socket paths" below), and every process it starts is recorded
#   by PID under DIR/run/ and stopped by that PID.  Several instances
#   (different DIRs and ports) can run side by side.  Needs root (Dovecot and
#   Postfix drop privileges themselves).
#
# COMMANDS
#   env.sh install      apt-get install (DEBIAN_FRONTEND=noninteractive,
#                       --no-install-recommends) roundcube-core roundcube-sqlite3
#                       roundcube-plugins php-cli php-sqlite3 php-ldap
#                       dovecot-imapd dovecot-lmtpd postfix slapd ldap-utils
#                       -- a quick no-op when installed --
#                       and create the system user "siegelmail" that owns the
#                       mail.  If /usr/sbin/policy-rc.d does not exist, a
#                       temporary one (exit 101) keeps packages from starting
#                       services and is removed afterwards.
#   env.sh start DIR    configure everything under DIR (created if missing) and
#                       start Dovecot, Postfix, slapd and Roundcube; waits until every
#                       port answers and Roundcube serves its login page; writes
#                       DIR/env (shell-sourceable KEY=VALUE) and DIR/env.json.
#                       A running instance in DIR is stopped first; mail and the
#                       Roundcube database of an existing DIR are kept.
#   env.sh installed    exit 0 iff install has nothing left to do (no root needed).
#   env.sh stop DIR     stop everything recorded under DIR: SIGTERM, up to 5 s,
#                       then SIGKILL of what is left of each process group
#                       (php -S: the whole group gets SIGTERM, as its forked
#                       workers survive a SIGTERM to the parent).  Idempotent,
#                       never fails.
#   env.sh status DIR   print which servers run; exit status 0 iff all do.
#
# DIRECTORY
#   slapd serves dc=example,dc=com (from SIEGEL_RC_DOMAIN) with one entry per
#   user under ou=people (inetOrgPerson + pkiUser: uid, cn, sn, mail) holding
#   the user's certificates: userCertificate;binary = NAME-old.crt (if it
#   exists) and NAME.crt, or, for SIEGEL_RC_LDAP_PKCS7_ONLY users,
#   userSMIMECertificate = a PKCS#7 of NAME.crt.  Anonymous read access; no
#   userPKCS12 anywhere.  Roundcube has it as the LDAP address book
#   "directory" (ldap_public), which Siegel's plugin searches for certificates.
#
# USERS / MAIL
#   Users alice@, bob@, carol@example.com, password "secret".  Mail is stored
#   as Maildir++ in DIR/mail/<address>/ (INBOX: new/ cur/ tmp/; other folders
#   .Sent/ .Drafts/ .Trash/ .Junk/ ...) with CRLF line endings (Dovecot
#   mail_save_crlf = yes), owned by the system user siegelmail.  New mail is in
#   new/ until an IMAP client opens the INBOX, then in cur/.  Sent, Drafts,
#   Trash and Junk exist (special-use, created on first access).
#   Postfix accepts mail for the users from any client on 127.0.0.1 without
#   authentication (like an MX), refuses unknown recipients at RCPT TO (550)
#   and refuses relaying to other domains for everyone, authenticated or not
#   (554; there is no outside world in tests).  It offers SMTP AUTH PLAIN/LOGIN
#   (Dovecot SASL) without TLS; Roundcube sends as the signed-in user with it
#   (smtp_user %u, smtp_pass %p).  Failed logins (IMAP, SMTP AUTH, Roundcube)
#   are answered without Dovecot's failure delay and per-IP penalty.
#
# ENVIRONMENT (defaults in brackets; a port of 0 means "pick a free port")
#   SIEGEL_RC_HTTP_PORT     Roundcube HTTP port                  [8143]
#   SIEGEL_RC_IMAP_PORT     Dovecot IMAP port                    [10143]
#   SIEGEL_RC_SMTP_PORT     Postfix smtpd port                   [10025]
#   SIEGEL_RC_LMTP_PORT     Dovecot LMTP port                    [10024]
#   SIEGEL_RC_AUTH_PORT     Dovecot SASL auth port (for Postfix) [10026]
#   SIEGEL_RC_LDAP_PORT     slapd port                           [10389]
#   SIEGEL_RC_LDAP_CERTS    folder of the users' certificates for the directory:
#                           NAME.crt (current) and NAME-old.crt (an older one),
#                           NAME the local part [<repo>/crate/tests/data/pki]
#   SIEGEL_RC_LDAP_PKCS7_ONLY  comma list of local parts whose entry holds
#                           their certificate only as userSMIMECertificate
#                           (a PKCS#7 certs-only, as Active Directory
#                           publishes it)                        [carol]
#   SIEGEL_RC_USERS         comma list of users; a bare name gets
#                           @$SIEGEL_RC_DOMAIN          [alice,bob,carol]
#   SIEGEL_RC_DOMAIN        default mail domain                  [example.com]
#   SIEGEL_RC_PASSWORD      password of every user               [secret]
#   SIEGEL_RC_PLUGINS       comma list of Roundcube plugins (empty: none);
#                           missing ones are left out with a warning [siegel]
#   SIEGEL_RC_SESSION_MINUTES  Roundcube session_lifetime        [10]
#   SIEGEL_RC_PHP_WORKERS   PHP_CLI_SERVER_WORKERS of php -S     [4]
#   SIEGEL_RC_EXTRA_CONFIG  PHP file included at the end of Roundcube's
#                           config.inc.php (may change $config)  [none]
#                           (for options a test changes while Roundcube
#                           runs, see SIEGEL_LOCAL_CONFIG below)
#   SIEGEL_RC_MAIL_USER     system user owning the maildirs      [siegelmail]
#   SIEGEL_RC_TIMEOUT       seconds to wait for each server      [30]
#
# SIEGEL'S OPTIONS AT RUN TIME
#   Roundcube's config.inc.php ends by including DIR/siegel-local.inc.php if
#   it exists; PHP reads the configuration on every request, so a test can
#   change the plugin's options (or any other) while Roundcube runs, e.g.
#     echo '<?php $config["siegel_require_encrypted"] = true;' >"$SIEGEL_LOCAL_CONFIG"
#   and remove (or empty) the file afterwards.  env/env.json give its path as
#   SIEGEL_LOCAL_CONFIG.  start empties it (a leftover of an earlier run in
#   the same DIR must not change this one); it is root's, mode 644, readable
#   by the PHP server (php -S runs as root, like this script).
#
# FILES UNDER DIR
#   env, env.json                   facts: RC_URL, ports, users, paths, PIDs
#   siegel-local.inc.php            options a test sets at run time (above)
#   run/{dovecot,postfix,php}.pid   PIDs of the started process-group leaders
#   mail/<address>/                 Maildir++ of each user
#   ldap/slapd.conf, ldap/db/       slapd config (slapd -f ...) and database
#   ldap/people.ldif, slapd.log     the entries loaded with slapadd; its log
#   dovecot/dovecot.conf, passwd    Dovecot config (dovecot -c ...) and passdb
#   dovecot/dovecot.log             Dovecot log (all levels)
#   dovecot/run/, dovecot/state/    Dovecot base_dir (sockets, master.pid), state
#   postfix/main.cf, master.cf, vmailbox   Postfix config (postfix -c DIR/postfix)
#   postfix/maillog                 Postfix log (via postlogd)
#   postfix-queue/, postfix-data/   Postfix queue_directory (pid/master.pid) and
#                                   data_directory -- outside the config dir,
#                                   which Postfix checks is root-owned throughout
#   roundcube/config/               config.inc.php (+ links to Debian's
#                                   defaults.inc.php and mimetypes.php)
#   roundcube/www/                  document root = INSTALL_PATH: index.php and
#                                   symlinks program/ skins/ SQL/ plugins/
#   roundcube/plugins/              symlinks to Debian's plugins, and
#                                   siegel -> <repo>/www/roundcube/siegel (if
#                                   that directory exists)
#   roundcube/router.php            router for php -S (serves only "/",
#                                   "/index.php" and static files below skins/,
#                                   plugins/, program/js/, program/resources/)
#   roundcube/db/roundcube.db       Roundcube's sqlite database
#   roundcube/logs/                 errors.log, sendmail.log (smtp_log),
#                                   php-server.log (php -S), php-errors.log
#   roundcube/temp/, tmp/           Roundcube temp_dir; PHP's temp/upload dir
#
# Socket paths: a Unix socket path has at most 107 bytes.  If DIR is longer
# than 60 bytes, Postfix's queue_directory is reached through a symlink
# /tmp/siegel-XXXXXXXX -> DIR, and Dovecot's base_dir (it resolves symlinks)
# is the directory /tmp/siegel-XXXXXXXX-dovecot (linked as DIR/dovecot/run);
# stop removes both.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
SIEGEL_PLUGIN_SRC="$REPO_ROOT/www/roundcube/siegel"

RC_SHARE=/usr/share/roundcube       # Debian's Roundcube code
RC_ETC=/etc/roundcube               # Debian's defaults.inc.php, mimetypes.php

PACKAGES=(roundcube-core roundcube-sqlite3 roundcube-plugins php-cli php-sqlite3
          php-ldap dovecot-imapd dovecot-lmtpd postfix slapd ldap-utils)

HTTP_PORT=${SIEGEL_RC_HTTP_PORT:-8143}
IMAP_PORT=${SIEGEL_RC_IMAP_PORT:-10143}
SMTP_PORT=${SIEGEL_RC_SMTP_PORT:-10025}
LMTP_PORT=${SIEGEL_RC_LMTP_PORT:-10024}
AUTH_PORT=${SIEGEL_RC_AUTH_PORT:-10026}
LDAP_PORT=${SIEGEL_RC_LDAP_PORT:-10389}
LDAP_CERTS=${SIEGEL_RC_LDAP_CERTS:-$REPO_ROOT/crate/tests/data/pki}
LDAP_PKCS7_ONLY=${SIEGEL_RC_LDAP_PKCS7_ONLY-carol}
MAIL_DOMAIN=${SIEGEL_RC_DOMAIN:-example.com}
USERS_SPEC=${SIEGEL_RC_USERS:-alice,bob,carol}
PASSWORD=${SIEGEL_RC_PASSWORD:-secret}
PLUGINS_SPEC=${SIEGEL_RC_PLUGINS-siegel}
SESSION_MINUTES=${SIEGEL_RC_SESSION_MINUTES:-10}
PHP_WORKERS=${SIEGEL_RC_PHP_WORKERS:-4}
EXTRA_CONFIG=${SIEGEL_RC_EXTRA_CONFIG:-}
MAIL_USER=${SIEGEL_RC_MAIL_USER:-siegelmail}
TIMEOUT=${SIEGEL_RC_TIMEOUT:-30}

# ---------------------------------------------------------------- helpers --

die()  { echo "env.sh: error: $*" >&2; exit 1; }
warn() { echo "env.sh: warning: $*" >&2; }

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

need_root() { [ "$(id -u)" -eq 0 ] || die "'$1' must be run as root"; }

# Quote a string as a PHP single-quoted literal.
php_str() { local s=${1//\\/\\\\}; s=${s//\'/\\\'}; printf "'%s'" "$s"; }

# Quote a string as a JSON string.
json_str() {
    local s=${1//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\t'/\\t}; s=${s//$'\n'/\\n}
    printf '"%s"' "$s"
}

# Succeeds if something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_port NAME PORT PIDFILE LOG: wait until PORT answers; fail (with the
# log's tail) if it does not within $TIMEOUT s or the process dies meanwhile.
wait_port() {
    local name=$1 port=$2 pidfile=$3 log=$4 i
    for ((i = 0; i < TIMEOUT * 20; i++)); do
        port_open "$port" && return 0
        if [ -s "$pidfile" ] && ! alive "$(read_pid "$pidfile")"; then
            break
        fi
        sleep 0.05
    done
    echo "env.sh: $name did not come up on 127.0.0.1:$port; last lines of $log:" >&2
    tail -n 30 "$log" >&2 2>/dev/null || true
    return 1
}

# wait_file FILE: wait until FILE exists and is non-empty.
wait_file() {
    local i
    for ((i = 0; i < TIMEOUT * 20; i++)); do
        [ -s "$1" ] && return 0
        sleep 0.05
    done
    return 1
}

read_pid() { awk 'NR == 1 { print $1 }' "$1" 2>/dev/null || true; }

# alive PID: the process exists and is not a zombie (a dead child that its
# parent, often init, has not reaped yet still answers kill -0).
alive() {
    local st
    [[ ${1:-} =~ ^[0-9]+$ ]] || return 1
    st=$(sed -n 's/^.*) \([A-Za-z]\).*$/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# ours PID MARK...: PID is alive and one of the MARKs occurs in its command
# line or environment -- i.e. it belongs to this instance.  Guards against
# PID files whose process is gone and whose PID was reused.
ours() {
    local pid=$1; shift
    alive "$pid" || return 1
    local args=() m
    for m in "$@"; do args+=(-e "$m"); done
    { tr '\0' '\n' <"/proc/$pid/cmdline"; tr '\0' '\n' <"/proc/$pid/environ"; } 2>/dev/null |
        grep -F "${args[@]}" >/dev/null  # (not -q: SIGPIPE + pipefail)
}

# stop_service NAME HOW "PIDFILE..." MARK...: stop a server started by this
# script.  The PIDs in the PID files (ours first, then the daemon's own) are
# the process-group leaders; HOW is "leader" (TERM the leader, which stops its
# children) or "group" (TERM the whole group, e.g. php -S and its workers).
# Waits up to 5 s, then KILLs whatever of those groups is left, checking every
# process against the MARKs.  Never fails.
stop_service() {
    local name=$1 how=$2 pidfiles=$3; shift 3
    local f pid leaders=() groups=() i left p g
    for f in $pidfiles; do
        pid=$(read_pid "$f")
        [[ $pid =~ ^[0-9]+$ ]] || continue
        groups+=("$pid")
        ours "$pid" "$@" && leaders+=("$pid")
    done
    for pid in $(printf '%s\n' "${leaders[@]}" | sort -u); do
        if [ "$how" = group ] && [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ]; then
            kill -TERM -- "-$pid" 2>/dev/null || true
        else
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    for ((i = 0; i < 50; i++)); do
        left=
        for pid in "${leaders[@]}"; do alive "$pid" && left=1; done
        [ -n "$left" ] || break
        sleep 0.1
    done
    [ -z "$left" ] || warn "$name ignored SIGTERM for 5 s; killing it"
    # KILL leaders still alive and leftover members of their process groups
    # (Dovecot's anvil/log/auth/stats outlive the master by half a minute).
    # While any member is alive, the kernel does not reuse the group's ID.
    for g in $(printf '%s\n' "${groups[@]}" | sort -u); do
        ps -eo pid=,pgid= | while read -r p pgid; do
            [ "$pgid" = "$g" ] && ours "$p" "$@" && kill -KILL "$p" 2>/dev/null
            true
        done
    done
    for f in $pidfiles; do
        case $f in "$RUN"/*) alive "$(read_pid "$f")" || rm -f "$f" ;; esac
    done
}

# Resolve ports of 0 to free ports (all chosen at once, so they differ).
pick_free_ports() {
    local n=0 v free
    for v in HTTP_PORT IMAP_PORT SMTP_PORT LMTP_PORT AUTH_PORT LDAP_PORT; do
        [ "${!v}" = 0 ] && n=$((n + 1))
    done
    [ "$n" -gt 0 ] || return 0
    # shellcheck disable=SC2016  # PHP code, not shell
    read -r -a free < <(php -r '
        $s = []; $n = (int)$argv[1];
        for ($i = 0; $i < $n; $i++) {
            $s[] = $x = stream_socket_server("tcp://127.0.0.1:0");
            echo substr(strrchr(stream_socket_get_name($x, false), ":"), 1), " ";
        }
        echo "\n";' "$n")
    [ ${#free[@]} -eq "$n" ] || die "could not pick free ports"
    for v in HTTP_PORT IMAP_PORT SMTP_PORT LMTP_PORT AUTH_PORT LDAP_PORT; do
        if [ "${!v}" = 0 ]; then
            printf -v "$v" '%s' "${free[0]}"
            free=("${free[@]:1}")
        fi
    done
}

# ----------------------------------------------------------------- install --

# System user that owns the maildirs (Dovecot refuses to deliver as root).
ensure_mail_user() {
    getent passwd "$MAIL_USER" >/dev/null && return 0
    need_root "creating user $MAIL_USER"
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin --comment "Siegel test mail" "$MAIL_USER"
}

# The packages of PACKAGES that are not installed, one per line.
missing_packages() {
    local p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -x installed >/dev/null ||
            echo "$p"
    done
}

# Exit 0 iff everything install would do is done (quick; needs no root).
cmd_installed() {
    [ -z "$(missing_packages)" ] && getent passwd "$MAIL_USER" >/dev/null
}

cmd_install() {
    local missing=() created_policy=
    mapfile -t missing < <(missing_packages)
    if [ ${#missing[@]} -gt 0 ]; then
        need_root install
        if [ ! -e /usr/sbin/policy-rc.d ]; then
            printf '#!/bin/sh\n# temporary, written by Siegel tests/roundcube/env.sh\nexit 101\n' \
                >/usr/sbin/policy-rc.d
            chmod 755 /usr/sbin/policy-rc.d
            created_policy=1
            trap 'rm -f /usr/sbin/policy-rc.d' EXIT
        fi
        # No system-wide Postfix / Roundcube database configuration is wanted.
        debconf-set-selections <<'EOF'
postfix postfix/main_mailer_type select No configuration
roundcube-core roundcube/dbconfig-install boolean false
slapd slapd/no_configuration boolean true
EOF
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
            "${missing[@]}"
        if [ -n "$created_policy" ]; then
            rm -f /usr/sbin/policy-rc.d
            trap - EXIT
        fi
    fi
    ensure_mail_user
}

# ------------------------------------------------------------ common setup --

# setup_paths DIR: set all path variables of an instance.
setup_paths() {
    DIR=$1
    RUN="$DIR/run"
    MAILDIR_ROOT="$DIR/mail"
    DC="$DIR/dovecot"
    PF="$DIR/postfix"
    PF_DATA="$DIR/postfix-data"
    RC="$DIR/roundcube"
    LD="$DIR/ldap"
    LOCAL_CONFIG="$DIR/siegel-local.inc.php"
    TAG="siegel-$(printf '%s' "$DIR" | cksum | awk '{ printf "%08x", $1 }')"
    # Unix socket paths are limited to 107 bytes, and Dovecot (base_dir + up
    # to 25) and Postfix (queue_directory/public/postlog) use absolute ones.
    # For a deep DIR: Postfix reaches DIR through a short symlink
    # /tmp/siegel-XXXXXXXX (its files stay under DIR); Dovecot resolves
    # symlinks, so its base_dir (sockets, master.pid) becomes the real
    # directory /tmp/siegel-XXXXXXXX-dovecot, linked from DIR/dovecot/run.
    SOCK_ROOT=$DIR
    DC_BASE="$DIR/dovecot/run"
    if [ ${#DIR} -gt 60 ]; then
        SOCK_ROOT="/tmp/$TAG"
        DC_BASE="/tmp/$TAG-dovecot"
    fi
    PF_QUEUE="$SOCK_ROOT/postfix-queue"
}

parse_users() {
    local u
    USERS=()
    IFS=',' read -r -a _users <<<"$USERS_SPEC"
    for u in "${_users[@]}"; do
        u=${u// /}
        [ -n "$u" ] || continue
        [[ $u == *@* ]] || u="$u@$MAIL_DOMAIN"
        USERS+=("${u,,}")
    done
    [ ${#USERS[@]} -gt 0 ] || die "SIEGEL_RC_USERS is empty"
    DOMAINS=$(printf '%s\n' "$MAIL_DOMAIN" "${USERS[@]#*@}" | sort -u | paste -sd' ')
}

prepare_dirs() {
    mkdir -p "$DIR" "$RUN" "$MAILDIR_ROOT" "$DC" "$PF" "$RC" "$DIR/tmp"
    if [ "$SOCK_ROOT" != "$DIR" ]; then
        [ ! -e "$SOCK_ROOT" ] || [ -L "$SOCK_ROOT" ] || die "$SOCK_ROOT exists and is no symlink"
        ln -sfn "$DIR" "$SOCK_ROOT"
        mkdir -p "$DC_BASE"
        if [ ! -e "$DC/run" ] || [ -L "$DC/run" ]; then ln -sfn "$DC_BASE" "$DC/run"; fi
    fi
    # Dovecot's and Postfix's unprivileged processes must traverse DIR
    # (mkdtemp dirs are 0700).
    chmod 755 "$DIR" "$RUN" "$DC" "$PF" "$RC"
    chmod 1777 "$DIR/tmp"
    local u mail_uid
    mail_uid=$(id -u "$MAIL_USER")
    for u in "${USERS[@]}"; do
        # Pre-create each INBOX so that new/ exists before the first delivery;
        # Dovecot copies this 0755 mode (minus x bits) to new files.
        mkdir -p "$MAILDIR_ROOT/$u"/{cur,new,tmp}
    done
    chown -R "$mail_uid:$(id -g "$MAIL_USER")" "$MAILDIR_ROOT"
    chmod -R u+rwX,go+rX "$MAILDIR_ROOT"
}

# ----------------------------------------------------------------- dovecot --

dovecot_configure() {
    local uid gid u
    uid=$(id -u "$MAIL_USER"); gid=$(id -g "$MAIL_USER")
    mkdir -p "$DC/state" "$DC_BASE"
    chmod 755 "$DC_BASE"
    : >"$DC/passwd.new"
    for u in "${USERS[@]}"; do
        printf '%s:{PLAIN}%s\n' "$u" "$PASSWORD" >>"$DC/passwd.new"
    done
    mv "$DC/passwd.new" "$DC/passwd"
    chmod 644 "$DC/passwd"   # read by the auth process (user dovecot)

    # Note: Dovecot does not accept a setting on the same line as "{".
    cat >"$DC/dovecot.conf" <<EOF
# Generated by tests/roundcube/env.sh -- Dovecot for a Siegel test instance.
instance_name = $TAG
protocols = imap lmtp
listen = 127.0.0.1
base_dir = $DC_BASE
state_dir = $DC/state
log_path = $DC/dovecot.log
info_log_path = $DC/dovecot.log
debug_log_path = $DC/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
# Tests try wrong passwords: answer failures at once.  (Dovecot's per-IP auth
# penalty, which delays even correct logins from 127.0.0.1 after failures, is
# disabled by dovecot_start.)
auth_failure_delay = 0
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = $uid
last_valid_uid = $uid
first_valid_gid = $gid
last_valid_gid = $gid
mail_location = maildir:~
mail_save_crlf = yes
recipient_delimiter = +
shutdown_clients = yes
verbose_proctitle = yes

namespace inbox {
  inbox = yes
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
}

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu $DC/passwd
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$MAILDIR_ROOT/%Lu
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $LMTP_PORT
  }
}
# SASL authentication for Postfix (smtpd_sasl_type = dovecot).
service auth {
  inet_listener auth-postfix {
    address = 127.0.0.1
    port = $AUTH_PORT
  }
}

protocol lmtp {
  postmaster_address = postmaster@$MAIL_DOMAIN
}
EOF
}

dovecot_start() {
    rm -f "$DC_BASE/master.pid"    # stale from an earlier run
    touch "$DC/dovecot.log" && chmod 644 "$DC/dovecot.log"
    dovecot -c "$DC/dovecot.conf" >"$DC/start.log" 2>&1 || {
        cat "$DC/start.log" >&2; tail -n 20 "$DC/dovecot.log" >&2 2>/dev/null || true
        return 1
    }
    wait_file "$DC_BASE/master.pid" || { echo "env.sh: no $DC_BASE/master.pid" >&2; return 1; }
    read_pid "$DC_BASE/master.pid" >"$RUN/dovecot.pid"
    # No auth penalty: the auth process, started on the first client
    # connection, disables it silently if this socket does not exist (a
    # listener with mode = 0 instead costs a 5 s connect retry and an error).
    rm -f "$DC_BASE/anvil-auth-penalty"
    wait_port "Dovecot IMAP" "$IMAP_PORT" "$RUN/dovecot.pid" "$DC/dovecot.log" &&
    wait_port "Dovecot LMTP" "$LMTP_PORT" "$RUN/dovecot.pid" "$DC/dovecot.log" &&
    wait_port "Dovecot auth" "$AUTH_PORT" "$RUN/dovecot.pid" "$DC/dovecot.log"
}

dovecot_stop() {
    stop_service dovecot leader "$RUN/dovecot.pid $DC_BASE/master.pid" \
        "$DC/dovecot.conf" "$TAG/"
}

# ------------------------------------------------------------------- slapd --

# dc=example,dc=com for example.com.
ldap_suffix() { printf 'dc=%s' "${MAIL_DOMAIN//./,dc=}"; }

# One LDIF line of a binary attribute NAME with FILE's certificate as DER (for
# userSMIMECertificate: a PKCS#7 certs-only holding it).
ldif_cert() {
    local der
    if [ "$1" = userSMIMECertificate ]; then
        der=$(openssl crl2pkcs7 -nocrl -certfile "$2" -outform DER | base64 -w0)
    else
        der=$(openssl x509 -in "$2" -outform DER | base64 -w0)
    fi
    printf '%s:: %s\n' "$1" "$der"
}

slapd_configure() {
    local suffix u name
    suffix=$(ldap_suffix)
    rm -rf "$LD/db"
    mkdir -p "$LD/db"
    chmod 755 "$LD"
    cat >"$LD/slapd.conf" <<EOF
# Generated by tests/roundcube/env.sh -- slapd for a Siegel test instance.
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile $LD/slapd.pid
argsfile $LD/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
suffix "$suffix"
rootdn "cn=admin,$suffix"
rootpw $PASSWORD
directory $LD/db
maxsize 16777216
access to attrs=userPassword by * none
access to * by * read
EOF
    {
        printf 'dn: %s\nobjectClass: dcObject\nobjectClass: organization\no: %s\ndc: %s\n\n' \
            "$suffix" "$MAIL_DOMAIN" "${MAIL_DOMAIN%%.*}"
        printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$suffix"
        for u in "${USERS[@]}"; do
            name=${u%@*}
            printf 'dn: uid=%s,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: pkiUser\n' "$name" "$suffix"
            printf 'uid: %s\ncn: %s\nsn: %s\nmail: %s\n' "$name" "${name^}" "${name^}" "$u"
            if [[ ",$LDAP_PKCS7_ONLY," == *",$name,"* ]]; then
                if [ -f "$LDAP_CERTS/$name.crt" ]; then ldif_cert userSMIMECertificate "$LDAP_CERTS/$name.crt"; fi
            else
                if [ -f "$LDAP_CERTS/$name-old.crt" ]; then ldif_cert 'userCertificate;binary' "$LDAP_CERTS/$name-old.crt"; fi
                if [ -f "$LDAP_CERTS/$name.crt" ]; then ldif_cert 'userCertificate;binary' "$LDAP_CERTS/$name.crt"; fi
            fi
            printf '\n'
        done
    } >"$LD/people.ldif"
    slapadd -q -f "$LD/slapd.conf" -l "$LD/people.ldif" >"$LD/slapadd.log" 2>&1 || {
        cat "$LD/slapadd.log" >&2; return 1
    }
}

slapd_start() {
    rm -f "$LD/slapd.pid"
    # slapd detaches itself and writes its PID to the pidfile; it logs to
    # syslog, which does not exist here, so the configuration is tested first.
    slaptest -f "$LD/slapd.conf" -u >"$LD/slapd.log" 2>&1 || { cat "$LD/slapd.log" >&2; return 1; }
    setsid slapd -f "$LD/slapd.conf" -h "ldap://127.0.0.1:$LDAP_PORT/" </dev/null >>"$LD/slapd.log" 2>&1 || {
        cat "$LD/slapd.log" >&2; return 1
    }
    wait_file "$LD/slapd.pid" || { echo "env.sh: no $LD/slapd.pid" >&2; return 1; }
    read_pid "$LD/slapd.pid" >"$RUN/slapd.pid"
    wait_port "slapd" "$LDAP_PORT" "$RUN/slapd.pid" "$LD/slapd.log"
}

slapd_stop() {
    stop_service slapd leader "$RUN/slapd.pid $LD/slapd.pid" "$LD/slapd.conf"
}

# ----------------------------------------------------------------- postfix --

postfix_configure() {
    local u
    mkdir -p "$PF_QUEUE" "$PF_DATA"
    chown root:root "$PF" "$PF_QUEUE"
    chmod 755 "$PF_QUEUE"
    chown postfix "$PF_DATA"
    : >"$PF/vmailbox"
    for u in "${USERS[@]}"; do
        printf '%s\t%s/\n' "$u" "$u" >>"$PF/vmailbox"
    done

    cat >"$PF/main.cf" <<EOF
# Generated by tests/roundcube/env.sh -- Postfix for a Siegel test instance.
# Started with: postfix -c $PF start
compatibility_level = 3.6
queue_directory = $PF_QUEUE
data_directory = $PF_DATA
syslog_name = $TAG/postfix
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
myhostname = mail.$MAIL_DOMAIN
mydomain = $MAIL_DOMAIN
myorigin = \$mydomain
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_banner = \$myhostname ESMTP Siegel test MTA
biff = no
append_dot_mydomain = no
recipient_delimiter = +

# No local delivery, no aliases: every user is a virtual mailbox in Dovecot.
mydestination =
local_recipient_maps =
local_transport = error:5.1.1 no local delivery in this test system
alias_maps =
alias_database =
virtual_mailbox_domains = $DOMAINS
virtual_mailbox_maps = texthash:$PF/vmailbox
virtual_alias_maps =
virtual_transport = lmtp:inet:127.0.0.1:$LMTP_PORT
smtpd_reject_unlisted_recipient = yes

# Accept mail for our users from anyone; relay to nowhere (no outside world).
relay_domains =
relayhost =
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions =
default_transport = error:5.7.1 no external delivery in this test system

# SMTP AUTH through Dovecot (used by Roundcube: smtp_user %u, smtp_pass %p).
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:$AUTH_PORT
smtpd_sasl_security_options = noanonymous
smtpd_tls_security_level = none
smtp_tls_security_level = none

# Fast feedback for tests.
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 200
in_flow_delay = 0
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 30s
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h
message_size_limit = 52428800
mailbox_size_limit = 0
EOF

    cat >"$PF/master.cf" <<EOF
# Generated by tests/roundcube/env.sh.  No chroot anywhere.
# service    type  private unpriv chroot wakeup maxproc command
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
pickup       unix  n       -      n      60     1       pickup
cleanup      unix  n       -      n      -      0       cleanup
qmgr         unix  n       -      n      300    1       qmgr
rewrite      unix  -       -      n      -      -       trivial-rewrite
bounce       unix  -       -      n      -      0       bounce
defer        unix  -       -      n      -      0       bounce
trace        unix  -       -      n      -      0       bounce
verify       unix  -       -      n      -      1       verify
flush        unix  n       -      n      1000?  0       flush
proxymap     unix  -       -      n      -      -       proxymap
proxywrite   unix  -       -      n      -      1       proxymap
smtp         unix  -       -      n      -      -       smtp
relay        unix  -       -      n      -      -       smtp
showq        unix  n       -      n      -      -       showq
error        unix  -       -      n      -      -       error
retry        unix  -       -      n      -      -       error
discard      unix  -       -      n      -      -       discard
lmtp         unix  -       -      n      -      -       lmtp
anvil        unix  -       -      n      -      1       anvil
scache       unix  -       -      n      -      1       scache
postlog      unix-dgram n  -      n      -      1       postlogd
EOF
    chmod 644 "$PF/main.cf" "$PF/master.cf" "$PF/vmailbox"
    # Postfix waits (polling every 0.3 s) until a just-written main.cf is
    # older than the current second; backdating the files saves ~1.5 s.
    touch -d '3 seconds ago' "$PF/main.cf" "$PF/master.cf" "$PF/vmailbox"
}

postfix_start() {
    rm -f "$PF_QUEUE/pid/master.pid"    # stale from an earlier run
    # /etc/postfix/main.cf need not list DIR/postfix in alternate_config_
    # directories: Postfix checks that only for non-root callers (e.g. a
    # non-root "sendmail -C"), and this script runs as root.
    # "start" (not start-fg) runs the integrity check, creates the missing
    # queue directories with the right owners, and waits for the master to
    # initialise; the master's PID then is in queue_directory/pid/master.pid.
    postfix -c "$PF" start >"$PF/start.log" 2>&1 || {
        cat "$PF/start.log" >&2; tail -n 20 "$PF/maillog" >&2 2>/dev/null || true
        # Early fatal errors go to syslog only -- or to a terminal: show them.
        if command -v script >/dev/null; then
            script -qec "postfix -c '$PF' check" /dev/null | grep -i fatal >&2 || true
        fi
        return 1
    }
    wait_file "$PF_QUEUE/pid/master.pid" || { echo "env.sh: no Postfix master.pid" >&2; return 1; }
    read_pid "$PF_QUEUE/pid/master.pid" >"$RUN/postfix.pid"
    wait_port "Postfix smtpd" "$SMTP_PORT" "$RUN/postfix.pid" "$PF/maillog"
}

postfix_stop() {
    # Same as "postfix -c $PF stop" (SIGTERM to the master, which stops its
    # children), minus that command's sleep 1 polling loop; falls back to KILL.
    stop_service postfix leader "$RUN/postfix.pid $PF_QUEUE/pid/master.pid" \
        "MAIL_CONFIG=$PF"
}

# --------------------------------------------------------------- roundcube --

roundcube_configure() {
    local www="$RC/www" cfg="$RC/config" p plugins=() php_plugins='' des_key
    mkdir -p "$www" "$cfg" "$RC/plugins" "$RC/db" "$RC/logs" "$RC/temp"

    # Document root: Roundcube's INSTALL_PATH; static files are served from it.
    ln -sfn "$RC_SHARE/program" "$www/program"
    ln -sfn "$RC_SHARE/skins" "$www/skins"
    ln -sfn "$RC_SHARE/SQL" "$www/SQL"
    ln -sfn "$RC/plugins" "$www/plugins"
    # Plugins: Debian's, plus Siegel's (if it exists yet).
    find "$RC/plugins" -mindepth 1 -maxdepth 1 -type l -delete
    for p in "$RC_SHARE"/plugins/*/; do
        p=${p%/}; ln -sfn "$p" "$RC/plugins/${p##*/}"
    done
    if [ -d "$SIEGEL_PLUGIN_SRC" ]; then
        ln -sfn "$SIEGEL_PLUGIN_SRC" "$RC/plugins/siegel"
    fi
    IFS=',' read -r -a _plugins <<<"$PLUGINS_SPEC"
    for p in "${_plugins[@]}"; do
        p=${p// /}
        [ -n "$p" ] || continue
        if [ -f "$RC/plugins/$p/$p.php" ]; then
            plugins+=("$p")
            php_plugins+="$(php_str "$p"), "
        else
            warn "Roundcube plugin '$p' not found (no $RC/plugins/$p/$p.php); not enabled"
        fi
    done
    RC_PLUGINS=$(IFS=,; echo "${plugins[*]}")

    cat >"$www/index.php" <<EOF
<?php
// Generated by tests/roundcube/env.sh: Roundcube entry point of this instance.
define('INSTALL_PATH', __DIR__ . '/');
define('RCMAIL_CONFIG_DIR', $(php_str "$cfg"));
define('RCUBE_PLUGINS_DIR', __DIR__ . '/plugins/');
chdir(__DIR__);
require '$RC_SHARE/index.php';
EOF

    cat >"$RC/router.php" <<'EOF'
<?php
// Generated by tests/roundcube/env.sh: router for PHP's built-in server.
// "/" and "/index.php" run Roundcube; static assets below skins/, plugins/,
// program/js/ and program/resources/ are served as files; all else is 404.
$path = rawurldecode(parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/');
$root = $_SERVER['DOCUMENT_ROOT'];
if ($path === '/' || $path === '/index.php') {
    $_SERVER['SCRIPT_NAME'] = $_SERVER['PHP_SELF'] = '/index.php';
    $_SERVER['SCRIPT_FILENAME'] = $root . '/index.php';
    require $root . '/index.php';
    return true;
}
if (strpos($path, '..') === false
    && preg_match('#^/(skins|plugins|program/js|program/resources)/#', $path)
    && !preg_match('#(\.(php\d?|phtml|inc|sh|sql|log|ini|dist|lock)|/composer\.json)$#i', $path)
    && is_file($root . $path)
) {
    return false;  // let the built-in server send the file
}
http_response_code(404);
header('Content-Type: text/plain');
echo "Not found\n";
return true;
EOF

    # Roundcube loads defaults.inc.php (and mimetypes.php) from its config dir.
    ln -sfn "$RC_ETC/defaults.inc.php" "$cfg/defaults.inc.php"
    ln -sfn "$RC_ETC/mimetypes.php" "$cfg/mimetypes.php"

    # Keep the des_key across restarts of the same DIR.
    if [ ! -s "$RC/des_key" ]; then
        php -r 'echo substr(strtr(base64_encode(random_bytes(24)), "+/", "-_"), 0, 24);' \
            >"$RC/des_key"
    fi
    des_key=$(cat "$RC/des_key")

    cat >"$cfg/config.inc.php" <<EOF
<?php
// Generated by tests/roundcube/env.sh -- Roundcube for a Siegel test instance.
// Debian's defaults.inc.php is loaded first (symlinked next to this file).
\$config = [];
\$config['db_dsnw'] = $(php_str "sqlite:///$RC/db/roundcube.db?mode=0640");
\$config['imap_host'] = '127.0.0.1:$IMAP_PORT';
\$config['smtp_host'] = '127.0.0.1:$SMTP_PORT';
\$config['smtp_user'] = '%u';
\$config['smtp_pass'] = '%p';
\$config['username_domain'] = '';
\$config['mail_domain'] = $(php_str "$MAIL_DOMAIN");
\$config['skin'] = 'elastic';
\$config['plugins'] = [${php_plugins%, }];
\$config['des_key'] = $(php_str "$des_key");
\$config['product_name'] = 'Roundcube Webmail';
\$config['support_url'] = '';
\$config['enable_installer'] = false;
\$config['log_driver'] = 'file';
\$config['log_dir'] = $(php_str "$RC/logs");
\$config['temp_dir'] = $(php_str "$RC/temp");
\$config['smtp_log'] = true;
\$config['debug_level'] = 1;
\$config['session_lifetime'] = $((SESSION_MINUTES + 0));
// Cookies do not care about ports: give each instance its own cookie names.
\$config['session_name'] = '${TAG//-/_}_sessid';
\$config['session_auth_name'] = '${TAG//-/_}_sessauth';
\$config['create_default_folders'] = true;
\$config['htmleditor'] = 0;
\$config['draft_autosave'] = 0;
\$config['use_https'] = false;
\$config['force_https'] = false;
\$config['login_rate_limit'] = 0;
\$config['ip_check'] = false;
\$config['enable_spellcheck'] = false;
\$config['check_all_folders'] = false;
// The organisation's directory (slapd above): an address book, and where Siegel finds certificates.
\$config['ldap_public'] = ['directory' => [
    'name' => 'Directory',
    'hosts' => ['127.0.0.1'],
    'port' => $LDAP_PORT,
    'base_dn' => $(php_str "ou=people,$(ldap_suffix)"),
    'bind_dn' => '',
    'bind_pass' => '',
    'ldap_version' => 3,
    'search_fields' => ['mail', 'cn'],
    'name_field' => 'cn',
    'email_field' => 'mail',
    'fieldmap' => ['name' => 'cn', 'surname' => 'sn', 'email' => 'mail:*'],
    'filter' => '(objectClass=inetOrgPerson)',
    'scope' => 'sub',
    'fuzzy_search' => true,
    'sizelimit' => '50',
    'timelimit' => '5',
]];
\$config['autocomplete_addressbooks'] = ['sql', 'directory'];
EOF
    if [ -n "$EXTRA_CONFIG" ]; then
        [ -f "$EXTRA_CONFIG" ] || die "SIEGEL_RC_EXTRA_CONFIG=$EXTRA_CONFIG does not exist"
        printf "include %s;\n" "$(php_str "$(realpath "$EXTRA_CONFIG")")" >>"$cfg/config.inc.php"
    fi
    # Last, so that it wins: the options a test changes at run time.
    : >"$LOCAL_CONFIG"
    chmod 644 "$LOCAL_CONFIG"
    cat >>"$cfg/config.inc.php" <<EOF
// Options a test sets while Roundcube runs (SIEGEL_LOCAL_CONFIG; read on every request).
if (is_file($(php_str "$LOCAL_CONFIG"))) {
    include $(php_str "$LOCAL_CONFIG");
}
EOF

    # Database schema (once per DIR).
    if [ ! -s "$RC/db/roundcube.db" ]; then
        php -r '
            $db = new PDO("sqlite:" . $argv[1]);
            $db->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
            $db->exec(file_get_contents($argv[2]));' \
            "$RC/db/roundcube.db" "$RC_SHARE/SQL/sqlite.initial.sql"
    fi
    chmod 640 "$RC/db/roundcube.db"
}

roundcube_start() {
    local log="$RC/logs/php-server.log" pid
    # setsid: own process group, so that stop can kill the forked workers too.
    # (A background job of this non-interactive script is never a group leader,
    # so setsid execs php directly and $! is php's PID.)
    (
        cd "$RC/www"
        export ROUNDCUBE_CONFIG_DIR="$RC/config" TMPDIR="$DIR/tmp" \
               PHP_CLI_SERVER_WORKERS="$PHP_WORKERS"
        exec setsid php \
            -d display_errors=0 -d log_errors=1 -d error_log="$RC/logs/php-errors.log" \
            -d session.save_path="$DIR/tmp" -d upload_tmp_dir="$DIR/tmp" \
            -d sys_temp_dir="$DIR/tmp" -d upload_max_filesize=25M -d post_max_size=30M \
            -d memory_limit=256M -d max_execution_time=120 \
            -S "127.0.0.1:$HTTP_PORT" -t "$RC/www" "$RC/router.php"
    ) </dev/null >>"$log" 2>&1 &
    pid=$!
    echo "$pid" >"$RUN/php.pid"
    wait_port "Roundcube (php -S)" "$HTTP_PORT" "$RUN/php.pid" "$log" || return 1
    # One real request: catches configuration errors, warms up the workers.
    php -r '
        $ctx = stream_context_create(["http" => ["ignore_errors" => true, "timeout" => 30]]);
        $body = @file_get_contents($argv[1], false, $ctx);
        $status = $http_response_header[0] ?? "no response";
        if (strpos($status, " 200") === false || strpos((string)$body, "rcmloginuser") === false) {
            fwrite(STDERR, "env.sh: Roundcube login page not served ($status)\n");
            exit(1);
        }' "http://127.0.0.1:$HTTP_PORT/" || {
        tail -n 20 "$RC/logs/errors.log" >&2 2>/dev/null || true
        return 1
    }
}

roundcube_stop() {
    stop_service roundcube group "$RUN/php.pid" "$RC/router.php"
}

# -------------------------------------------------------------- env files --

write_env() {
    local keys=(SIEGEL_RC_DIR RC_URL RC_HTTP_PORT IMAP_HOST IMAP_PORT SMTP_PORT
                LMTP_PORT AUTH_PORT MAIL_DOMAIN MAILDIR_ROOT USERS PASSWORD
                RC_PLUGINS RC_CONFIG_DIR RC_LOG_DIR RC_DB RC_SESSION_COOKIE
                DOVECOT_CONF DOVECOT_LOG POSTFIX_CONFIG_DIR POSTFIX_LOG
                DOVECOT_PID POSTFIX_PID PHP_PID MAIL_UID MAIL_GID LDAP_PORT
                LDAP_BASE SLAPD_PID SIEGEL_LOCAL_CONFIG)
    local -A v=(
        [SIEGEL_RC_DIR]=$DIR
        [RC_URL]="http://127.0.0.1:$HTTP_PORT/"
        [RC_HTTP_PORT]=$HTTP_PORT [IMAP_HOST]=127.0.0.1 [IMAP_PORT]=$IMAP_PORT
        [SMTP_PORT]=$SMTP_PORT [LMTP_PORT]=$LMTP_PORT [AUTH_PORT]=$AUTH_PORT
        [MAIL_DOMAIN]=$MAIL_DOMAIN [MAILDIR_ROOT]=$MAILDIR_ROOT
        [USERS]=$(IFS=,; echo "${USERS[*]}") [PASSWORD]=$PASSWORD
        [RC_PLUGINS]=$RC_PLUGINS [RC_CONFIG_DIR]="$RC/config" [RC_LOG_DIR]="$RC/logs"
        [RC_DB]="$RC/db/roundcube.db" [RC_SESSION_COOKIE]="${TAG//-/_}_sessid"
        [DOVECOT_CONF]="$DC/dovecot.conf" [DOVECOT_LOG]="$DC/dovecot.log"
        [POSTFIX_CONFIG_DIR]=$PF [POSTFIX_LOG]="$PF/maillog"
        [DOVECOT_PID]=$(read_pid "$RUN/dovecot.pid") [POSTFIX_PID]=$(read_pid "$RUN/postfix.pid")
        [PHP_PID]=$(read_pid "$RUN/php.pid")
        [MAIL_UID]=$(id -u "$MAIL_USER") [MAIL_GID]=$(id -g "$MAIL_USER")
        [LDAP_PORT]=$LDAP_PORT [LDAP_BASE]="ou=people,$(ldap_suffix)"
        [SLAPD_PID]=$(read_pid "$RUN/slapd.pid")
        [SIEGEL_LOCAL_CONFIG]=$LOCAL_CONFIG
    )
    local k val sep='' json='{' envf=''
    for k in "${keys[@]}"; do
        val=${v[$k]}
        if [[ $val =~ ^[A-Za-z0-9_./:@,+=-]*$ ]]; then
            envf+="$k=$val"$'\n'
        else
            envf+="$k='${val//\'/\'\\\'\'}'"$'\n'
        fi
        if [[ $val =~ ^[0-9]+$ ]]; then json+="$sep\"$k\": $val"
        else json+="$sep\"$k\": $(json_str "$val")"; fi
        sep=$',\n  '
    done
    json+="$sep\"USER_LIST\": ["
    sep=''
    for k in "${USERS[@]}"; do json+="$sep$(json_str "$k")"; sep=', '; done
    json+=$']\n}'
    json=${json/#\{/$'{\n  '}
    printf '%s' "$envf" >"$DIR/env.new" && mv "$DIR/env.new" "$DIR/env"
    printf '%s\n' "$json" >"$DIR/env.json.new" && mv "$DIR/env.json.new" "$DIR/env.json"
}

# ---------------------------------------------------------------- commands --

cmd_start() {
    need_root start
    local start_ns p
    start_ns=$(date +%s%N)
    mkdir -p "$1"
    setup_paths "$(realpath "$1")"
    cmd_stop "$DIR"    # a previous instance in this DIR, if any
    rm -f "$DIR/env" "$DIR/env.json"
    command -v dovecot >/dev/null && command -v postfix >/dev/null && command -v slapd >/dev/null &&
        [ -f "$RC_SHARE/index.php" ] || die "packages missing; run: $0 install"
    ensure_mail_user
    parse_users
    pick_free_ports
    for p in "$HTTP_PORT" "$IMAP_PORT" "$SMTP_PORT" "$LMTP_PORT" "$AUTH_PORT" "$LDAP_PORT"; do
        [[ $p =~ ^[0-9]+$ ]] && [ "$p" -ge 1 ] && [ "$p" -le 65535 ] || die "invalid port '$p'"
        port_open "$p" && die "port 127.0.0.1:$p is already in use"
    done
    [ "$(printf '%s\n' "$HTTP_PORT" "$IMAP_PORT" "$SMTP_PORT" "$LMTP_PORT" "$AUTH_PORT" "$LDAP_PORT" |
        sort -u | wc -l)" -eq 6 ] || die "the six ports must differ"

    prepare_dirs
    dovecot_configure
    postfix_configure
    slapd_configure
    roundcube_configure

    # On any failure: stop what was started, keep the logs.
    if ! { dovecot_start && postfix_start && slapd_start && roundcube_start; }; then
        cmd_stop "$DIR" >/dev/null 2>&1 || true
        die "start failed; logs are under $DIR"
    fi
    write_env
    printf 'Siegel mail test system up in %s ms: %s (IMAP %s, SMTP %s); facts in %s/env\n' \
        $(( ($(date +%s%N) - start_ns) / 1000000 )) "http://127.0.0.1:$HTTP_PORT/" \
        "$IMAP_PORT" "$SMTP_PORT" "$DIR"
}

cmd_stop() {
    [ -d "$1" ] || return 0
    setup_paths "$(realpath "$1")"
    [ -d "$RUN" ] || return 0
    roundcube_stop
    slapd_stop
    postfix_stop
    dovecot_stop
    if [ "$SOCK_ROOT" != "$DIR" ]; then
        [ ! -L "$SOCK_ROOT" ] || rm -f "$SOCK_ROOT"
        [ ! -d "$DC_BASE" ] || rm -rf "$DC_BASE"
    fi
}

cmd_status() {
    [ -d "$1" ] || die "no such directory: $1"
    setup_paths "$(realpath "$1")"
    local all=0 name pid
    for name in dovecot postfix slapd php; do
        pid=$(read_pid "$RUN/$name.pid")
        case $name in
            dovecot) ours "$pid" "$DC/dovecot.conf" ;;
            slapd)   ours "$pid" "$LD/slapd.conf" ;;
            postfix) ours "$pid" "MAIL_CONFIG=$PF" ;;
            php)     ours "$pid" "$RC/router.php" ;;
        esac && echo "$name: running (pid $pid)" || { echo "$name: stopped"; all=1; }
    done
    return $all
}

case ${1:-} in
    install) [ $# -eq 1 ] || usage; cmd_install ;;
    installed) [ $# -eq 1 ] || usage; cmd_installed ;;
    start)   [ $# -eq 2 ] || usage; cmd_start "$2" ;;
    stop)    [ $# -eq 2 ] || usage; cmd_stop "$2" ;;
    status)  [ $# -eq 2 ] || usage; cmd_status "$2" ;;
    *)       usage ;;
esac
