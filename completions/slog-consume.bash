# bash completion for slog-consume(1)
#
# The options come from `slog-consume --list-options`, and which of them
# take a value from `slog-consume -h`, so the completion follows the
# program instead of a copy of its option table.  Topic names (also in a
# -t a,b list) come from `slog-topics list`, and group names (after -g) from `slog-groups list`,
# asked of the brokers named with -b (else $SLOG_BROKERS) with a short
# timeout, quietly.

# The program as typed on the command line when it runs, else by name.
_slog_consume_prog()
{
	local p=${COMP_WORDS[0]}

	[[ $p == "~/"* ]] && p=$HOME/${p#"~/"}
	type -P -- "$p" >/dev/null 2>&1 || p=slog-consume
	printf '%s\n' "$p"
}

# Whether option $2 of program $1 takes a value, as its -h output shows
# ("  -t, --topic TOPIC   ...").
_slog_consume_takes_value()
{
	local line
	[[ $2 == -* ]] || return 1
	while read -r line; do
		[[ $line =~ ^(-[A-Za-z0-9],\ )?(--[a-z0-9-]+)\ [^\ ] ]] || continue
		[[ $2 == "${BASH_REMATCH[2]}" || "$2, " == "${BASH_REMATCH[1]}" ]] && return 0
	done < <("$1" -h 2>/dev/null)
	return 1
}

# The names that `slog-topics list` or `slog-groups list` ($3) prints,
# asked of the brokers given with -b on the line if any; the program is
# taken from next to slog-consume when it is there.  Readline splits a
# -b host:port at the ':' into three words: they are joined again.
_slog_consume_names()
{
	local prog=$1 cur=$2 lister=$3 brokers= i j w

	[[ $prog == */* && -x ${prog%/*}/$lister ]] && lister=${prog%/*}/$lister
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-b | --brokers)
			j=$((i + 1))
			[[ ${COMP_WORDS[j]} == = ]] && ((j++))
			brokers=${COMP_WORDS[j]}
			while [[ ${COMP_WORDS[j + 1]} == : ]] && ((j + 2 < COMP_CWORD)); do
				brokers+=:${COMP_WORDS[j + 2]}
				((j += 2))
			done
			;;
		--brokers=?*) brokers=${w#--brokers=} ;;
		-b?*) brokers=${w#-b} ;;
		esac
	done
	mapfile -t COMPREPLY < <(compgen -W "$("$lister" ${brokers:+-b "$brokers"} \
		--timeout-ms 1000 list 2>/dev/null)" -- "$cur")
}

# Client config keys for -X, each followed by '=', from `slog-consume -X list`.
_slog_consume_config_keys()
{
	local key
	"$1" -X list 2>/dev/null | while read -r key _; do
		[[ $key == KEY ]] || printf '%s=\n' "$key"
	done
	printf 'list\n'
}

_slog_consume()
{
	local prog cur prev offsets='beginning end' w

	COMPREPLY=()
	prog=$(_slog_consume_prog)
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	# --opt=value: readline may split at '=' or not.
	if [[ $cur == = ]]; then
		cur=
	elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi

	case $prev in
	-X | --set)
		compopt -o nospace 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -W "$(_slog_consume_config_keys "$prog")" -- "$cur")
		return
		;;
	-F | --config-file)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	-t | --topic)
		# A comma list: complete its last name.
		local done=
		[[ $cur == *,* ]] && done=${cur%,*},
		_slog_consume_names "$prog" "${cur##*,}" slog-topics
		COMPREPLY=("${COMPREPLY[@]/#/$done}")
		return
		;;
	-g | --group)
		_slog_consume_names "$prog" "$cur" slog-groups
		return
		;;
	-o | --offset)
		# stored: the group's committed offsets, only with -g.
		for w in "${COMP_WORDS[@]:1}"; do
			case $w in
			-g | --group | --group=* | -g?*)
				offsets+=' stored'
				break
				;;
			esac
		done
		mapfile -t COMPREPLY < <(compgen -W "$offsets" -- "$cur")
		return
		;;
	--commit)
		mapfile -t COMPREPLY < <(compgen -W 'after before' -- "$cur")
		return
		;;
	--on-truncation)
		mapfile -t COMPREPLY < <(compgen -W 'continue fail' -- "$cur")
		return
		;;
	esac
	# Any other option that takes a value: nothing to offer.
	if _slog_consume_takes_value "$prog" "$prev"; then
		return
	fi
	# slog-consume takes no arguments besides its options.
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$("$prog" --list-options 2>/dev/null)" -- "$cur")
	fi
}

complete -F _slog_consume slog-consume
