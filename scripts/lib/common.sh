# Shared helpers for the shell scripts; sourced, not run.
# shellcheck shell=bash

note() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
die() {
	note "error: $*"
	exit 1
}

# The project's one version: package.json's, unless DAEDALUS_VERSION says
# otherwise (scripts/package --version sets it for everything it builds).
package_version() {
	if [ -n "${DAEDALUS_VERSION:-}" ]; then
		printf '%s\n' "$DAEDALUS_VERSION"
	else
		sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' package.json
	fi
}

# The release name of a kernel given as 6.1 or 6.12 (the newest installed
# Debian -amd64 kernel of that series), debug (the daedalus debug kernel), a
# release name, or a path to vmlinuz-<release>.
kernel_release() {
	local arg=${1:-6.12} k
	case $arg in
	*/*)
		k=$(basename "$arg")
		[ "${k#vmlinuz-}" != "$k" ] || die "not a vmlinuz-<release> path: $arg"
		[ -f "$arg" ] || die "no such kernel image: $arg"
		k=${k#vmlinuz-}
		;;
	6.1 | 6.12 | debug)
		local glob="$arg.*-amd64"
		[ "$arg" != debug ] || glob='*-daedalus-debug'
		# shellcheck disable=SC2086 # the glob is meant to expand
		k=$(printf '%s\n' /boot/vmlinuz-$glob | sed 's|^/boot/vmlinuz-||' | sort -V | tail -n1)
		[ -f "/boot/vmlinuz-$k" ] || die "no /boot/vmlinuz-$glob installed"
		;;
	*) k=$arg ;;
	esac
	[ -d "/lib/modules/$k" ] || die "no /lib/modules/$k for kernel $arg"
	printf '%s\n' "$k"
}

# One shell word that sh reads back as $1.
shquote() {
	local s=${1//\'/\'\\\'\'}
	printf "'%s'" "$s"
}

# Seconds since EPOCHREALTIME was $1, with one decimal.
elapsed() {
	local now=${EPOCHREALTIME//[!0-9]/} then=${1//[!0-9]/} us
	us=$((10#$now - 10#$then))
	printf '%d.%d' $((us / 1000000)) $((us / 100000 % 10))
}
