# bash completion for slog-connect(1)
#
# The options come from `slog-connect --list-options`, and which of them
# take a value from `slog-connect -h`, so the completion follows the
# program instead of a copy of its option table.  Connector names (for
# status, pause, resume, restart, offsets) come from the REST API of the
# running slog-connect (--url, else 127.0.0.1:8083), asked quietly with
# a short timeout.

# The program as typed on the command line when it runs, else by name.
_slog_connect_prog()
{
	local p=${COMP_WORDS[0]}

	[[ $p == "~/"* ]] && p=$HOME/${p#"~/"}
	type -P -- "$p" >/dev/null 2>&1 || p=slog-connect
	printf '%s\n' "$p"
}

# The options that take a value, one per line, as -h shows them
# ("  -c, --config FILE   ...").
_slog_connect_value_options()
{
	local line
	while read -r line; do
		[[ $line =~ ^(-([A-Za-z0-9]),\ )?(--[a-z0-9-]+)\ [^\ ] ]] || continue
		printf '%s\n' "${BASH_REMATCH[3]}"
		[[ -n ${BASH_REMATCH[2]} ]] && printf -- '-%s\n' "${BASH_REMATCH[2]}"
	done < <("$1" -h 2>/dev/null)
}

# The commands, from the "Commands:" part of -h.
_slog_connect_commands()
{
	"$1" -h 2>/dev/null | sed -n '/^Commands:/,/^$/s/^  \([a-z|]*\) .*/\1/p' | tr '|' '\n'
}

# Connector names from GET /connectors of the --url on the line.
_slog_connect_names()
{
	local url=http://127.0.0.1:8083 i

	for ((i = 1; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} == --url ]] && url=${COMP_WORDS[i + 1]}
		[[ ${COMP_WORDS[i]} == --url=* ]] && url=${COMP_WORDS[i]#--url=}
	done
	type -P curl >/dev/null 2>&1 || return
	curl -s --max-time 1 "$url/connectors" 2>/dev/null | tr -d '[]"' | tr ',' '\n'
}

_slog_connect()
{
	local prog cur prev valopts cmd= i w

	COMPREPLY=()
	prog=$(_slog_connect_prog)
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	valopts=$'\n'$(_slog_connect_value_options "$prog")$'\n'

	case $prev in
	-c | --config)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	--format)
		mapfile -t COMPREPLY < <(compgen -W 'text json' -- "$cur")
		return
		;;
	esac
	# Any other option that takes a value: nothing to offer.
	[[ $prev == -* && $valopts == *$'\n'"$prev"$'\n'* ]] && return

	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--*=*) ;;
		-*) [[ $valopts == *$'\n'"$w"$'\n'* ]] && ((i++)) ;;
		*) [[ -z $cmd ]] && cmd=$w ;;
		esac
	done

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$("$prog" --list-options 2>/dev/null)" -- "$cur")
		return
	fi
	case $cmd in
	'')
		mapfile -t COMPREPLY < <(compgen -W "$(_slog_connect_commands "$prog")" -- "$cur")
		;;
	run | check | transform)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		;;
	status | pause | resume | restart | offsets)
		mapfile -t COMPREPLY < <(compgen -W "$(_slog_connect_names)" -- "$cur")
		;;
	mirror)
		mapfile -t COMPREPLY < <(compgen -W 'promote' -- "$cur")
		;;
	esac
}

complete -F _slog_connect slog-connect
