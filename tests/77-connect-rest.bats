#!/usr/bin/env bats
# slog-connect's REST API (Kafka Connect's shapes), health, metrics, and
# the status, pause, resume and restart commands that use it.  The
# connector under test is an http-source: it needs nothing but a broker.

load helpers
load connect

setup() {
	start_broker
	slog-topics create hooks
	HTTP_URL=http://127.0.0.1:$(free_ports 1)
	WEB_CONF=$(connector_conf web connector.class=http-source "http.listener=$HTTP_URL" topic=hooks)
}

# rest METHOD PATH: the status; the body in $BATS_TEST_TMPDIR/rest.
rest() {
	curl -s -o "$BATS_TEST_TMPDIR/rest" -w '%{http_code}' -X "$1" "$CONNECT_URL$2"
}

state_is() {
	[ "$(curl -s "$CONNECT_URL/connectors/web/status" | jq -r .connector.state)" = "$1" ]
}

@test "GET /connectors and /status answer in Kafka Connect's shapes" {
	start_connect "$WEB_CONF"
	wait_for 200 connect_ready
	run curl -sf "$CONNECT_URL/connectors"
	assert_output '["web"]'
	run curl -sf "$CONNECT_URL/connectors/web/status"
	assert_success
	run jq -c '{name, type, state: .connector.state, tasks: [.tasks[] | {id, state}]}' <<<"$output"
	assert_output '{"name":"web","type":"source","state":"RUNNING","tasks":[{"id":0,"state":"RUNNING"}]}'
	run curl -sf "$CONNECT_URL/connectors?expand=status&expand=info"
	run jq -r '.web.info.config."connector.class", .web.status.connector.state' <<<"$output"
	assert_output $'http-source\nRUNNING'
	run curl -sf "$CONNECT_URL/connectors/web/config"
	run jq -r .topic <<<"$output"
	assert_output hooks
}

@test "pause and resume over REST answer 202 and the state follows" {
	start_connect "$WEB_CONF"
	wait_for 200 connect_ready
	run rest PUT /connectors/web/pause
	assert_output 202
	wait_for 200 state_is PAUSED
	run rest PUT /connectors/web/resume
	assert_output 202
	wait_for 200 state_is RUNNING
}

@test "slog-connect pause, resume and restart change the state and print it" {
	start_connect "$WEB_CONF"
	wait_for 200 connect_ready
	run --separate-stderr slog-connect pause web --url "$CONNECT_URL"
	assert_success
	assert_line --regexp '^web +source +PAUSED '
	run --separate-stderr slog-connect resume web --url "$CONNECT_URL"
	assert_success
	assert_line --regexp '^web +source +RUNNING +1/1 '
	run --separate-stderr slog-connect restart web --url "$CONNECT_URL"
	assert_success
	wait_for 200 state_is RUNNING
}

@test "slog-connect status prints a table, or Connect's JSON with --format json" {
	start_connect "$WEB_CONF"
	wait_for 200 connect_ready
	run --separate-stderr slog-connect status --url "$CONNECT_URL"
	assert_success
	assert_line --index 0 --regexp '^NAME +TYPE +STATE +TASKS +WORKER$'
	assert_line --index 1 --regexp '^web +source +RUNNING +1/1 '
	run --separate-stderr slog-connect status web --url "$CONNECT_URL"
	assert_line --regexp '^TASK +STATE +WORKER +TRACE$'
	assert_line --regexp '^0 +RUNNING '
	run --separate-stderr slog-connect status web --url "$CONNECT_URL" --format json
	assert_success
	run jq -r .connector.state <<<"$output"
	assert_output RUNNING
}

@test "restart with includeTasks answers 202 with the status, without it 204" {
	start_connect "$WEB_CONF"
	wait_for 200 connect_ready
	run rest POST '/connectors/web/restart?includeTasks=true&onlyFailed=false'
	assert_output 202
	run jq -r .name "$BATS_TEST_TMPDIR/rest"
	assert_output web
	run rest POST /connectors/web/restart
	assert_output 204
	run rest POST /connectors/web/tasks/0/restart
	assert_output 204
	wait_for 200 state_is RUNNING
}

