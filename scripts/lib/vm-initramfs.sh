# The busybox initramfs of scripts/vm; sourced, not run.
# shellcheck shell=bash

# The module files, in load order, that kernel $1 needs to load modules $2...
# and their dependencies; what it has built in is skipped, and so is a
# module named ?name that it does not have. The kernel's modules are under
# $VM_MODROOT/lib/modules (default: this machine's).
vm_module_files() {
	local kver=$1 m out verb path
	local -A seen=()
	shift
	for m in "$@"; do
		# One module per call: further names would be taken as parameters.
		if ! out=$(modprobe -d "${VM_MODROOT:-/}" -S "$kver" --show-depends "${m#\?}" 2>&1); then
			[ "${m#\?}" != "$m" ] || die "kernel $kver has no module $m: $out"
			note "kernel $kver has no module ${m#\?}"
			continue
		fi
		while read -r verb path _; do
			case $verb in
			builtin) ;;
			insmod)
				[ -n "${seen[$path]:-}" ] || printf '%s\n' "$path"
				seen[$path]=1
				;;
			*) die "unexpected output of modprobe --show-depends $m: $verb $path" ;;
			esac
		done <<<"$out"
	done
}

# Prints the path of an initramfs for kernel $1, cached in directory $2, that
# loads module files $3... in that order, then runs $VM_INIT (default
# scripts/lib/vm-init.sh) as /init, with scripts/lib/vm-init-common.sh as
# /init-common.sh, under $VM_BUSYBOX (default this machine's: a static
# busybox of the guest's architecture). It is rebuilt when busybox, the
# modules, their order, those scripts or this file change.
vm_initramfs() {
	local kver=$1 dir=$2 busybox=${VM_BUSYBOX:-/bin/busybox} init=${VM_INIT:-scripts/lib/vm-init.sh}
	local common=scripts/lib/vm-init-common.sh
	local key img tmp f name
	shift 2
	[ -x "$busybox" ] || die "no busybox at $busybox"
	img=$dir/initramfs.cpio
	mkdir -p "$dir"
	key=$({
		echo "$kver"
		sha256sum "$busybox" "$init" "$common" "${BASH_SOURCE[0]}"
		for f in "$@"; do stat -L -c '%n %s %Y' "$f"; done
	} | sha256sum)
	key=${key%% *}
	# Runs for the same kernel share $dir.
	exec {lock}>"$dir/lock"
	flock "$lock"
	if [ -f "$img" ] && [ "$(cat "$dir/key" 2>/dev/null)" = "$key" ]; then
		exec {lock}>&-
		printf '%s\n' "$img"
		return
	fi
	tmp=$(mktemp -d "$dir/tmp.XXXXXX")
	mkdir -p "$tmp"/root/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,newroot,mods}
	cp "$busybox" "$tmp/root/bin/busybox"
	cp "$init" "$tmp/root/init"
	cp "$common" "$tmp/root/init-common.sh"
	chmod 755 "$tmp/root/init"
	# busybox insmod cannot read compressed modules.
	for f in "$@"; do
		name=$(basename "$f")
		case $f in
		*.ko.xz) name=${name%.xz} && xz -dc "$f" >"$tmp/root/mods/$name" ;;
		*.ko.zst) name=${name%.zst} && zstd -qdc "$f" >"$tmp/root/mods/$name" ;;
		*.ko.gz) name=${name%.gz} && gzip -dc "$f" >"$tmp/root/mods/$name" ;;
		*) cp "$f" "$tmp/root/mods/$name" ;;
		esac
		printf '%s\n' "$name" >>"$tmp/root/mods/order"
	done
	touch "$tmp/root/mods/order"
	# Uncompressed: unpacking is faster than decompressing under TCG.
	(cd "$tmp/root" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) >"$tmp/initramfs.cpio"
	mv "$tmp/initramfs.cpio" "$img"
	printf '%s\n' "$key" >"$dir/key"
	rm -rf "$tmp"
	exec {lock}>&-
	printf '%s\n' "$img"
}
