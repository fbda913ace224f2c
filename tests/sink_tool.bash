# sink_tool.bash: what the tests of the consumer engine with a sink
# (54-consumer-sink.bats) and of slog-connect's sink loop
# (74-connect-sink-runner.bats) share: a broker per test, the
# sink-test-tool ($TOOL), whose runs are stopped by PID (MEMBER_PIDS), and
# looks at what was committed and flushed.  `load sink_tool` after
# `load helpers`.

MEMBER_PIDS=()

setup() {
	TOOL=$(dirname "$SLOG_TEST_TOOL")/sink-test-tool
	start_broker
}

teardown() {
	stop_members
	teardown_brokers
}

# offsets GROUP: its committed offsets as sorted "topic-partition=offset" words.
offsets() {
	curl -sf "$BROKER_URL/v1/groups/$1/offsets" |
		jq -r '[.offsets[] | "\(.topic)-\(.partition)=\(.offset)"] | sort | join(" ")'
}

# offsets_are GROUP WORDS: the group's offsets are WORDS (offsets' form).
offsets_are() {
	[ "$(offsets "$1")" = "$2" ]
}

# committed_is GROUP WORDS: poll until offsets_are GROUP WORDS.
committed_is() {
	wait_for 300 offsets_are "$1" "$2"
}

# has_lines FILE N: FILE holds at least N lines.
has_lines() {
	[ -f "$1" ] && [ "$(count_lines "$1")" -ge "$2" ]
}

# in_order FILE: per partition, the offsets of FILE's record lines count up from 0 by 1.
in_order() {
	awk '$2 != "batch" { if ($2 != next_of[$1] + 0) { print "out of order: " $0; bad = 1 } next_of[$1] = $2 + 1 }
	     END { exit bad }' "$1"
}
