# bash completion for slog-groups(1)
#
# The options come from `slog-groups --list-options`, and which of them
# take a value from `slog-groups -h`, so the completion follows the
# program instead of a copy of its option table.  Group names (also after
# --to-group) come from `slog-groups list`, and topic names (after -t)
# from `slog-topics list`,
# asked of the brokers named with -b (else $SLOG_BROKERS) with a short
# timeout, quietly.

# The program as typed on the command line when it runs, else by name.
_slog_groups_prog()
{
	local p=${COMP_WORDS[0]}

	[[ $p == "~/"* ]] && p=$HOME/${p#"~/"}
	type -P -- "$p" >/dev/null 2>&1 || p=slog-groups
	printf '%s\n' "$p"
}

# The options that take a value, one per line, as the -h output of
# program $1 shows them ("  -t, --topic TOPIC[:P,..]  ...").
_slog_groups_value_options()
{
	local line
	while read -r line; do
		[[ $line =~ ^(-([A-Za-z0-9]),\ )?(--[a-z0-9-]+)\ [^\ ] ]] || continue
		printf '%s\n' "${BASH_REMATCH[3]}"
		[[ -n ${BASH_REMATCH[2]} ]] && printf -- '-%s\n' "${BASH_REMATCH[2]}"
	done < <("$1" -h 2>/dev/null)
}

# The brokers given with -b on the line, if any.  Readline splits
# host:port at the ':' into three words: join them again.
_slog_groups_brokers()
{
	local brokers= i j w

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
	printf '%s\n' "$brokers"
}

# Group names, from the brokers given with -b on the line if any.
_slog_groups_names()
{
	local prog=$1 cur=$2 brokers

	brokers=$(_slog_groups_brokers)
	mapfile -t COMPREPLY < <(compgen -W "$("$prog" ${brokers:+-b "$brokers"} \
		--timeout-ms 1000 list 2>/dev/null)" -- "$cur")
}

# Topic names, from slog-topics next to the program if it is there.
_slog_groups_topics()
{
	local prog=$1 cur=$2 topics=slog-topics brokers

	[[ $prog == */* && -x ${prog%/*}/slog-topics ]] && topics=${prog%/*}/slog-topics
	brokers=$(_slog_groups_brokers)
	mapfile -t COMPREPLY < <(compgen -W "$("$topics" ${brokers:+-b "$brokers"} \
		--timeout-ms 1000 list 2>/dev/null)" -- "$cur")
}

# Client config keys for -X, each followed by '=', from `slog-groups -X list`.
_slog_groups_config_keys()
{
	local key
	"$1" -X list 2>/dev/null | while read -r key _; do
		[[ $key == KEY ]] || printf '%s=\n' "$key"
	done
	printf 'list\n'
}

_slog_groups()
{
	local prog cur prev valopts cmd= nnames=0 i w

	COMPREPLY=()
	prog=$(_slog_groups_prog)
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	# --opt=value: readline may split at '=' or not.
	if [[ $cur == = ]]; then
		cur=
	elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi
	# -t topic:0,1: readline splits at ':' too; partitions are not offered.
	[[ $cur == : || $prev == : || $cur == *:* ]] && return
	valopts=$'\n'$(_slog_groups_value_options "$prog")$'\n'

	case $prev in
	-X | --set)
		compopt -o nospace 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -W "$(_slog_groups_config_keys "$prog")" -- "$cur")
		return
		;;
	-F | --config-file)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	-t | --topic)
		_slog_groups_topics "$prog" "$cur"
		return
		;;
	--state)
		mapfile -t COMPREPLY < <(compgen -W 'Empty Reconciling Stable' -- "$cur")
		return
		;;
	--to-group)
		_slog_groups_names "$prog" "$cur"
		return
		;;
	--from-file)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	--format)
		mapfile -t COMPREPLY < <(compgen -W 'text json csv' -- "$cur")
		return
		;;
	esac
	# Any other option that takes a value: nothing to offer.
	[[ $prev == -* && $valopts == *$'\n'"$prev"$'\n'* ]] && return

	# The command is the first word that is neither an option nor an
	# option's value; the words after it are group names.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--*=* | =) ;;
		-*)
			if [[ $valopts == *$'\n'"$w"$'\n'* ]]; then
				((i++))
				[[ ${COMP_WORDS[i]} == = ]] && ((i++))
				# -t topic:0,1 split at ':' into three words.
				[[ ${COMP_WORDS[i + 1]} == : ]] && ((i += 2))
			fi
			;;
		*)
			if [[ -z $cmd ]]; then
				cmd=$w
			else
				((nnames++))
			fi
			;;
		esac
	done

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$("$prog" --list-options 2>/dev/null)" -- "$cur")
		return
	fi
	case $cmd in
	'')
		mapfile -t COMPREPLY < <(compgen -W 'list describe reset-offsets delete delete-offsets' -- "$cur")
		;;
	describe | delete)
		_slog_groups_names "$prog" "$cur"
		;;
	reset-offsets | delete-offsets)
		((nnames == 0)) && _slog_groups_names "$prog" "$cur"
		;;
	esac
	# list takes no names: nothing to offer.
}

complete -F _slog_groups slog-groups