@test "an unknown connector is 404 over REST and exit 1 for slog-connect" {
	start_connect "$WEB_CONF"
	run rest GET /connectors/nope/status
	assert_output 404
	run jq -c . "$BATS_TEST_TMPDIR/rest"
	assert_output '{"error_code":404,"message":"Connector nope not found"}'
	run -1 --separate-stderr slog-connect pause nope --url "$CONNECT_URL"
	assert_equal "$stderr" "slog-connect: unknown connector 'nope': no such connector runs at $CONNECT_URL"
}

@test "slog-connect status names the URL when no slog-connect answers there" {
	local url=http://127.0.0.1:$(free_ports 1)
	run -1 --separate-stderr slog-connect status --url "$url"
	assert_output ''
	[[ "$stderr" == *"cannot reach slog-connect at '$url'"* ]]
}

@test "creating, changing or deleting a connector over REST answers 405 naming the file" {
	start_connect "$WEB_CONF"
	run curl -s -w ' %{http_code}' -X POST -H 'Content-Type: application/json' \
		--data '{"name":"new","config":{}}' "$CONNECT_URL/connectors"
	assert_output --regexp ' 405$'
	assert_output --partial '"error_code":405'
	assert_output --partial 'new.conf'
	run curl -s -w ' %{http_code}' -X PUT --data '{}' "$CONNECT_URL/connectors/web/config"
	assert_output --regexp ' 405$'
	assert_output --partial "$WEB_CONF"
	run curl -s -w ' %{http_code}' -X DELETE "$CONNECT_URL/connectors/web"
	assert_output --regexp ' 405$'
	assert_output --partial "$WEB_CONF"
}

@test "readyz answers 503 until every connector runs, then 200" {
	# The broker is not there yet: the source cannot start.
	local port
	port=$(free_ports 1)
	BROKER=127.0.0.1:$port start_connect "$WEB_CONF"
	run curl -s -o /dev/null -w '%{http_code}' "$CONNECT_URL/readyz"
	assert_output 503
	run curl -s -o /dev/null -w '%{http_code}' "$CONNECT_URL/healthz"
	assert_output 200
	BROKER_PORT_WANTED=$port start_broker later
	slog-topics create hooks
	wait_for 600 connect_ready
}

@test "metrics show each connector's counters, and they count" {
	start_connect "$WEB_CONF"
	wait_for 200 connect_ready
	run curl -sf "$CONNECT_URL/metrics"
	assert_line '# TYPE slog_connect_records_total counter'
	assert_line 'slog_connect_records_total{connector="web"} 0'
	assert_line 'slog_connect_connector_state{connector="web",state="RUNNING"} 1'
	assert_line --partial 'slog_connect_batch_latency_seconds_bucket{connector="web",le="+Inf"}'
	curl -sf --data-binary '{"a":1}' "$HTTP_URL/" >/dev/null
	curl -sf --data-binary '{"a":2}' "$HTTP_URL/" >/dev/null
	run curl -sf "$CONNECT_URL/metrics"
	assert_line 'slog_connect_records_total{connector="web"} 2'
	assert_line 'slog_connect_bytes_total{connector="web"} 14'
}

@test "offsets change only while the connector is stopped" {
	start_connect "$WEB_CONF"
	wait_for 200 connect_ready
	run rest GET /connectors/web/offsets
	assert_output 200
	run jq -c . "$BATS_TEST_TMPDIR/rest"
	assert_output '{"offsets":[]}'
	run rest DELETE /connectors/web/offsets
	assert_output 400
	run rest PUT /connectors/web/stop
	assert_output 204
	wait_for 200 state_is STOPPED
	run rest DELETE /connectors/web/offsets
	assert_output 200
}

@test "connector-plugins lists the classes with their types" {
	start_connect "$WEB_CONF"
	run curl -sf "$CONNECT_URL/connector-plugins"
	run jq -r '.[] | select(.name == "http-source") | .type' <<<"$output"
	assert_output source
}
