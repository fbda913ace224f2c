# bash completion for slog-produce(1)
#
# The options come from `slog-produce --list-options`, and which of them
# take a value from `slog-produce -h`, so the completion follows the
# program instead of a copy of its option table.  Topic names come from
# `slog-topics list`, asked of the brokers named with -b (else
# $SLOG_BROKERS) with a short timeout, quietly.

# The program as typed on the command line when it runs, else by name.
_slog_produce_prog()
{
	local p=${COMP_WORDS[0]}

	[[ $p == "~/"* ]] && p=$HOME/${p#"~/"}
	type -P -- "$p" >/dev/null 2>&1 || p=slog-produce
	printf '%s\n' "$p"
}

# Whether option $2 of program $1 takes a value, as its -h output shows
# ("  -t, --topic TOPIC   ...").
_slog_produce_takes_value()
{
	local line
	[[ $2 == -* ]] || return 1
	while read -r line; do
		[[ $line =~ ^(-[A-Za-z0-9],\ )?(--[a-z0-9-]+)\ [^\ ] ]] || continue
		[[ $2 == "${BASH_REMATCH[2]}" || "$2, " == "${BASH_REMATCH[1]}" ]] && return 0
	done < <("$1" -h 2>/dev/null)
	return 1
}

# Topic names, from the brokers given with -b on the line if any.
_slog_produce_topics()
{
	local prog=$1 cur=$2 topics=slog-topics brokers= i w

	[[ $prog == */* && -x ${prog%/*}/slog-topics ]] && topics=${prog%/*}/slog-topics
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-b | --brokers)
			w=${COMP_WORDS[i + 1]}
			[[ $w == = ]] && w=${COMP_WORDS[i + 2]}
			brokers=$w
			;;
		--brokers=?*) brokers=${w#--brokers=} ;;
		-b?*) brokers=${w#-b} ;;
		esac
	done
	mapfile -t COMPREPLY < <(compgen -W "$("$topics" ${brokers:+-b "$brokers"} \
		--timeout-ms 1000 list 2>/dev/null)" -- "$cur")
}

# Client config keys for -X, each followed by '=', from `slog-produce -X list`.
_slog_produce_config_keys()
{
	local key
	"$1" -X list 2>/dev/null | while read -r key _; do
		[[ $key == KEY ]] || printf '%s=\n' "$key"
	done
	printf 'list\n'
}

_slog_produce()
{
	local prog cur prev i

	COMPREPLY=()
	prog=$(_slog_produce_prog)
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
		mapfile -t COMPREPLY < <(compgen -W "$(_slog_produce_config_keys "$prog")" -- "$cur")
		return
		;;
	-F | --config-file)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	-t | --topic)
		_slog_produce_topics "$prog" "$cur"
		return
		;;
	-z | --compression)
		mapfile -t COMPREPLY < <(compgen -W 'none zstd' -- "$cur")
		return
		;;
	--acks)
		mapfile -t COMPREPLY < <(compgen -W '0 1 all' -- "$cur")
		return
		;;
	--partitioner)
		mapfile -t COMPREPLY < <(compgen -W 'murmur2 random roundrobin' -- "$cur")
		return
		;;
	--report-format)
		# json, or a format of slog-consume -f's tokens such as '%t %p %o\n'.
		mapfile -t COMPREPLY < <(compgen -W 'json' -- "$cur")
		return
		;;
	esac
	# Any other option that takes a value: nothing to offer.
	if _slog_produce_takes_value "$prog" "$prev"; then
		return
	fi

	for ((i = 1; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} == -- ]] && break
	done
	if [[ $cur == -* ]] && ((i == COMP_CWORD)); then
		mapfile -t COMPREPLY < <(compgen -W "$("$prog" --list-options 2>/dev/null)" -- "$cur")
		return
	fi
	# FILE arguments.
	compopt -o filenames 2>/dev/null
	mapfile -t COMPREPLY < <(compgen -f -- "$cur")
}

complete -F _slog_produce slog-produce
