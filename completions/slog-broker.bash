# bash completion for slog-broker(1)
#
# The options come from `slog-broker --list-options`, and which of them
# take a value from `slog-broker -h`, so the completion follows the
# program instead of a copy of its option table (plus -X, the short
# alias of --set, which has no long name to list).  The keys offered
# after --set and -X come from `slog-broker --help-config`.

# The program as typed on the command line when it runs, else by name.
_slog_broker_prog()
{
	local p=${COMP_WORDS[0]}

	[[ $p == "~/"* ]] && p=$HOME/${p#"~/"}
	type -P -- "$p" >/dev/null 2>&1 || p=slog-broker
	printf '%s\n' "$p"
}

# Whether option $2 of program $1 takes a value, as its -h output shows
# ("  -c, --config FILE   ...").
_slog_broker_takes_value()
{
	local line
	[[ $2 == -* ]] || return 1
	while read -r line; do
		[[ $line =~ ^(-[A-Za-z0-9],\ )?(--[a-z0-9-]+)\ [^\ ] ]] || continue
		[[ $2 == "${BASH_REMATCH[2]}" || "$2, " == "${BASH_REMATCH[1]}" ]] && return 0
	done < <("$1" -h 2>/dev/null)
	return 1
}

# The broker's keys, each followed by '=': the first column of
# --help-config, up to the blank line before the topic keys.
_slog_broker_keys()
{
	"$1" --help-config 2>/dev/null |
		while read -r key _; do
			[[ -z $key ]] && break
			[[ $key == KEY ]] || printf '%s=\n' "$key"
		done
}

_slog_broker()
{
	local prog cur prev

	COMPREPLY=()
	prog=$(_slog_broker_prog)
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
	-c | --config)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	-s | --set | -X)
		# Only the key: the value is the user's.
		if [[ $cur != *=* ]]; then
			compopt -o nospace 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -W "$(_slog_broker_keys "$prog")" -- "$cur")
		fi
		return
		;;
	esac
	# Any other option that takes a value: nothing to offer.
	if _slog_broker_takes_value "$prog" "$prev"; then
		return
	fi
	# slog-broker takes no arguments besides its options.
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$("$prog" --list-options 2>/dev/null) -X" -- "$cur")
	fi
}

complete -F _slog_broker slog-broker
