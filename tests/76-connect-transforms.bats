#!/usr/bin/env bats
# slog-connect's transforms, tried the way a user tries a chain before
# running it: `slog-connect transform FILE` in a pipe, between
# slog-consume -J and slog-produce -J.

load helpers
load connect

# sink_conf NAME: a file-sink connector reading topic web, its transforms
# from stdin, written to $BATS_TEST_TMPDIR/NAME.conf; prints the path.
sink_conf() {
	local path=$BATS_TEST_TMPDIR/$1.conf
	{
		printf 'name = %s\nconnector.class = file-sink\ntopics = web\n' "$1"
		printf 'file.path = %s/%s.out\n' "$BATS_TEST_TMPDIR" "$1"
		cat
	} >"$path"
	printf '%s\n' "$path"
}

# web_records: three access-log records into topic web, read back as
# slog-consume -J prints them, into $BATS_TEST_TMPDIR/in.ndjson.
web_records() {
	start_broker
	slog-topics create web
	{
		printf '%s\n' '{"key":"a","value":"{\"path\":\"/users\",\"ip\":\"10.0.0.7\",\"user\":{\"email\":\"ann@example.org\",\"id\":7}}"}'
		printf '%s\n' '{"key":"b","value":"GET /healthz 200"}'
		printf '%s\n' '{"key":"c","value":"{\"path\":\"/orders\",\"ip\":\"10.0.0.8\",\"user\":{\"email\":\"bob@example.org\",\"id\":8}}"}'
	} | slog-produce -J -t web
	slog-consume -J -t web -e >"$BATS_TEST_TMPDIR/in.ndjson"
}

@test "a chain filters, routes, tags, masks and rewrites with jq what slog-consume -J read" {
	web_records
	local conf
	conf=$(sink_conf web-out <<'EOF'
transforms = nohealth, rename, via, pii, shape
[transforms.nohealth]
type = filter
value.regex = GET /healthz
[transforms.rename]
type = route
regex = (web)
replacement = $1-clean
[transforms.via]
type = insert-header
header = via
value.from = connector
[transforms.pii]
type = mask
fields = /ip, /user/email
[transforms.shape]
type = exec
exec.command = jq -c --unbuffered '.value |= (fromjson | .path |= ascii_upcase | tojson)'
EOF
)
	run --separate-stderr slog-connect transform "$conf" <"$BATS_TEST_TMPDIR/in.ndjson"
	assert_success
	[ -z "$stderr" ]
	assert_equal "$(jq -c '[.topic, .partition, .offset, .key, .headers]' <<<"$output")" \
		"$(printf '%s\n' '["web-clean",0,0,"a",[{"key":"via","value":"web-out"}]]' \
			'["web-clean",0,2,"c",[{"key":"via","value":"web-out"}]]')"
	assert_equal "$(jq -r .value <<<"$output")" \
		"$(printf '%s\n' '{"path":"/USERS","ip":"","user":{"email":"","id":7}}' \
			'{"path":"/ORDERS","ip":"","user":{"email":"","id":8}}')"
}

@test "what a chain keeps goes back into slog through slog-produce -J" {
	web_records
	slog-topics create web-masked
	local conf
	conf=$(sink_conf masked <<'EOF'
transforms = nohealth, cards
[transforms.nohealth]
type = filter
value.regex = healthz
[transforms.cards]
type = mask
regex = [a-z]+@
replacement = ***@
EOF
)
	slog-consume -J -t web -e | slog-connect transform "$conf" | slog-produce -J -t web-masked
	run slog-consume -t web-masked -e -f '%k %s\n'
	assert_success
	assert_output - <<'EOF'
a {"path":"/users","ip":"10.0.0.7","user":{"email":"***@example.org","id":7}}
c {"path":"/orders","ip":"10.0.0.8","user":{"email":"***@example.org","id":8}}
EOF
}

@test "a line the chain fails on is named on stderr and the lines after it go through" {
	local conf
	conf=$(sink_conf strict <<'EOF'
transforms = json
[transforms.json]
type = insert-field
static.field = seen
static.value = yes
EOF
)
	run -1 --separate-stderr slog-connect transform "$conf" <<'EOF'
{"topic":"web","value":"{\"n\":1}"}
{"topic":"web","value":"not json"}
{"topic":"web","value":"{\"n\":3}"}
EOF
	assert_stderr_has "line 2: transforms.json: value is not JSON"
	assert_stderr_has "1 of 3 lines failed"
	assert_equal "$(jq -r .value <<<"$output")" $'{"n":1,"seen":"yes"}\n{"n":3,"seen":"yes"}'
}

@test "Kafka's transform and predicate classes run unchanged" {
	local conf
	conf=$(sink_conf kafka <<'EOF'
transforms = onlyorders, rename, tag
predicates = isorders
predicates.isorders.type = org.apache.kafka.connect.transforms.predicates.TopicNameMatches
predicates.isorders.pattern = orders.*
transforms.onlyorders.type = org.apache.kafka.connect.transforms.Filter
transforms.onlyorders.predicate = isorders
transforms.onlyorders.negate = true
transforms.rename.type = org.apache.kafka.connect.transforms.RegexRouter
transforms.rename.regex = orders-(.*)
transforms.rename.replacement = archive-$1
transforms.tag.type = org.apache.kafka.connect.transforms.InsertHeader
transforms.tag.header = source
transforms.tag.value.literal = kafka
EOF
)
	run --separate-stderr slog-connect transform "$conf" <<'EOF'
{"topic":"orders-eu","value":"1"}
{"topic":"users","value":"2"}
{"topic":"orders-us","value":"3"}
EOF
	assert_success
	assert_equal "$(jq -c '[.topic, .value, .headers[0].value]' <<<"$output")" \
		$'["archive-eu","1","kafka"]\n["archive-us","3","kafka"]'
}

