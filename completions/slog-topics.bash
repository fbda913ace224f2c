# bash completion for slog-topics(1)
#
# The options come from `slog-topics --list-options`, and which of them
# take a value from `slog-topics -h`, so the completion follows the
# program instead of a copy of its option table.  Topic names come from
# `slog-topics list`, asked of the brokers named with -b (else
# $SLOG_BROKERS) with a short timeout, quietly; topic config keys from
# `slog-broker --help-config` when slog-broker is installed.

# The program as typed on the command line when it runs, else by name.
_slog_topics_prog()
{
	local p=${COMP_WORDS[0]}

	[[ $p == "~/"* ]] && p=$HOME/${p#"~/"}
	type -P -- "$p" >/dev/null 2>&1 || p=slog-topics
	printf '%s\n' "$p"
}

# The options that take a value, one per line, as the -h output of
# program $1 shows them ("  -c, --config KEY=VALUE   ...").
_slog_topics_value_options()
{
	local line
	while read -r line; do
		[[ $line =~ ^(-([A-Za-z0-9]),\ )?(--[a-z0-9-]+)\ [^\ ] ]] || continue
		printf '%s\n' "${BASH_REMATCH[3]}"
		[[ -n ${BASH_REMATCH[2]} ]] && printf -- '-%s\n' "${BASH_REMATCH[2]}"
	done < <("$1" -h 2>/dev/null)
}

# Topic names, from the brokers given with -b on the line if any.
# Readline splits host:port at the ':' into three words: join them again.
_slog_topics_names()
{
	local prog=$1 cur=$2 brokers= i j w

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
	mapfile -t COMPREPLY < <(compgen -W "$("$prog" ${brokers:+-b "$brokers"} \
		--timeout-ms 1000 list 2>/dev/null)" -- "$cur")
}

# Topic config keys, from the topic section of slog-broker --help-config.
_slog_topics_config_keys()
{
	local broker=slog-broker key

	[[ $1 == */* && -x ${1%/*}/slog-broker ]] && broker=${1%/*}/slog-broker
	"$broker" --help-config 2>/dev/null |
		sed -n '/^Topic keys/,$p' | while read -r key _; do
			[[ $key == Topic ]] || printf '%s\n' "$key"
		done
}

# Client config keys for -X, each followed by '=', from `slog-topics -X list`.
_slog_topics_config_keys()
{
	local key
	"$1" -X list 2>/dev/null | while read -r key _; do
		[[ $key == KEY ]] || printf '%s=\n' "$key"
	done
	printf 'list\n'
}

_slog_topics()
{
	local prog cur prev valopts cmd= nnames=0 i w

	COMPREPLY=()
	prog=$(_slog_topics_prog)
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	# --opt=value: readline may split at '=' or not.
	if [[ $cur == = ]]; then
		cur=
	elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi
	valopts=$'\n'$(_slog_topics_value_options "$prog")$'\n'

	case $prev in
	-X | --set)
		compopt -o nospace 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -W "$(_slog_topics_config_keys "$prog")" -- "$cur")
		return
		;;
	-F | --config-file | --reassignment-json)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	-c | --config)
		if [[ $cur != *=* ]]; then
			compopt -o nospace 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -W "$(_slog_topics_config_keys "$prog" |
				sed 's/$/=/')" -- "$cur")
		fi
		return
		;;
	--delete-config)
		mapfile -t COMPREPLY < <(compgen -W "$(_slog_topics_config_keys "$prog")" -- "$cur")
		return
		;;
	--at)
		# Or a time: ms, YYYY-MM-DD[THH:MM[:SS]][Z], -1h.
		mapfile -t COMPREPLY < <(compgen -W 'earliest latest -1h -1d' -- "$cur")
		return
		;;
	--format)
		mapfile -t COMPREPLY < <(compgen -W 'text json help' -- "$cur")
		return
		;;
	esac
	# Any other option that takes a value: nothing to offer.
	[[ $prev == -* && $valopts == *$'\n'"$prev"$'\n'* ]] && return

	# The command is the first word that is neither an option nor an
	# option's value; the words after it are topic names.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--*=* | =) ;;
		-*)
			if [[ $valopts == *$'\n'"$w"$'\n'* ]]; then
				((i++))
				[[ ${COMP_WORDS[i]} == = ]] && ((i++))
				# -b host:port split at ':' into three words.
				while [[ ${COMP_WORDS[i + 1]} == : ]]; do ((i += 2)); done
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
		mapfile -t COMPREPLY < <(compgen -W \
			'create list describe alter add-partitions delete offsets' -- "$cur")
		;;
	describe | delete)
		_slog_topics_names "$prog" "$cur"
		;;
	alter | add-partitions | offsets)
		((nnames == 0)) && _slog_topics_names "$prog" "$cur"
		;;
	esac
	# create takes new names, list none: nothing to offer.
}

complete -F _slog_topics slog-topics