@test "Kafka's ValueToKey then ExtractField on the key keys records by a field" {
	local conf
	conf=$(sink_conf keyed <<'EOF'
transforms = createKey, extractInt
transforms.createKey.type = org.apache.kafka.connect.transforms.ValueToKey
transforms.createKey.fields = id
transforms.extractInt.type = org.apache.kafka.connect.transforms.ExtractField$Key
transforms.extractInt.field = id
EOF
)
	run --separate-stderr slog-connect transform "$conf" <<'EOF'
{"topic":"t","value":"{\"id\":42,\"name\":\"ann\"}"}
EOF
	assert_success
	assert_equal "$(jq -c '[.key, .value]' <<<"$output")" '["42","{\"id\":42,\"name\":\"ann\"}"]'
}

@test "route.time names each record's topic by its day" {
	local conf
	conf=$(sink_conf daily <<'EOF'
transforms = day
[transforms.day]
type = route.time
timestamp.format = yyyy.MM.dd
EOF
)
	run --separate-stderr slog-connect transform "$conf" <<'EOF'
{"topic":"logs","timestamp":1796092200000,"value":"a"}
{"topic":"logs","timestamp":1796169600000,"value":"b"}
EOF
	assert_success
	assert_equal "$(jq -r .topic <<<"$output")" $'logs-2026.12.01\nlogs-2026.12.02'
}

@test "exec drops a record its command answers with null" {
	local conf
	conf=$(sink_conf drops <<'EOF'
transforms = jq
[transforms.jq]
type = exec
exec.command = jq -c --unbuffered 'if .value == "drop" then null else . end'
EOF
)
	run --separate-stderr slog-connect transform "$conf" <<'EOF'
{"topic":"t","value":"keep"}
{"topic":"t","value":"drop"}
{"topic":"t","value":"also kept"}
EOF
	assert_success
	assert_equal "$(jq -r .value <<<"$output")" $'keep\nalso kept'
}

@test "a command that hangs fails its record after exec.timeout.ms and the next one runs" {
	local conf
	conf=$(sink_conf slow <<'EOF'
transforms = slow
[transforms.slow]
type = exec
exec.shell = true
exec.command = read -r l; sleep 30
exec.timeout.ms = 300ms
EOF
)
	run -1 --separate-stderr timeout 20 slog-connect transform "$conf" <<'EOF'
{"topic":"t","value":"1"}
{"topic":"t","value":"2"}
EOF
	assert_stderr_has "line 1: transforms.slow: exec 'read -r l; sleep 30': no answer in time"
	assert_stderr_has "line 2: transforms.slow: exec"
	assert_stderr_has "2 of 2 lines failed"
	assert_output ""
}

@test "an unknown transform key is refused naming the key and its line" {
	local conf
	conf=$(sink_conf typo <<'EOF'
transforms = pii
[transforms.pii]
type = mask
feilds = /email
EOF
)
	run -1 --separate-stderr slog-connect transform "$conf" <<<""
	assert_stderr_has "$conf:8: transforms.pii.feilds: unknown config key"
	assert_output ""
}

# has_records TOPIC N: the topic holds at least N records.
has_records() {
	[ "$(slog-consume -t "$1" -e | wc -l)" -ge "$2" ]
}

@test "a running file source sends its lines through the chain, and its jq ends with it" {
	start_broker
	slog-topics create app
	local log=$BATS_TEST_TMPDIR/app.log conf=$BATS_TEST_TMPDIR/app.conf
	printf '%s\n' '{"msg":"hi","secret":"s1"}' 'GET /healthz' '{"msg":"yo","secret":"s2"}' >"$log"
	cat >"$conf" <<EOF
name = app
connector.class = file-source
file.paths = $log
topic = app
transforms = nohealth, pii, loud
[transforms.nohealth]
type = filter
value.regex = healthz
[transforms.pii]
type = mask
fields = secret
[transforms.loud]
type = exec
exec.command = jq -c --unbuffered '.value |= (fromjson | .msg |= ascii_upcase | tojson)'
EOF
	start_connect "$conf"
	wait_for 200 has_records app 2
	run slog-consume -t app -e -f '%s\n'
	assert_output $'{"msg":"HI","secret":""}\n{"msg":"YO","secret":""}'
	local child
	child=$(ps -o pid= --ppid "$CONNECT_PID" | tr -d ' ')
	[ -n "$child" ]
	stop_connect
	run -1 kill -0 "$child"
}

@test "transform passes each record on as soon as its line is read" {
	local conf line
	conf=$(sink_conf live <<'EOF'
transforms = tag
[transforms.tag]
type = insert-header
header = seen
value = yes
EOF
)
	coproc TR { slog-connect transform "$conf"; }
	local pid=$TR_PID in=${TR[1]} out=${TR[0]}
	printf '%s\n' '{"topic":"t","value":"1"}' >&"$in"
	# The input stays open: the answer must come before it ends.
	read -t 10 -r line <&"$out"
	[[ "$line" == *'"value":"1","headers":[{"key":"seen","value":"yes"}]}' ]]
	eval "exec $in>&-"
	wait "$pid"
}
